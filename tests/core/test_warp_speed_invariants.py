"""Pins what the warp's speed work must not change.

The warp runs three ways: op by op (eager), compiled by an enclosing
`jit_compile=True` function, and, when traced into a graph XLA would not
compile (a plain `tf.function`, a tf.data `map`), through its own nested
XLA-compiled function. All three must give the same result, and the fences
that keep XLA from fusing one warp into the next must be the identity.
"""

import numpy as np
import pytest
import tensorflow as tf

from keras_aug.core import _tf_fast_path
from keras_aug.core import warp as warp_lib

FILL_MODES = ("constant", "nearest", "reflect", "wrap", "mirror")


def _inputs(dtype, batch=3, height=9, width=11, channels=3):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (batch, height, width, channels)).astype(dtype)
    matrices = np.tile(np.eye(3, dtype=np.float32), (batch, 1, 1))
    angle = rng.uniform(-0.6, 0.6, batch)
    scale = rng.uniform(0.6, 1.5, batch)
    matrices[:, 0, 0] = np.cos(angle) * scale
    matrices[:, 0, 1] = -np.sin(angle) * scale + 0.2
    matrices[:, 1, 0] = np.sin(angle) * scale
    matrices[:, 1, 1] = np.cos(angle) * scale
    matrices[:, 0, 2] = rng.uniform(-8, 14, batch)
    matrices[:, 1, 2] = rng.uniform(-8, 14, batch)
    return tf.constant(images), tf.constant(matrices)


def _tolerance(dtype):
    return 1 if dtype == "uint8" else 2e-3


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_graph_and_xla_match_eager(dtype, interpolation, fill_mode):
    images, matrices = _inputs(dtype)
    args = ((7, 13), interpolation, fill_mode, 5.0)
    eager = warp_lib.warp(images, matrices, *args).numpy()
    graph = tf.function(lambda x, m: warp_lib.warp(x, m, *args))(images, matrices).numpy()
    xla = tf.function(lambda x, m: warp_lib.warp(x, m, *args), jit_compile=True)(images, matrices).numpy()
    assert graph.dtype == xla.dtype == eager.dtype == np.dtype(dtype)
    for other in (graph, xla):
        np.testing.assert_allclose(other.astype(np.float64), eager.astype(np.float64), atol=_tolerance(dtype))


def test_tf_data_map_with_unknown_shapes_and_tensor_fill():
    images, matrices = _inputs("uint8")
    fill = tf.constant(9.0)
    expected = warp_lib.warp(images, matrices, None, "bilinear", "constant", fill).numpy()
    dataset = tf.data.Dataset.from_tensor_slices((images, matrices)).batch(2).map(
        lambda x, m: warp_lib.warp(x, m, None, "bilinear", "constant", fill))
    got = np.concatenate([b.numpy() for b in dataset])
    np.testing.assert_allclose(got.astype(int), expected.astype(int), atol=1)


def test_output_size_known_only_at_run_time_falls_back():
    images, matrices = _inputs("float32")

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3]), tf.TensorSpec([None, 3, 3])])
    def run(x, m):
        return warp_lib.warp(x, m, (tf.shape(x)[1] - 2, 6), "bilinear", "reflect")

    expected = warp_lib.warp(images, matrices, (7, 6), "bilinear", "reflect").numpy()
    np.testing.assert_allclose(run(images, matrices).numpy(), expected, atol=2e-3)


@pytest.mark.parametrize("dtype", ["uint8", "float32", "int32", "float16"])
def test_fence_is_identity(dtype):
    values = tf.constant(np.arange(-3, 21).reshape(2, 3, 4, 1).astype(dtype))
    for fn in (_tf_fast_path.fence, tf.function(_tf_fast_path.fence, jit_compile=True)):
        np.testing.assert_array_equal(fn(values).numpy(), values.numpy())


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_chained_warps_under_xla_match_one_after_another(dtype):
    images, matrices = _inputs(dtype)

    def chain(x, m):
        x = warp_lib.warp(x, m, None, "bilinear", "reflect")
        return warp_lib.warp(x, m, (5, 8), "nearest", "constant", 3.0)

    expected = chain(images, matrices).numpy()
    got = tf.function(chain, jit_compile=True)(images, matrices).numpy()
    np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), atol=_tolerance(dtype))
