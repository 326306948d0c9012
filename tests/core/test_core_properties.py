"""Properties of the matrices and of the box transform, for any affine matrix (hypothesis).

References are plain numpy: matrix products and inverses, and a box's image as the
enclosing box of its four mapped corners, clipped to the output.
"""

import math

import numpy as np
import tensorflow as tf
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_aug.core import geometric
from keras_aug.core import matrices as mat
from keras_aug.core import structures

# TF ops are slow to start; few examples, no per-example deadline.
FAST = settings(max_examples=25, deadline=None, database=None)  # no .hypothesis folder

finite = dict(allow_nan=False, allow_infinity=False)
angles = st.floats(-math.pi, math.pi, **finite)
scales = st.floats(0.25, 4.0, **finite)
shears = st.floats(-0.8, 0.8, **finite)
shifts = st.floats(-40.0, 40.0, **finite)


@st.composite
def affine(draw):
    """(numpy [3, 3], tf [1, 3, 3]): rotation @ scaling @ shear + translation, invertible."""
    angle, sx, sy, hx, hy, dx, dy = (draw(s) for s in (angles, scales, scales, shears, shears, shifts, shifts))
    m = (mat.translation([dx], [dy]) @ mat.rotation([angle]) @ mat.scaling([sx], [sy])
         @ mat.shear([hx], [hy]))
    c, s = math.cos(angle), math.sin(angle)
    ref = (np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]]) @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
           @ np.diag([sx, sy, 1.0]) @ np.array([[1, hx, 0], [hy, 1, 0], [0, 0, 1]]))
    return ref, m


@FAST
@given(affine())
def test_builders_match_numpy(pair):
    ref, m = pair
    np.testing.assert_allclose(m.numpy()[0], ref, rtol=1e-5, atol=1e-4)


@FAST
@given(affine(), affine(), st.lists(st.tuples(shifts, shifts), min_size=1, max_size=5))
def test_composition_applies_right_to_left(first, second, points):
    (ref_a, a), (ref_b, b) = first, second
    pts = tf.constant([points], tf.float32)
    composed = mat.transform_points(a @ b, pts).numpy()[0]
    one_by_one = mat.transform_points(a, mat.transform_points(b, pts)).numpy()[0]
    homogeneous = np.concatenate([np.array(points), np.ones((len(points), 1))], axis=1)
    np.testing.assert_allclose(composed, (homogeneous @ (ref_a @ ref_b).T)[:, :2], rtol=1e-4, atol=2e-2)
    np.testing.assert_allclose(composed, one_by_one, rtol=1e-4, atol=2e-2)


@FAST
@given(affine())
def test_inverse_is_the_numpy_inverse(pair):
    ref, m = pair
    inverse = mat.invert_affine(m).numpy()[0]
    np.testing.assert_allclose(inverse, np.linalg.inv(ref), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose((mat.invert_affine(m) @ m).numpy()[0], np.eye(3), atol=1e-4)


@FAST
@given(st.integers(-6, 6), st.integers(1, 9), st.integers(1, 9))
def test_quarter_turns_map_pixel_centres_like_rot90(k, height, width):
    # Output pixel (row, col) reads the input pixel np.rot90 puts there.
    grid = np.arange(height * width).reshape(height, width)
    turned = np.rot90(grid, k)
    out_h, out_w = turned.shape
    rows, cols = np.mgrid[0:out_h, 0:out_w]
    centres = np.stack([cols.ravel() + 0.5, rows.ravel() + 0.5], -1).astype(np.float32)
    read = mat.transform_points(mat.quarter_turns([k], height, width), tf.constant(centres[None])).numpy()[0]
    x, y = np.round(read[:, 0] - 0.5).astype(int), np.round(read[:, 1] - 0.5).astype(int)
    np.testing.assert_allclose(read, np.stack([x + 0.5, y + 0.5], -1), atol=1e-4)
    np.testing.assert_array_equal(grid[y, x], turned.ravel())


@st.composite
def boxes(draw, height=30, width=40):
    count = draw(st.integers(1, 4))
    out = []
    for _ in range(count):
        x1, x2 = sorted([draw(st.floats(-10, width + 10, **finite)) for _ in range(2)])
        y1, y2 = sorted([draw(st.floats(-10, height + 10, **finite)) for _ in range(2)])
        out.append([x1, y1, x2 + 0.5, y2 + 0.5])
    return np.array(out, np.float32)


@FAST
@given(affine(), boxes(), st.integers(10, 50), st.integers(10, 50))
def test_boxes_are_the_clipped_enclosing_box_of_their_moved_corners(pair, box_list, out_h, out_w):
    ref, m = pair
    images = np.zeros((1, 30, 40, 1), np.float32)
    labels = np.arange(len(box_list), dtype=np.float32)[None]
    batch = structures.unpack({"images": images, "bounding_boxes": {"boxes": box_list[None], "labels": labels}},
                              "xyxy")
    moved = geometric.move_annotations(batch, m, (out_h, out_w))
    got, got_labels = moved.boxes.numpy()[0], moved.box_labels.numpy()[0]
    # The matrix maps output -> input: boxes move by its inverse.
    forward = np.linalg.inv(ref)
    for box, label, out, out_label in zip(box_list, labels[0], got, got_labels):
        x1, y1, x2, y2 = box
        corners = np.array([[x1, y1, 1], [x2, y1, 1], [x1, y2, 1], [x2, y2, 1]]) @ forward.T
        lo = np.clip(corners[:, :2].min(0), 0, [out_w, out_h])
        hi = np.clip(corners[:, :2].max(0), 0, [out_w, out_h])
        size = (hi - lo).min()
        if size > 1e-2:  # (sizes within float error of 0 could go either way)
            assert out_label == label
            np.testing.assert_allclose(out, [lo[0], lo[1], hi[0], hi[1]], rtol=1e-4, atol=2e-2)
        elif size == 0:  # outside the output: dropped, every coordinate -1
            assert out_label == -1 and (out == -1).all()
