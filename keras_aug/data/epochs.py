"""Seeds and the order of an epoch: every random draw of the data path starts here.

One iteration of a dataset is one epoch. Its key comes from
`tf.data.Dataset.random(seed, rerandomize_each_iteration=True).take(1)`: the same sequence
of keys for the same `seed`, a new key for every iteration (every epoch of `model.fit`).
The permutation of the epoch, the per-image geometric parameters (drawn per chunk of the
order) and the per-batch augmentation seeds are stateless functions of (seed, key,
position), so results depend neither on `num_parallel_calls` nor on buffer sizes, and a
checkpointed iterator resumes with the very same draws.
"""

import random

import numpy as np
import tensorflow as tf

# The per-image geometric parameters are drawn for this many images at a time.
HEAD_CHUNK = 1024
# Second seed word of chunk seeds: below every batch seed's (-1 - batch index).
_CHUNK_TAG = -(2**40)


def resolve_seed(seed):
    """An int seed: the given one, or a random one (so epochs still differ)."""
    if seed is None:
        return random.randrange(2**31 - 1)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int or None; received seed={seed!r}")
    return int(seed)


def epoch_keys(seed):
    """A dataset of one int64 per iteration: the epoch's key (new every iteration)."""
    return tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)


def epoch_order(seed, key, n, shuffle):
    """int64 [n] permutation of the epoch: stateless in (seed, key)."""
    if not shuffle:
        return tf.range(n, dtype=tf.int64)
    noise = tf.random.stateless_uniform(
        [n], seed=tf.stack([tf.constant(seed, tf.int64), key]), dtype=tf.float32
    )
    return tf.cast(tf.argsort(noise, stable=True), tf.int64)


def epoch_indices(seed, key, n, shuffle):
    """int64 [n + 1]: the epoch's order, then -1 (the end-of-epoch sentinel)."""
    return tf.concat([epoch_order(seed, key, n, shuffle), [-1]], axis=0)


def chunk_seed(key, chunk):
    """int32 [2] seed of the per-image geometric parameters of one chunk of an epoch."""
    return tf.random.stateless_uniform(
        [2], seed=tf.stack([key, _CHUNK_TAG - tf.cast(chunk, tf.int64)]), minval=None, maxval=None,
        dtype=tf.int32,
    )


def batch_seed(key, batch_index):
    """int32 [2] augmentation seed of one batch; negative second word: never an image's."""
    return tf.random.stateless_uniform(
        [2],
        seed=tf.stack([key, -1 - tf.cast(batch_index, tf.int64)]),
        minval=None,
        maxval=None,
        dtype=tf.int32,
    )


def elements(seed, n, shuffle):
    """The epoch as elements `(position, index, key)`, positions 0..n (n: the sentinel).

    The datasets built per epoch (inside `flat_map`) hold no function: a function there
    is instantiated and optimized by tf.data every epoch, 20-40 ms before the first batch.
    """

    def epoch(key):
        positions = tf.range(n + 1, dtype=tf.int64)
        return tf.data.Dataset.from_tensor_slices(
            (positions, epoch_indices(seed, key, n, shuffle), tf.fill([n + 1], key))
        )

    return epoch_keys(seed).flat_map(tf.autograph.experimental.do_not_convert(epoch))


def chunks(seed, n, shuffle):
    """The epoch in chunks of HEAD_CHUNK: `(chunk, indices, count, key)`.

    `indices` is padded with -1 to HEAD_CHUNK; `count` positions are real (the end
    sentinel included, as in `elements`).
    """

    def epoch(key):
        count = -(-(n + 1) // HEAD_CHUNK)
        padded = tf.pad(epoch_indices(seed, key, n, shuffle), [[0, count * HEAD_CHUNK - (n + 1)]], constant_values=-1)
        counts = tf.minimum(HEAD_CHUNK, (n + 1) - tf.range(count) * HEAD_CHUNK)
        return tf.data.Dataset.from_tensor_slices(
            (tf.range(count), tf.reshape(padded, [count, HEAD_CHUNK]), counts, tf.fill([count], key))
        )

    return epoch_keys(seed).flat_map(tf.autograph.experimental.do_not_convert(epoch))
