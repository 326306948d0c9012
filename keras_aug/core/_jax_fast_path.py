"""JAX-only speed device: eager calls on large batches run as one `jax.jit` function.

Op by op, each of a layer's ops writes a full-size intermediate; compiled, XLA
fuses them (the same reason the TF path compiles, `_tf_fast_path`). Inside a
JAX trace (a model under `jit`) nothing is done here: XLA compiles the whole
step already. Small eager calls stay op by op: a compile (once per input
signature) would cost more than it saves. The choice depends on the shape
only, so a given call always takes the same path.
"""

import math
import weakref

import jax

from keras_aug.core.backend import EAGER_COMPILE_MIN_PIXELS

_COMPILED_LAYERS = weakref.WeakKeyDictionary()


def compile_layer_call(images):
    """Whether an eager layer call on `images` should run as one jitted function."""
    shape = getattr(images, "shape", None)
    if isinstance(images, jax.core.Tracer) or shape is None or len(shape) not in (3, 4):
        return False
    return math.prod(shape[:-1]) >= EAGER_COMPILE_MIN_PIXELS


def compiled_layer_call(layer):
    """`layer._augment_inputs` under `jax.jit` (traced once per input signature)."""
    if layer not in _COMPILED_LAYERS:
        _COMPILED_LAYERS[layer] = jax.jit(layer._augment_inputs)
    return _COMPILED_LAYERS[layer]
