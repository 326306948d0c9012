"""Parity with Keras 3's layers of the same name on degenerate (fixed) ranges.

Keras's "wrap" (TF's ImageProjectiveTransform) is not periodic near the seams,
so wrap is compared on integer shifts only (where both are np.roll); our wrap
is checked against scipy's "grid-wrap" in tests/core.
"""

import numpy as np
import pytest
import tensorflow as tf
import keras
from keras.src.utils import image_utils

import keras_aug
from geo_helpers import textured_image
from keras_aug.core import Draws
from keras_aug.core import ImageShape

H, W = 32, 48
IMAGES = np.stack([textured_image(H, W, 3, seed=i) for i in range(4)])
TOL = 2e-3  # interpolation round-off on 0-255 values


def _close(ours, theirs, tol=TOL):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    assert np.max(np.abs(ours - theirs)) <= tol


@pytest.mark.parametrize("fill_mode", ["reflect", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_rotation(fill_mode, interpolation):
    kw = dict(fill_mode=fill_mode, interpolation=interpolation, fill_value=5.0)
    for f in (0.07, -0.3):
        _close(keras_aug.RandomRotation((f, f), **kw)(IMAGES),
               keras.layers.RandomRotation((f, f), **kw)(IMAGES, training=True))


@pytest.mark.parametrize("fill_mode", ["reflect", "constant", "nearest"])
def test_zoom(fill_mode):
    for hf, wf in [((0.3, 0.3), None), ((-0.25, -0.25), (0.4, 0.4))]:
        _close(keras_aug.RandomZoom(hf, wf, fill_mode=fill_mode)(IMAGES),
               keras.layers.RandomZoom(hf, wf, fill_mode=fill_mode)(IMAGES, training=True))


@pytest.mark.parametrize("fill_mode", ["reflect", "constant", "nearest", "wrap"])
def test_translation(fill_mode):
    shifts = [(0.125, -0.25)] if fill_mode == "wrap" else [(0.13, -0.21), (-0.4, 0.33)]
    for dy, dx in shifts:
        _close(keras_aug.RandomTranslation((dy, dy), (dx, dx), fill_mode=fill_mode)(IMAGES),
               keras.layers.RandomTranslation((dy, dy), (dx, dx), fill_mode=fill_mode)(IMAGES, training=True))


def test_shear_both_signs():
    layer = keras_aug.RandomShear((0.2, 0.2), (0.1, 0.1))
    ours = layer(IMAGES, seed=1).numpy()
    params = layer.sample(ImageShape(4, H, W, 3), Draws(1))
    signs = np.sign(params["shear_x"].numpy())
    assert set(signs) == {-1.0, 1.0}
    theirs = keras.layers.RandomShear((0.2, 0.2), (0.1, 0.1))
    for sign in (-1.0, 1.0):
        factor = tf.constant([[0.2 * sign, 0.1 * sign]] * 4)
        ref = theirs.transform_images(IMAGES, {"shear_factor": factor, "input_shape": IMAGES.shape}, training=True)
        _close(ours[signs == sign], np.asarray(ref)[signs == sign])


@pytest.mark.parametrize("size", [(20, 30), (32, 48), (40, 50), (20, 60), (64, 64)])
def test_center_crop_including_smaller_inputs(size):
    _close(keras_aug.CenterCrop(*size)(IMAGES), keras.layers.CenterCrop(*size)(IMAGES))


@pytest.mark.parametrize("size", [(40, 50), (20, 60), (64, 64)])
def test_random_crop_smaller_input_is_smart_resize(size):
    # Documented difference: Keras's RandomCrop stretches a clipped window
    # here; ours is smart_resize, as CenterCrop.
    _close(keras_aug.RandomCrop(*size)(IMAGES), image_utils.smart_resize(IMAGES, size))


def test_random_crop_inference_is_smart_resize():
    # Documented difference: Keras returns the input unchanged (wrong size).
    _close(keras_aug.RandomCrop(20, 20)(IMAGES, training=False), image_utils.smart_resize(IMAGES, (20, 20)))


def test_random_crop_same_size_is_identity():
    _close(keras_aug.RandomCrop(H, W)(IMAGES), IMAGES)


@pytest.mark.parametrize("size", [(20, 20), (40, 90), (16, 30), (64, 64)])
@pytest.mark.parametrize("kw", [{}, {"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True, "fill_value": 7.0},
                                {"interpolation": "nearest"}])
def test_resizing(size, kw):
    _close(keras_aug.Resizing(*size, **kw)(IMAGES), keras.layers.Resizing(*size, **kw)(IMAGES))


def test_flip_states_are_keras_flips():
    out = keras_aug.RandomFlip("horizontal")(IMAGES, seed=3).numpy()
    flipped = keras.layers.RandomFlip("horizontal").transform_images(
        IMAGES, {"flips": tf.ones([4, 1, 1, 1], tf.bool), "input_shape": IMAGES.shape}, training=True)
    for i in range(4):
        assert np.array_equal(out[i], IMAGES[i]) or np.array_equal(out[i], np.asarray(flipped)[i])
