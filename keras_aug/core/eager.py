"""Eager layer calls: compiled once a call signature repeats, op by op before.

Op by op, each of a layer's ops is one backend dispatch: the call seed's hash
alone is ~40 ops, a draw ~70, a warp ~50, at 0.05-0.15 ms each on a CPU. On a
small batch that overhead is nearly the whole call (RandomFlip on one
224 x 224 image: ~30 ms under JAX, ~55 ms under TensorFlow, Keras's own layer
1.5 and 7.6 ms); on a large one the ops' full-size intermediates dominate (a
warp of 64 x 224 x 224 images costs ~10x its compiled cost). Compiled
(`jax.jit`, or `tf.function(jit_compile=True)`), the whole call, seed hash
included, is one XLA program.

Compiling costs a trace and an XLA compile (0.2-1 s for one layer on a
2-core CPU, 4-10 s for RandAugment): more than a few op-by-op calls of a small
batch. So a call signature (the layer, the structure, shapes and dtypes of its
inputs, how the seed is given) runs op by op for its first
`COMPILE_AFTER_CALLS` calls and compiled from then on: a loop pays one compile,
a one-off call (a test, a preview) pays none. Batches of at least
`EAGER_COMPILE_MIN_PIXELS` pixels (B x H x W) are compiled from their first call:
op by op they cost more than the compile.

Results. The compiled program is the one the layer runs in tf.data and under
`jit_compile` / `jax.jit`; op by op, float results may differ from it in the
last bit (XLA fuses a multiply and an add into one rounding): images within
1e-3 on 0-255, uint8 within one level. So the first `COMPILE_AFTER_CALLS` calls
of a small signature and the later ones may differ that much for the same
seed; within each route a seed always gives the same output.

A call that only slices or pads and draws nothing (`only_moves_memory`:
CenterCrop on images that hold its window) runs op by op on every call, with
no seed: a few dispatches, where a compiled call costs about 1 ms at least.

A layer that fails to compile (an op without an XLA kernel that does not say
so with `supports_jit = False`) warns once per signature and runs op by op.

The cache. Each layer keeps at most `MAX_SIGNATURES` signatures (call counts
and compiled functions), least recently used first out, so a loop over ever
new shapes holds a bounded number of programs; they die with their layer.
"""

import collections
import math
import warnings
import weakref

from keras_aug.core import backend
from keras_aug.core import randomness

# Op-by-op calls of a signature before it is compiled. Two: a compile costs
# about as much as 5-20 op-by-op calls of a small batch, and calling a layer
# twice with one seed (a reproducibility check) gives equal outputs.
COMPILE_AFTER_CALLS = 2
# Eager calls on batches of at least this many pixels (B x H x W) are compiled
# from their first call: op by op, a warp of 64 x 224 x 224 images costs ~10x
# its compiled cost, more than the compile itself.
EAGER_COMPILE_MIN_PIXELS = 1 << 20
# Signatures one layer keeps (a training loop has one or two: the batch and
# a smaller last batch).
MAX_SIGNATURES = 8

_SIGNATURES = weakref.WeakKeyDictionary()  # layer -> OrderedDict(signature -> call count, compiled function or _OP_BY_OP)
_OP_BY_OP = object()  # a signature whose compile failed: op by op for good


class _NotCompilable(Exception):
    """An input leaf that a compiled function cannot take as an argument."""


def handles(layer, images):
    """Whether this call of `layer` on `images` is an eager call this module runs.

    Eager calls (no TF graph being traced, no JAX tracer) of layers whose ops
    all compile (`supports_jit`, Keras's flag), on images of rank 3 or 4
    with static sizes.
    """
    if not layer.supports_jit or backend.in_tf_graph() or backend.is_jax_tracer(images):
        return False
    if backend.current() == "tensorflow":
        from keras_aug.core import _tf_fast_path

        if not _tf_fast_path.COMPILE_IN_GRAPHS:  # the switch for a TensorFlow without XLA
            return False
    shape = getattr(images, "shape", None)
    return shape is not None and len(shape) in (3, 4) and all(isinstance(dim, int) for dim in shape)


