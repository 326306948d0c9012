"""keras_aug.core.matrices against hand-computed matrices."""

import math

import numpy as np
import pytest
import tensorflow as tf

from keras_aug.core import matrices as mat


def _np(m):
    return np.asarray(m)[0] if np.asarray(m).ndim == 3 else np.asarray(m)


def _apply(m, x, y):
    return (m @ np.array([x, y, 1.0]))[:2]


def test_translation_reads_shifted_point():
    m = _np(mat.translation(tf.constant([3.0]), tf.constant([-2.0])))
    np.testing.assert_allclose(m, [[1, 0, 3], [0, 1, -2], [0, 0, 1]])


def test_rotation_90_degrees():
    m = _np(mat.rotation(tf.constant([math.pi / 2])))
    np.testing.assert_allclose(m, [[0, -1, 0], [1, 0, 0], [0, 0, 1]], atol=1e-7)


def test_rotation_about_centre_fixes_centre_and_turns_corners():
    h, w = 4.0, 6.0
    m = _np(mat.about(mat.rotation(tf.constant([math.pi / 2])), w / 2, h / 2))
    np.testing.assert_allclose(_apply(m, 3, 2), [3, 2], atol=1e-6)
    # Output point (x, y) reads input (cx - (y - cy), cy + (x - cx)).
    np.testing.assert_allclose(_apply(m, 4, 2), [3, 3], atol=1e-6)
    np.testing.assert_allclose(_apply(m, 3, 0), [5, 2], atol=1e-6)


def test_zoom_about_centre():
    h, w = 10.0, 20.0
    m = _np(mat.about(mat.scaling(tf.constant([2.0]), tf.constant([0.5])), w / 2, h / 2))
    np.testing.assert_allclose(m, [[2, 0, -10], [0, 0.5, 2.5], [0, 0, 1]], atol=1e-6)
    np.testing.assert_allclose(_apply(m, 10, 5), [10, 5])


def test_shear_matrix():
    m = _np(mat.shear(tf.constant([0.25]), tf.constant([-0.5])))
    np.testing.assert_allclose(m, [[1, 0.25, 0], [-0.5, 1, 0], [0, 0, 1]])


def test_flips_are_per_sample():
    m = mat.horizontal_flip(tf.constant([True, False]), 8)
    np.testing.assert_allclose(m[0], [[-1, 0, 8], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_allclose(m[1], np.eye(3))
    m = mat.vertical_flip(tf.constant([True]), 5)
    np.testing.assert_allclose(m[0], [[1, 0, 0], [0, -1, 5], [0, 0, 1]])


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_quarter_turns_match_rot90_on_pixel_centres(k):
    h, w = 3, 5
    image = np.arange(h * w).reshape(h, w)
    turned = np.rot90(image, k)
    m = _np(mat.quarter_turns(tf.constant([k]), h, w))
    for i in range(turned.shape[0]):
        for j in range(turned.shape[1]):
            x, y = _apply(m, j + 0.5, i + 0.5)
            assert image[int(math.floor(y)), int(math.floor(x))] == turned[i, j]


def test_invert_affine_matches_numpy():
    rng = np.random.RandomState(0)
    a = rng.uniform(-2, 2, (5, 2, 3)).astype(np.float32)
    full = np.concatenate([a, np.tile([[[0, 0, 1]]], (5, 1, 1))], axis=1).astype(np.float32)
    np.testing.assert_allclose(mat.invert_affine(tf.constant(full)), np.linalg.inv(full), rtol=1e-4, atol=1e-4)


def test_transform_points():
    m = tf.constant([[[2.0, 0, 1], [0, 3, -1], [0, 0, 1]]])
    pts = mat.transform_points(m, tf.constant([[[1.0, 1.0], [0.0, 2.0]]]))
    np.testing.assert_allclose(pts, [[[3, 2], [1, 5]]])


def test_chain_order_is_first_layer_first():
    # Translate then flip: output x reads flip(x) then translation.
    t = mat.translation(tf.constant([2.0]), tf.constant([0.0]))
    f = mat.horizontal_flip(tf.constant([True]), 10)
    m = _np(t @ f)
    np.testing.assert_allclose(_apply(m, 1, 0), [10 - 1 + 2, 0])
