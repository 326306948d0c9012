"""RandomSharpness computes in the layer's dtype: float16 and float64 layers smooth like a float32 one
(to float32 rounding, or float16's half a unit on 0-255 values)."""

import keras
import numpy as np
import pytest

from keras_aug.layers.photometric import RandomSharpness
from sample_images import textured_image


@pytest.mark.parametrize("dtype, atol", [("float64", 1e-3), ("float16", 0.5)])
def test_sharpness_in_other_float_dtypes_matches_float32(dtype, atol):
    images = np.stack([textured_image(seed=i) for i in range(2)]).astype(np.float32)
    reference = RandomSharpness((0.2, 0.9), seed=4)(images, training=True, seed=5)
    out = RandomSharpness((0.2, 0.9), seed=4, dtype=dtype)(images.astype(dtype), training=True, seed=5)
    assert keras.backend.standardize_dtype(out.dtype) == dtype
    np.testing.assert_allclose(np.asarray(out, np.float64), np.asarray(reference, np.float64), atol=atol)
