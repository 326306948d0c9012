"""Training semantics: augment in fit and on direct calls; identity in predict/evaluate/model(x)."""

import numpy as np
import pytest
import tensorflow as tf
import keras

import keras_aug
from geo_helpers import textured_image

H, W = 32, 48
IMAGES = np.stack([textured_image(H, W, 3, seed=i) for i in range(4)])


class Recorder(keras.layers.Layer):
    """Stores what it receives in fit, so the test can see the augmented batch."""

    def build(self, input_shape):
        self.seen = self.add_weight(shape=(4,) + tuple(input_shape[1:]), initializer="zeros", trainable=False)

    def call(self, x, training=None):
        if training:
            self.seen.assign(x)
        return x


def _model(layer):
    return keras.Sequential([keras.Input((H, W, 3)), layer, Recorder(),
                             keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])


@pytest.mark.parametrize("make", [lambda: keras_aug.RandomRotation(0.2, seed=1),
                                  lambda: keras_aug.Pipeline([keras_aug.RandomFlip(), keras_aug.RandomZoom(0.3)], seed=1)])
def test_model_augments_in_fit_only(make):
    model = _model(make())
    model.compile(optimizer="sgd", loss="mse")
    model.fit(IMAGES, np.zeros((4, 1)), batch_size=4, epochs=1, verbose=0, shuffle=False)
    seen = model.layers[1].seen.numpy()
    assert np.mean(np.abs(seen - IMAGES)) > 1.0, "fit did not augment"
    plain = keras.Sequential([keras.Input((H, W, 3)), keras.layers.GlobalAveragePooling2D(), model.layers[-1]])
    expected = plain(IMAGES).numpy()
    np.testing.assert_allclose(model.predict(IMAGES, verbose=0), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(model(IMAGES).numpy(), expected, rtol=1e-4, atol=1e-4)
    loss = model.evaluate(IMAGES, np.zeros((4, 1)), verbose=0)
    np.testing.assert_allclose(loss, np.mean(expected ** 2), rtol=1e-4)


def test_direct_call_augments_and_training_false_is_identity():
    layer = keras_aug.RandomRotation(0.2, seed=1)
    assert np.mean(np.abs(layer(IMAGES).numpy() - IMAGES)) > 1.0
    assert np.mean(np.abs(layer(IMAGES, training=True).numpy() - IMAGES)) > 1.0
    np.testing.assert_array_equal(layer(IMAGES, training=False), IMAGES)


def test_sizing_layers_still_resize_in_inference():
    model = keras.Sequential([keras.Input((H, W, 3)), keras_aug.Resizing(16, 20), keras_aug.RandomCrop(8, 6)])
    # Reference, by hand with tf.image.resize: Resizing stretches 32x48 to 16x20; the
    # RandomCrop at inference centre-crops 16x20 to the 8:6 aspect (16x12 from column 4)
    # and resizes that to 8x6. Non-square steps: swapped axes would show.
    resized = tf.image.resize(IMAGES, (16, 20))
    expected = tf.image.resize(resized[:, :, 4:16], (8, 6)).numpy()
    np.testing.assert_allclose(model.predict(IMAGES, verbose=0), expected, atol=1e-2)


def test_training_tensor_is_rejected():
    with pytest.raises(ValueError, match="`training` must be a Python bool or None"):
        keras_aug.RandomFlip()(IMAGES, training=tf.constant(True))
