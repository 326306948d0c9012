"""Sizing layers on images whose height and width are only known at run time.

A graph traced with an unknown image size takes the tensor branch of the size
arithmetic (`aspect_pad`, the crop box); its result must equal the static one.
"""

import numpy as np
import pytest
import tensorflow as tf

import keras_aug
from geo_helpers import textured_image

IMAGES = np.stack([textured_image(24, 40, 3, seed=i) for i in range(2)])


@pytest.mark.parametrize("kw", [{"pad_to_aspect_ratio": True, "fill_value": 7.0}, {"crop_to_aspect_ratio": True}, {}],
                         ids=["pad", "crop", "stretch"])
@pytest.mark.parametrize("size", [(20, 20), (18, 48)], ids=["square", "wide"])
def test_resizing_with_run_time_sizes_equals_static_sizes(kw, size):
    layer = keras_aug.Resizing(*size, **kw)
    static = layer(IMAGES, training=False).numpy()
    dynamic = tf.function(lambda x: layer(x, training=False),
                          input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])(IMAGES).numpy()
    assert dynamic.shape == static.shape == (2, *size, 3)
    # With run-time sizes the crop or pad is part of the one warp, which differs from
    # slicing first only in the border pixels of an upscaled region (sizing.py says why).
    np.testing.assert_allclose(dynamic[:, 1:-1, 1:-1], static[:, 1:-1, 1:-1], atol=1e-2)
    np.testing.assert_allclose(dynamic, static, atol=4.0)
    if kw.get("pad_to_aspect_ratio") and size == (20, 20):
        assert (static[:, :3] == 7.0).all() and (dynamic[:, :3] == 7.0).all()  # 24x40 padded to 40x40: bands on top
