"""Geometric layers with known parameters against independent references.

Flips and quarter turns against np.flip / np.rot90 (exact); integer shifts
against np.roll; crops against slicing; rotation, zoom, shear, resized crops
and affine against scipy.ndimage on hand-built matrices.
"""

import math

import numpy as np
import pytest
import tensorflow as tf

import keras_aug
from geo_helpers import rotation_about_centre
from geo_helpers import scipy_warp
from geo_helpers import textured_image
from keras_aug.core import Draws
from keras_aug.core import ImageShape

H, W = 32, 48
IMAGES = np.stack([textured_image(H, W, 3, seed=i) for i in range(6)])


def _params(layer, images, seed):
    b, h, w, c = images.shape
    return {k: v.numpy() for k, v in layer.sample(ImageShape(b, h, w, c), Draws(seed)).items()}


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_flip_is_exact_np_flip(mode):
    layer = keras_aug.RandomFlip(mode)
    out = layer(IMAGES, seed=11).numpy()
    p = _params(layer, IMAGES, 11)
    for i in range(len(IMAGES)):
        expected = IMAGES[i]
        if p["horizontal"][i]:
            expected = np.flip(expected, 1)
        if p["vertical"][i]:
            expected = np.flip(expected, 0)
        np.testing.assert_array_equal(out[i], expected)
    if mode == "horizontal":
        assert not p["vertical"].any()
    if mode == "vertical":
        assert not p["horizontal"].any()


@pytest.mark.parametrize("turns", [(0, 1, 2, 3), (1,), (3,), (0, 2)])
def test_rotate90_is_exact_np_rot90(turns):
    images = IMAGES[:, :, :H] if any(t % 2 for t in turns) else IMAGES
    layer = keras_aug.RandomRotate90(turns)
    out = layer(images, seed=3).numpy()
    p = _params(layer, images, 3)
    assert set(p["turns"]) <= set(turns)
    for i in range(len(images)):
        np.testing.assert_array_equal(out[i], np.rot90(images[i], p["turns"][i]))


def test_rotation_quarter_turn_equals_rot90():
    square = IMAGES[:, :, :H]
    out = keras_aug.RandomRotation((0.25, 0.25), interpolation="nearest")(square).numpy()
    for i in range(len(square)):
        np.testing.assert_array_equal(out[i], np.rot90(square[i], 1))  # counter-clockwise
    out = keras_aug.RandomRotation((-0.25, -0.25), interpolation="bilinear")(square).numpy()
    np.testing.assert_allclose(out[0], np.rot90(square[0], -1), atol=1e-3)


@pytest.mark.parametrize("fill_mode", ["constant", "reflect", "wrap", "nearest", "mirror"])
def test_rotation_matches_scipy(fill_mode):
    factor = 20 / 360
    out = keras_aug.RandomRotation((factor, factor), fill_mode=fill_mode, fill_value=9.0)(IMAGES[:2]).numpy()
    m = rotation_about_centre(math.radians(20), H, W)
    np.testing.assert_allclose(out[1], scipy_warp(IMAGES[1], m, fill_mode=fill_mode, fill_value=9.0), atol=2e-3)


@pytest.mark.parametrize("zoom", [-0.4, 0.3])
def test_zoom_about_centre_matches_scipy(zoom):
    out = keras_aug.RandomZoom((zoom, zoom), (zoom / 2, zoom / 2), fill_mode="constant")(IMAGES[:1]).numpy()
    zx, zy = 1 + zoom / 2, 1 + zoom
    m = np.array([[zx, 0, (1 - zx) * W / 2], [0, zy, (1 - zy) * H / 2], [0, 0, 1]])
    np.testing.assert_allclose(out[0], scipy_warp(IMAGES[0], m, fill_mode="constant"), atol=2e-3)


