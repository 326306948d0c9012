"""Stateless, per-sample random draws.

Every random number a layer uses comes from a `Draws` object built on one
stateless seed (a shape-[2] integer tensor). Each named draw folds its own
counter into that seed, so draws are independent of each other, reproducible
for a given seed, and compile under XLA (only stateless uniform/normal kernels
are used: TF has no XLA kernel for the gamma sampler).
"""

import tensorflow as tf


def as_seed(seed):
    """Converts a seed (int, pair, or tensor) to an int64 tensor of shape [2]."""
    if isinstance(seed, int):
        return tf.constant([seed, 0], dtype=tf.int64)
    seed = tf.convert_to_tensor(seed)
    if not seed.dtype.is_integer:
        raise ValueError(f"`seed` must be an integer tensor of shape [2]; got dtype {seed.dtype.name}.")
    if seed.shape.rank is not None and seed.shape.rank == 0:
        seed = tf.stack([seed, tf.zeros_like(seed)])
    seed = tf.cast(seed, tf.int64)
    if seed.shape.rank is not None and (seed.shape.rank != 1 or (seed.shape[0] is not None and seed.shape[0] != 2)):
        raise ValueError(f"`seed` must have shape [2]; got {seed.shape}.")
    return tf.reshape(seed, [2])


def fold_in(seed, value):
    """Derives a new seed from `seed` and an integer (e.g. epoch or index)."""
    return tf.random.experimental.stateless_fold_in(as_seed(seed), tf.cast(value, tf.int64))


class Draws:
    """Hands out independent stateless draws from one seed.

    Each method call consumes a fresh sub-seed, so the order of calls defines
    which numbers each parameter gets; a layer that makes the same calls with
    the same seed gets the same parameters.
    """

    def __init__(self, seed):
        self._seed = as_seed(seed)
        self._count = 0

    def next_seed(self):
        self._count += 1
        return fold_in(self._seed, self._count)

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype=tf.float32):
        """Uniform floats in [minval, maxval)."""
        u = tf.random.stateless_uniform(shape, seed=self.next_seed(), dtype=dtype)
        return minval + (maxval - minval) * u

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=tf.float32):
        return tf.random.stateless_normal(shape, seed=self.next_seed(), mean=mean, stddev=stddev, dtype=dtype)

    def integers(self, shape, minval, maxval):
        """Integers in [minval, maxval) (int32)."""
        return tf.random.stateless_uniform(
            shape, seed=self.next_seed(), minval=minval, maxval=maxval, dtype=tf.int32
        )

    def bernoulli(self, shape, probability):
        """Booleans that are True with `probability`."""
        return tf.random.stateless_uniform(shape, seed=self.next_seed()) < probability

    def gamma(self, shape, alpha):
        """Gamma(alpha, 1) draws by Marsaglia–Tsang with a fixed number of tries.

        Built from stateless normal/uniform draws only, so it compiles under
        XLA. Alpha below 1 uses the boost Gamma(a) = Gamma(a + 1) * U^(1/a).
        Eight proposals per sample leave a rejection probability under 1e-9
        for alpha >= 1; the last proposal is used if all are rejected.
        """
        alpha = tf.cast(alpha, tf.float32)
        tries = 8
        boosted = tf.where(alpha < 1.0, alpha + 1.0, alpha)
        d = boosted - 1.0 / 3.0
        c = 1.0 / tf.sqrt(9.0 * d)
        x = self.normal([tries] + list(shape))
        u = self.uniform([tries] + list(shape))
        v = tf.pow(1.0 + c * x, 3.0)
        ok = (v > 0.0) & (tf.math.log(tf.maximum(u, 1e-30)) < 0.5 * x * x + d - d * v + d * tf.math.log(tf.maximum(v, 1e-30)))
        candidates = d * tf.maximum(v, 0.0)
        # Index of the first accepted proposal, or the last one.
        first = tf.argmax(tf.cast(ok, tf.int32), axis=0, output_type=tf.int32)
        any_ok = tf.reduce_any(ok, axis=0)
        first = tf.where(any_ok, first, tries - 1)
        sample = tf.reduce_sum(candidates * tf.one_hot(first, tries, axis=0), axis=0)
        boost = tf.pow(tf.maximum(self.uniform(shape), 1e-30), 1.0 / tf.maximum(alpha, 1e-6))
        return tf.where(alpha < 1.0, sample * boost, sample)

    def beta(self, shape, alpha, beta):
        """Beta(alpha, beta) as G1 / (G1 + G2) of two XLA-safe gamma draws."""
        g1 = self.gamma(shape, alpha)
        g2 = self.gamma(shape, beta)
        return g1 / tf.maximum(g1 + g2, 1e-30)