def call(layer, inputs, images, seed):
    """`layer._augment_inputs(inputs, layer.call_seed(seed))`, compiled once its signature repeats."""
    if layer.only_moves_memory(images):  # a slice or pad that draws nothing: no seed, never compiled
        return layer._augment_inputs(inputs, None)
    if seed is not None and not backend.is_tensor(seed):
        seed = randomness.as_seed(seed)  # python ints: checked here, one signature for every value
    try:
        signature = (backend.current(), layer.compute_dtype, layer._stream_seed, _signature(inputs), _signature(seed))
    except _NotCompilable:
        return layer._augment_inputs(inputs, layer.call_seed(seed))
    signatures = _SIGNATURES.setdefault(layer, collections.OrderedDict())
    entry = signatures.pop(signature, 0)
    small = math.prod(images.shape[:-1]) < EAGER_COMPILE_MIN_PIXELS
    if entry is _OP_BY_OP or (isinstance(entry, int) and entry < COMPILE_AFTER_CALLS and small):
        _keep(signatures, signature, entry if entry is _OP_BY_OP else entry + 1)
        return layer._augment_inputs(inputs, layer.call_seed(seed))
    argument = layer._next_call_index() if seed is None else seed
    if not isinstance(entry, int):
        _keep(signatures, signature, entry)
        return entry(inputs, argument)
    function = _compiled(layer, seed_given=seed is not None)
    try:
        outputs = function(inputs, argument)
    except Exception as error:  # noqa: BLE001 - an op without an XLA kernel, or Python branching on values
        warnings.warn(f"keras_aug: {type(layer).__name__} does not compile ({type(error).__name__}: "
                      f"{str(error)[:200]}); its eager calls on these inputs run op by op.", stacklevel=3)
        _keep(signatures, signature, _OP_BY_OP)
        seed = seed if seed is not None else randomness.fold_in(layer._stream_seed, argument)
        return layer._augment_inputs(inputs, seed)
    _keep(signatures, signature, function)
    return outputs


def _keep(signatures, signature, entry):
    signatures[signature] = entry  # the most recently used last
    if len(signatures) > MAX_SIGNATURES:
        signatures.popitem(last=False)


def _compiled(layer, seed_given):
    """The layer's augment function of (inputs, seed or call index), compiled for the current backend.

    It refers to the layer weakly: the cache holds it by the layer, and a strong
    reference would keep the layer alive for good.
    """
    layer_ref = weakref.ref(layer)
    if seed_given:
        def augment(inputs, seed):
            return layer_ref()._augment_inputs(inputs, randomness.as_seed(seed))
    else:
        # The stream seed is part of the signature: after `use_seed` a new function.
        stream_seed = layer._stream_seed

        def augment(inputs, index):
            return layer_ref()._augment_inputs(inputs, randomness.fold_in(stream_seed, index))
    if backend.current() == "tensorflow":
        from keras_aug.core import _tf_fast_path

        return _tf_fast_path.xla_function(augment)
    from keras_aug.core import _jax_fast_path

    return _jax_fast_path.xla_function(augment)


def _signature(value):
    """A hashable key of `value`'s structure, shapes and dtypes (and of python scalars' values, which compile in)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return (type(value).__name__, value)
    if isinstance(value, dict):
        return ("dict", tuple((key, _signature(value[key])) for key in sorted(value)))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_signature(item) for item in value))
    shape = getattr(value, "shape", None)
    if shape is None or not all(isinstance(dim, int) for dim in shape) or not _is_argument(value):
        raise _NotCompilable(type(value).__name__)
    return (tuple(shape), backend.dtype_name(value))


def _is_argument(value):
    """Whether `value` can be an argument of a compiled function of the current backend."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return True
    is_tf = backend.is_tf_tensor(value)
    return is_tf if backend.current() == "tensorflow" else (not is_tf and backend.ops.is_tensor(value))
