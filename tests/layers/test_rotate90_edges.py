"""RandomRotate90 where image sizes are known only at run time (a tf.data map over photos of any size)."""

import numpy as np
import pytest
import tensorflow as tf

import keras_aug
from geo_helpers import textured_image

RUN_TIME_SIZED = [tf.TensorSpec([None, None, None, 3], tf.float32)]


def test_quarter_turn_of_run_time_sized_square_images_is_np_rot90():
    images = np.stack([textured_image(12, 12, 3, seed=i) for i in range(2)])
    layer = keras_aug.RandomRotate90(turns=(1,))
    out = tf.function(lambda x: layer(x, training=True), input_signature=RUN_TIME_SIZED)(images)
    np.testing.assert_allclose(out.numpy(), np.rot90(images, 1, axes=(1, 2)), atol=1e-5)


def test_quarter_turn_of_run_time_sized_non_square_images_raises_at_run_time():
    layer = keras_aug.RandomRotate90(turns=(1, 3))
    turn = tf.function(lambda x: layer(x, training=True), input_signature=RUN_TIME_SIZED)
    with pytest.raises(tf.errors.InvalidArgumentError, match="needs square images"):
        turn(np.zeros((2, 12, 16, 3), np.float32))
