"""Gathers along the batch axis and per sample, for the erasing and mixing layers.

Written on `keras_aug.core.backend.ops`; compiles under XLA and `jax.jit`.
"""

from keras_aug.core.backend import ops


def gather_samples(tensor, index):
    """tensor[index] along the batch axis (index: [B] int32)."""
    return ops.take(tensor, index, axis=0)


def take_per_sample(values, index):
    """values[b, index[b, ...]] along axis 1: [B, R, ...] by [B, N] -> [B, N, ...].

    (TF's `gather(..., axis=1, batch_dims=1)`.) One gather on the flattened
    first two axes: cheaper than `take_along_axis`, which broadcasts the index
    over the trailing axes.
    """
    shape = ops.shape(values)
    rows = shape[1]
    offsets = ops.arange(shape[0], dtype="int32") * ops.cast(rows, "int32")
    flat = ops.reshape(values, [-1] + list(shape[2:]))
    offsets = ops.reshape(offsets, [-1] + [1] * (len(index.shape) - 1))
    return ops.take(flat, ops.cast(index, "int32") + offsets, axis=0)
