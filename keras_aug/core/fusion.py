"""Keeping XLA from fusing a value into each of its consumers (backend-neutral)."""

from keras_aug.core import dtypes
from keras_aug.core.backend import ops


def materialized(values):
    """`values` computed once into memory: XLA may not fuse them into each consumer again.

    Left alone, XLA fuses a chain of pixel steps into one loop and evaluates
    each step again for every channel the next step reads (RandomColorJitter:
    27 instead of 1.9 CPU ms per 224 x 224 x 3 image; the policies' tables:
    0.8 instead of 0.3). Under `jax.jit` the copies can also swamp the
    compile: RandomElasticTransform's field, fused into the unfenced warp's
    coordinate reads with its random draws, took minutes to compile instead of
    about a second. A scatter-max is not fusible on XLA:CPU (a scatter of
    one element becomes a fusible slice update, so two): two of -inf into the
    first entry change nothing and cost one copy, as `_tf_fast_path.fence`
    does for warps on TensorFlow. Float or integer `values` (the scatter
    writes -inf, or the integer dtype's lowest value).
    """
    rank = len(values.shape)
    name = dtypes.name_of(values)
    lowest = ops.full([2], dtypes.limits(name)[0] if dtypes.is_integer(name) else -float("inf"), dtype=name)
    return ops.scatter_update(values, ops.zeros([2, rank], dtype="int32"), lowest, reduction="max")
