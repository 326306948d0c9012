"""Projective 3x3 matrices: inversion, homographies from corners, points and warps with the divide."""

import cv2
import numpy as np
import scipy.ndimage
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from geo_helpers import SCIPY_MODES
from geo_helpers import textured_image
from keras_aug.core import matrices as mat
from keras_aug.core import warp as warp_lib

finite = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def projective_matrices(draw):
    """Well-conditioned homographies of a 64 px image: near-affine part, small last row."""
    a = np.eye(2) + np.array(draw(st.lists(finite, min_size=4, max_size=4))).reshape(2, 2) * 0.4
    t = np.array(draw(st.lists(finite, min_size=2, max_size=2))) * 20
    g = np.array(draw(st.lists(finite, min_size=2, max_size=2))) * 3e-3
    m = np.array([[a[0, 0], a[0, 1], t[0]], [a[1, 0], a[1, 1], t[1]], [g[0], g[1], 1.0]])
    return m.astype(np.float32)


@settings(max_examples=40, deadline=None)
@given(projective_matrices(), projective_matrices())
def test_inverse_and_product_match_float64(m1, m2):
    both = np.stack([m1, m2])
    inverse = np.asarray(mat.invert(both))
    np.testing.assert_allclose(inverse, np.linalg.inv(both.astype(np.float64)), rtol=1e-4, atol=1e-5)
    product = np.asarray(mat.multiply(both[:1], both[1:]))[0]
    np.testing.assert_allclose(product, m1.astype(np.float64) @ m2, rtol=1e-5, atol=1e-5)
    # Points through the product = through one matrix, then the other (with the divide).
    points = np.array([[[3.0, 5.0], [60.0, 2.0], [31.5, 40.25]]], np.float32)
    once = np.asarray(mat.transform_points(product[None], points, projective=True))
    twice = np.asarray(mat.transform_points(m1[None], mat.transform_points(m2[None], points, True), True))
    np.testing.assert_allclose(once, twice, rtol=1e-4, atol=2e-3)
    back = np.asarray(mat.transform_points(mat.invert(m1[None]), once, True))
    np.testing.assert_allclose(back, np.asarray(mat.transform_points(m2[None], points, True)), atol=2e-3)


def test_general_inverse_of_affine_matrices_is_the_affine_inverse():
    m = np.asarray(mat.chain([mat.translation(np.float32([3.0]), 4.0), mat.rotation(np.float32([0.3])),
                              mat.scaling(np.float32([1.2]), 0.9)]))
    np.testing.assert_allclose(np.asarray(mat.invert(m)), np.asarray(mat.invert_affine(m)), atol=1e-6)


def test_perspective_maps_corners_like_opencv():
    rng = np.random.default_rng(3)
    source = np.float32([[[0, 0], [39, 0], [0, 29], [39, 29]]])
    target = (source * (1 + rng.uniform(-0.4, 0.4, (1, 4, 2)))).astype(np.float32)
    ours = np.asarray(mat.perspective(source, target))[0]
    reference = cv2.getPerspectiveTransform(source[0], target[0])
    np.testing.assert_allclose(ours / ours[2, 2], reference, rtol=1e-4, atol=1e-5)
    moved = np.asarray(mat.transform_points(ours[None], source, projective=True))
    np.testing.assert_allclose(moved, target, atol=1e-3)


def test_affine_matrices_take_the_same_coordinates_with_or_without_the_divide():
    m = np.asarray(mat.about(mat.rotation(np.float32([0.4, -1.1])), 20.0, 15.0))
    affine = warp_lib.sample_coordinates(m, (30, 40))
    divided = warp_lib.sample_coordinates(m, (30, 40), projective=True)
    for a, b in zip(affine, divided):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))  # x / 1.0 is exact


def test_points_behind_the_horizon_stay_finite():
    m = np.float32([[[1, 0, 0], [0, 1, 0], [-0.1, 0, 1]]])  # w <= 0 for x >= 10
    points = np.float32([[[5, 5], [10, 5], [50, 5]]])
    moved = np.asarray(mat.transform_points(m, points, projective=True))
    assert np.all(np.isfinite(moved))
    np.testing.assert_allclose(moved[0, 0], [10, 10], rtol=1e-6)
    assert np.all(moved[0, 1:] >= mat.FAR)
    image = np.ones((1, 8, 64, 1), np.float32)
    out = np.asarray(warp_lib.warp(image, m, interpolation="bilinear", fill_mode="reflect", projective=True))
    assert np.all(np.isfinite(out))


def _homography_reference(image, matrix, fill_mode, fill_value=0.0):
    """Independent projective warp: each output centre through `matrix` (float64), then scipy."""
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    m = matrix.astype(np.float64)
    den = m[2, 0] * xs + m[2, 1] * ys + m[2, 2]
    x = (m[0, 0] * xs + m[0, 1] * ys + m[0, 2]) / den
    y = (m[1, 0] * xs + m[1, 1] * ys + m[1, 2]) / den
    return np.stack([
        scipy.ndimage.map_coordinates(image[..., c].astype(np.float64), [y - 0.5, x - 0.5], order=1,
                                      mode=SCIPY_MODES[fill_mode], cval=fill_value, prefilter=False)
        for c in range(image.shape[-1])
    ], axis=-1)


def test_projective_warp_matches_an_independent_reference():
    image = textured_image(30, 40, 3, seed=1)
    source = np.float32([[[0, 0], [39, 0], [0, 29], [39, 29]]])
    target = np.float32([[[3, 2], [33, 5], [1, 27], [38, 24]]])
    m = np.asarray(mat.perspective(target, source))
    for fill_mode in ("constant", "reflect"):
        ours = np.asarray(warp_lib.warp(image[None], m, fill_mode=fill_mode, fill_value=7.0, projective=True))[0]
        np.testing.assert_allclose(ours, _homography_reference(image, m[0], fill_mode, 7.0), atol=2e-2)
