"""Centre crops whose margins are odd: the offset rounds down, as a slice would (and Keras's CenterCrop)."""

import numpy as np
import pytest
import tensorflow as tf

import keras_aug
from geo_helpers import textured_image

H, W = 32, 48
IMAGES = np.stack([textured_image(H, W, 3, seed=i) for i in range(2)])


@pytest.mark.parametrize("run_time_sizes", [False, True])
@pytest.mark.parametrize("height, width", [(19, 29), (20, 29), (19, 30)])
def test_center_crop_with_odd_margins_is_the_rounded_down_slice(height, width, run_time_sizes):
    layer = keras_aug.CenterCrop(height, width)
    if run_time_sizes:
        out = tf.function(layer, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])(IMAGES)
    else:
        out = layer(IMAGES)
    top, left = (H - height) // 2, (W - width) // 2
    np.testing.assert_allclose(out.numpy(), IMAGES[:, top: top + height, left: left + width], atol=1e-4)
