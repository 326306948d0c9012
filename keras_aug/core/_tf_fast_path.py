"""TensorFlow-only devices (speed, run-time checks), used only when a call computes with TensorFlow.

Traced into a TF graph that XLA does not compile (a tf.data `map`, a
`tf.function` without `jit_compile`), the layers' ops would run one by one,
each writing a full-size intermediate: 10 to 40 times slower than the same ops
fused by XLA (benchmarks/layers.py). So there a layer call, and a warp, runs as
its own nested `tf.function(jit_compile=True)`; inside XLA a warp's input and
output are fenced so that chained warps do not recompute each other.

Also here: the atomic call counter for TensorFlow (parallel tf.data maps must
not see the same counter value twice). TensorFlow is imported by this module
only; it is imported only when a call computes with TensorFlow.
"""

import numbers
import weakref

import numpy as np
import tensorflow as tf
from tensorflow.python.ops import gen_stateful_random_ops

try:  # Tells whether a graph is being compiled by XLA already.
    from tensorflow.python.ops.control_flow_util import GraphOrParentsInXlaContext as _graph_in_xla
except ImportError:  # pragma: no cover - only if TF moves it
    def _graph_in_xla(graph):
        return False

# Compile layer calls and warps with XLA when they are traced into a graph XLA
# would not otherwise compile. Set to False to keep them op by op, e.g. for a
# runtime without XLA.
COMPILE_IN_GRAPHS = True


def in_xla_context():
    """Whether the TF graph being traced is compiled by XLA already."""
    return not tf.executing_eagerly() and _graph_in_xla(tf.compat.v1.get_default_graph())


def _needs_nested_compile():
    return COMPILE_IN_GRAPHS and not tf.executing_eagerly() and not in_xla_context()


# ------------------------------------------------------------------ layer calls
# One XLA-compiled augment function per layer, kept outside the layer so that
# SavedModel export does not try to serialize it. Weak both ways: the table
# does not keep a layer alive, nor does the function (it reaches its layer
# through a weak reference; a bound method would be a strong one).
_COMPILED_LAYERS = weakref.WeakKeyDictionary()


def compile_layer_call(images):
    """Whether a layer call on `images`, traced into a graph, should run as its own XLA function.

    In graphs XLA does not compile, only with static image sizes (XLA
    compiles once per shape). Eager calls: `keras_aug.core.eager`.
    """
    shape = getattr(images, "shape", None)
    if not _needs_nested_compile() or shape is None or len(shape) not in (3, 4):
        return False
    return tf.TensorShape(shape)[-3:].is_fully_defined()  # the batch size may be unknown in a graph


def xla_function(fn):
    """`fn` as one XLA-compiled tf.function (traced once per input signature)."""
    return tf.function(fn, jit_compile=True, autograph=False)  # the layers branch on Python values only


def compiled_layer_call(layer, images):
    """`layer._augment_inputs` as a nested XLA-compiled tf.function, one per rank of `images`.

    Per rank: `reduce_retracing` relaxes the shapes of a second trace, and a
    layer used on [H, W, C] and then on [B, H, W, C] images would otherwise be
    retraced for images of unknown rank.
    """
    functions = _COMPILED_LAYERS.setdefault(layer, {})
    rank = len(images.shape)
    if rank not in functions:
        layer_ref = weakref.ref(layer)

        def augment_inputs(*args, **kwargs):
            return layer_ref()._augment_inputs(*args, **kwargs)

        functions[rank] = tf.function(augment_inputs, jit_compile=True, reduce_retracing=True,
                                      autograph=False)  # the layers branch on Python values only
    return functions[rank]


# ------------------------------------------------------------------------ warps
_COMPILED_WARPS = {}


def compile_warp(images, output_size):
    """Whether a warp of `images` should run as its own XLA function."""
    if not _needs_nested_compile():
        return False
    if images.shape.rank != 4 or not images.shape[1:].is_fully_defined():
        # XLA compiles once per concrete shape: with sizes known only at run
        # time (a tf.data map over photos of many sizes) that is a compile per
        # image size, far slower than the op-by-op path.
        return False
    return output_size is None or all(isinstance(s, numbers.Integral) for s in output_size)


def compiled_warp(warp_fn, images, matrices, output_size, interpolation, fill_mode, fill_value):
    """Runs `warp_fn` (the fenced warp) as one XLA function per setting.

    Each function traces only for new input signatures. A numeric `fill_value`
    is part of the setting; a tensor one is an extra argument.
    """
    if output_size is not None:
        output_size = (int(output_size[0]), int(output_size[1]))
    numeric = isinstance(fill_value, (int, float))
    key = (warp_fn, output_size, interpolation, fill_mode, fill_value if numeric else "tensor")
    fn = _COMPILED_WARPS.get(key)
    if fn is None:
        if numeric:
            def run(images, matrices):
                return warp_fn(images, matrices, output_size, interpolation, fill_mode, fill_value)
        else:
            def run(images, matrices, value):
                return warp_fn(images, matrices, output_size, interpolation, fill_mode, value)
        fn = _COMPILED_WARPS[key] = tf.function(run, jit_compile=True, autograph=False)
    return fn(images, matrices) if numeric else fn(images, matrices, fill_value)


