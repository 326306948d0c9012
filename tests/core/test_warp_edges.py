"""The warp where sizes are only known at run time, and on one-pixel-wide images.

Both against scipy.ndimage (`geo_helpers.scipy_warp`). Sizes known at run time
take the warp's tensor branch (periods computed with ops, not python floats),
which the static-shape reference tests never reach.
"""

import math

import numpy as np
import pytest
import tensorflow as tf

from geo_helpers import rotation_about_centre
from geo_helpers import scipy_warp
from geo_helpers import textured_image
from keras_aug.core import warp as warp_lib

H, W = 11, 15
IMAGE = textured_image(H, W, 3, seed=5)
# Rotation about the centre plus a far shift: reads outside on every side and
# more than one period away (periodic fill modes wrap several times).
MATRIX = rotation_about_centre(math.radians(21), H, W) @ np.array([[1, 0, 17.3], [0, 1, -13.6], [0, 0, 1]])


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "reflect", "wrap", "mirror"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_warp_with_run_time_sizes_matches_scipy(interpolation, fill_mode):
    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32),
                                  tf.TensorSpec([None, 3, 3], tf.float32)])
    def run_time_sized(images, matrices):
        return warp_lib.warp(images, matrices, None, interpolation, fill_mode, 17.0)

    ours = run_time_sized(tf.constant(IMAGE[None]), tf.constant(MATRIX[None], tf.float32))[0].numpy()
    ref = scipy_warp(IMAGE, MATRIX, order=0 if interpolation == "nearest" else 1, fill_mode=fill_mode,
                     fill_value=17.0)
    np.testing.assert_allclose(ours, ref, atol=2e-3)


@pytest.mark.parametrize("fill_mode", ["nearest", "reflect", "wrap", "mirror"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("run_time_sizes", [False, True])
def test_one_pixel_wide_image_repeats_its_column(interpolation, fill_mode, run_time_sizes):
    # Every fill mode but "constant" extends a one-pixel-wide image by its only
    # column, however far the read point lies (mirror's period would be 0 there).
    column = np.arange(7, dtype=np.float32).reshape(7, 1, 1) * 10.0
    shift = np.array([[1, 0, 3.25], [0, 1, 0], [0, 0, 1]], np.float32)

    def warp(images, matrices):
        return warp_lib.warp(images, matrices, (7, 4), interpolation, fill_mode)

    if run_time_sizes:
        warp = tf.function(warp, input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32),
                                                  tf.TensorSpec([None, 3, 3], tf.float32)])
    out = warp(tf.constant(column[None]), tf.constant(shift[None]))[0].numpy()
    np.testing.assert_allclose(out, np.repeat(column, 4, axis=1), atol=1e-4)


def _xla_calls(graph):
    """The function-call ops of `graph` marked to be compiled by XLA."""
    calls = []
    for op in graph.get_operations():
        if op.type in ("PartitionedCall", "StatefulPartitionedCall"):
            try:
                if op.get_attr("_XlaMustCompile"):
                    calls.append(op)
            except ValueError:  # a call without the attribute
                pass
    return calls


def test_warp_traced_into_a_plain_graph_runs_as_one_xla_function():
    # The design (module docstring): in a graph XLA does not compile, a warp with
    # static sizes calls itself through a nested jit-compiled function, ~10x
    # faster than op by op; with sizes known only at run time it does not.
    images, matrices = tf.zeros([2, 9, 13, 3]), tf.eye(3, batch_shape=[2])

    def warp(images, matrices):
        return warp_lib.warp(images, matrices, None, "bilinear", "reflect")

    static = tf.function(warp).get_concrete_function(images, matrices).graph
    assert len(_xla_calls(static)) == 1
    run_time = tf.function(warp).get_concrete_function(tf.TensorSpec([None, None, None, 3]),
                                                       tf.TensorSpec([None, 3, 3])).graph
    assert not _xla_calls(run_time)
