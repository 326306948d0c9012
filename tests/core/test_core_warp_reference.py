"""The warp against scipy.ndimage on the same matrices, every interpolation and fill mode."""

import math

import numpy as np
import pytest
import tensorflow as tf

from geo_helpers import rotation_about_centre
from geo_helpers import scipy_warp
from geo_helpers import textured_image
from keras_aug.core import warp as warp_lib

H, W = 20, 28
IMAGE = textured_image(H, W, 3, seed=3)

MATRICES = {
    # Rotation by 33 degrees about the centre: reads outside on every side.
    "rotation": rotation_about_centre(math.radians(33), H, W),
    # Zoom out x1.6 about the centre, with a fractional shift.
    "zoom_out": np.array([[1.63, 0, -0.63 * W / 2 + 0.31], [0, 1.63, -0.63 * H / 2 - 0.17], [0, 0, 1]]),
    # Far translation, to exercise periodic modes over more than one period.
    "far_shift": np.array([[1, 0, 31.3], [0, 1, -45.7], [0, 0, 1]]),
    # Shear with a flip.
    "shear_flip": np.array([[-1, 0.31, W - 2.13], [0.23, 1, -1.37], [0, 0, 1]]),
}


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "reflect", "wrap", "mirror"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("name", sorted(MATRICES))
def test_warp_matches_scipy(name, interpolation, fill_mode):
    m = MATRICES[name]
    ours = warp_lib.warp(tf.constant(IMAGE[None]), tf.constant(m[None], tf.float32), None,
                         interpolation, fill_mode, 17.0)[0].numpy()
    ref = scipy_warp(IMAGE, m, order=0 if interpolation == "nearest" else 1, fill_mode=fill_mode,
                     fill_value=17.0)
    if interpolation == "bilinear":
        np.testing.assert_allclose(ours, ref, atol=2e-3)
    else:
        # Nearest: the matrices avoid sample points on pixel edges (where
        # rounding conventions differ), so the results are identical.
        np.testing.assert_allclose(ours, ref, atol=1e-3)


def test_warp_output_size_differs_from_input():
    m = np.array([[0.5, 0, 3.0], [0, 0.5, 2.0], [0, 0, 1]])
    ours = warp_lib.warp(tf.constant(IMAGE[None]), tf.constant(m[None], tf.float32), (13, 17))[0].numpy()
    assert ours.shape == (13, 17, 3)
    np.testing.assert_allclose(ours, scipy_warp(IMAGE, m, (13, 17)), atol=2e-3)


def test_warp_identity_is_exact_and_per_sample():
    images = np.stack([IMAGE, IMAGE[::-1]])
    m = np.stack([np.eye(3), [[-1, 0, W], [0, 1, 0], [0, 0, 1]]]).astype(np.float32)
    out = warp_lib.warp(tf.constant(images), tf.constant(m), None, "bilinear", "constant").numpy()
    np.testing.assert_allclose(out[0], IMAGE, atol=1e-4)
    np.testing.assert_allclose(out[1], IMAGE[::-1, ::-1], atol=1e-4)


def test_warp_uint8_rounds_and_keeps_dtype():
    image = np.clip(IMAGE, 0, 255).astype(np.uint8)
    m = rotation_about_centre(0.3, H, W)
    out = warp_lib.warp(tf.constant(image[None]), tf.constant(m[None], tf.float32))[0]
    assert out.dtype == tf.uint8
    ref = scipy_warp(image.astype(np.float64), m)
    assert np.max(np.abs(out.numpy().astype(np.float64) - ref)) <= 0.5 + 1e-3


@pytest.mark.parametrize("bad, arg", [({"interpolation": "cubic"}, "interpolation"), ({"fill_mode": "edge"}, "fill_mode")])
def test_warp_rejects_unknown_modes(bad, arg):
    kwargs = {"interpolation": "bilinear", "fill_mode": "constant", **bad}
    with pytest.raises(ValueError, match=arg):
        warp_lib.warp(tf.constant(IMAGE[None]), tf.eye(3)[None], None, **kwargs)