def fence(values):
    """The identity, as an op XLA cannot fuse into its consumers.

    Left alone, XLA fuses whatever produced a warp's input (another warp, a
    colour op) into each of its four gathers and recomputes it for every read:
    two warps in one compiled function cost 4.1 CPU ms per image instead of
    2 x 0.42. A scatter is not loop-fusible on XLA:CPU, and XLA's
    `optimization_barrier` is dropped before fusion, so: a scatter-max of the
    dtype's lowest value into one element, which changes nothing (and costs
    one copy of the batch).
    """
    dtype = values.dtype
    if not (dtype.is_floating or dtype.is_integer) or values.shape.rank is None:
        return values
    if getattr(getattr(values, "op", None), "type", None) == "Placeholder":
        return values  # a function argument: nothing upstream to fuse
    lowest = -float("inf") if dtype.is_floating else dtype.min
    index = tf.zeros([1, values.shape.rank], tf.int32)
    return tf.tensor_scatter_nd_max(values, index, tf.fill([1], tf.constant(lowest, dtype)))


# ----------------------------------------------------------------- call counter
_PHILOX = 1  # tf.random.Algorithm.PHILOX
_COUNTER_STEP = 256  # RngReadAndSkip advances a Philox counter by 256 per unit of delta


def new_counter():
    """A TF resource whose read-and-advance is one atomic op (see `next_index`)."""
    with tf.init_scope():
        return tf.random.Generator.from_state([0, 0, 0], alg="philox")


def next_index(counter):
    """The counter's value (int64 scalar: 0, 1, 2, ...), advanced by one atomically.

    `RngReadAndSkip` reads and advances in one kernel, so calls in a parallel
    tf.data map never see the same value; it also compiles under XLA.
    """
    state = gen_stateful_random_ops.rng_read_and_skip(
        counter.state.handle, alg=tf.constant(_PHILOX, tf.int32), delta=tf.constant(1, tf.uint64))
    return state[0] // _COUNTER_STEP


def reset_counter(counter, value=0):
    """Restarts the counter at `value`."""
    counter.state.assign(tf.constant([value * _COUNTER_STEP, 0, 0], tf.int64))


# ------------------------------------------------------------ run-time checks
def checked_square(images):
    """`images` [B, H, W, C], asserted at run time to be square (H == W).

    For sizes known only at run time, which exist only in TensorFlow graphs
    (JAX shapes are static and checked in Python).
    """
    shape = tf.shape(images)
    check = tf.debugging.assert_equal(shape[1], shape[2],
                                      message="RandomRotate90 with odd `turns` needs square images")
    with tf.control_dependencies([check]):
        return tf.identity(images)


# ----------------------------------------------------------------- seed words
def int64_words(seed):
    """(low, high) uint32 words of an int64 / uint64 seed tensor, with TF's bit ops.

    Under the JAX Keras backend, keras.ops' TF functions promote with JAX's
    rules (64-bit off), so a right shift by 32 of an int64 would run in int32
    and lose the high word; TF's own ops keep the dtype.
    """
    mask = tf.constant(0xFFFFFFFF, seed.dtype)
    low = tf.bitwise.bitwise_and(seed, mask)
    high = tf.bitwise.bitwise_and(tf.bitwise.right_shift(seed, tf.constant(32, seed.dtype)), mask)
    return tf.cast(low, tf.uint32), tf.cast(high, tf.uint32)


# ------------------------------------------------------------ graph constants
_GRAPH_CONSTANTS = weakref.WeakKeyDictionary()


def graph_constant(value, dtype=None):
    """A constant in the graph being traced, made once per graph, value and dtype.

    `value`: a numpy scalar (its own dtype), or a Python number, bytes or list
    of them with `dtype`. The random draws use a few dozen distinct constants
    hundreds of times each, and the data path's graph reader a few values many
    times; one op each instead of one per use shortens the traces (and
    tf.data's per-iterator optimization) of every graph that uses them. Made
    outside any control-dependency scope, so sharing them orders nothing.
    """
    dtype = tf.as_dtype(value.dtype if dtype is None else dtype)
    graph = tf.compat.v1.get_default_graph()
    table = _GRAPH_CONSTANTS.setdefault(graph, {})
    plain = value.item() if isinstance(value, np.generic) else value
    key = (dtype.name, tuple(plain) if isinstance(plain, (list, tuple)) else plain)
    if key not in table:
        with tf.control_dependencies(None):
            table[key] = tf.constant(value, dtype)
    return table[key]