def test_zoom_in_by_two_nearest_is_pixel_doubling():
    out = keras_aug.RandomZoom((-0.5, -0.5), interpolation="nearest")(IMAGES[:1]).numpy()[0]
    centre = IMAGES[0, H // 4: 3 * H // 4, W // 4: 3 * W // 4]
    np.testing.assert_array_equal(out, np.repeat(np.repeat(centre, 2, 0), 2, 1))


@pytest.mark.parametrize("dy, dx", [(3, -5), (-8, 12)])
def test_integer_translation_with_wrap_is_np_roll(dy, dx):
    layer = keras_aug.RandomTranslation((dy / H, dy / H), (dx / W, dx / W), fill_mode="wrap", interpolation="nearest")
    out = layer(IMAGES[:2]).numpy()
    np.testing.assert_array_equal(out, np.roll(IMAGES[:2], (dy, dx), axis=(1, 2)))
    bilinear = keras_aug.RandomTranslation((dy / H, dy / H), (dx / W, dx / W), fill_mode="wrap")(IMAGES[:2])
    np.testing.assert_allclose(bilinear, out, atol=1e-3)


def test_shear_matches_scipy_with_sampled_sign():
    layer = keras_aug.RandomShear((0.2, 0.2), (0.1, 0.1), fill_mode="reflect")
    out = layer(IMAGES, seed=4).numpy()
    p = _params(layer, IMAGES, 4)
    assert set(np.sign(p["shear_x"])) == {-1.0, 1.0}, "sign is drawn per sample"
    for i in range(len(IMAGES)):
        sx, sy = p["shear_x"][i], p["shear_y"][i]
        assert abs(abs(sx) - 0.2) < 1e-6 and abs(abs(sy) - 0.1) < 1e-6 and np.sign(sx) == np.sign(sy)
        # About the top-left pixel centre (0.5, 0.5).
        m = np.array([[1, sx, -0.5 * sx], [sy, 1, -0.5 * sy], [0, 0, 1]])
        np.testing.assert_allclose(out[i], scipy_warp(IMAGES[i], m, fill_mode="reflect"), atol=2e-3)


def test_random_crop_is_exact_slice():
    layer = keras_aug.RandomCrop(20, 30)
    out = layer(IMAGES, seed=8).numpy()
    m = _params(layer, IMAGES, 8)["matrix"]
    np.testing.assert_allclose(m[:, 0, 0], 1.0)
    for i in range(len(IMAGES)):
        x0, y0 = m[i, 0, 2], m[i, 1, 2]
        assert x0 == int(x0) and y0 == int(y0) and 0 <= x0 <= W - 30 and 0 <= y0 <= H - 20
        np.testing.assert_allclose(out[i], IMAGES[i, int(y0): int(y0) + 20, int(x0): int(x0) + 30], atol=1e-4)


def test_center_crop_is_exact_slice():
    out = keras_aug.CenterCrop(20, 30)(IMAGES).numpy()
    np.testing.assert_allclose(out, IMAGES[:, 6:26, 9:39], atol=1e-4)


def test_resizing_matches_tf_image_resize():
    for size in [(20, 30), (50, 70)]:
        for method in ["bilinear", "nearest"]:
            out = keras_aug.Resizing(*size, interpolation=method)(IMAGES).numpy()
            ref = tf.image.resize(IMAGES, size, method=method).numpy()
            np.testing.assert_allclose(out, ref, atol=2e-3)


def test_random_resized_crop_matches_scipy_on_its_region():
    layer = keras_aug.RandomResizedCrop(24, 24, scale=(0.2, 0.9), ratio=(0.5, 2.0))
    out = layer(IMAGES, seed=2).numpy()
    p = _params(layer, IMAGES, 2)
    area = p["crop_w"] * p["crop_h"] / (H * W)
    assert np.all(p["x0"] >= 0) and np.all(p["x0"] + p["crop_w"] <= W)
    assert np.all(p["y0"] >= 0) and np.all(p["y0"] + p["crop_h"] <= H)
    assert np.all(area > 0.15) and np.all(area < 0.95)  # integer rounding of the sides
    for i in range(len(IMAGES)):
        m = np.array([[p["crop_w"][i] / 24, 0, p["x0"][i]], [0, p["crop_h"][i] / 24, p["y0"][i]], [0, 0, 1]])
        np.testing.assert_allclose(out[i], scipy_warp(IMAGES[i], m, (24, 24), fill_mode="nearest"), atol=2e-3)


def _torchvision_inverse(angle, tx, ty, scale, shear_x, shear_y, h, w):
    """torchvision's affine built forward (T C R S SHy SHx C^-1, clockwise degrees) and inverted."""
    def rot(a):
        return np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    shx = np.array([[1, -math.tan(math.radians(shear_x)), 0], [0, 1, 0], [0, 0, 1]])
    shy = np.array([[1, 0, 0], [-math.tan(math.radians(shear_y)), 1, 0], [0, 0, 1]])
    rss = rot(math.radians(angle)) @ np.diag([scale, scale, 1]) @ shy @ shx
    c = np.array([[1, 0, w / 2], [0, 1, h / 2], [0, 0, 1]])
    t = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    return np.linalg.inv(t @ c @ rss @ np.linalg.inv(c))


def test_affine_matrix_matches_torchvision_composition():
    layer = keras_aug.RandomAffine(25, translate=(0.2, 0.1), scale=(0.7, 1.3), shear=(-10, 10, -5, 5))
    p = _params(layer, IMAGES, 6)
    m = layer.matrix({k: tf.constant(v) for k, v in p.items()}, H, W).numpy()
    for i in range(len(IMAGES)):
        assert p["tx"][i] == round(p["tx"][i]) and abs(p["tx"][i]) <= 0.2 * W
        ref = _torchvision_inverse(p["angle"][i], p["tx"][i], p["ty"][i], p["scale"][i],
                                   p["shear_x"][i], p["shear_y"][i], H, W)
        np.testing.assert_allclose(m[i], ref, atol=1e-4)


def test_affine_rotation_is_clockwise_and_warps_like_scipy():
    out = keras_aug.RandomAffine((30, 30))(IMAGES[:1]).numpy()[0]
    m = rotation_about_centre(math.radians(-30), H, W)  # clockwise on screen
    np.testing.assert_allclose(out, scipy_warp(IMAGES[0], m, fill_mode="constant"), atol=2e-3)
