"""Stateless, per-sample random draws.

Every random number a layer uses comes from a `Draws` object built on one
stateless seed (a shape-[2] integer tensor). Each named draw folds its own
counter into that seed, so draws are independent of each other, reproducible
for a given seed, and compile under XLA.

The bits come from a counter-based integer hash written with plain uint32
arithmetic, not from `tf.random.stateless_*`: TF's stateless kernels return
DIFFERENT numbers under `jit_compile=True` than eagerly or in a tf.data map
for the same seed, so the same seed would give different augmentations in a
compiled model and in the data pipeline. Integer hashing is bit-exact in every
execution mode. (Gamma is built from these uniforms: TF has no XLA gamma.)
"""

import math

import tensorflow as tf

_MASK = 0xFFFFFFFF


def _u32(x):
    return tf.cast(tf.bitwise.bitwise_and(tf.cast(x, tf.int64), _MASK), tf.uint32)


def _mix(x):
    """lowbias32 (C. Wellons): a fast, well-mixing bijection on uint32."""
    x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(16, tf.uint32)))
    x = x * tf.constant(0x7FEB352D, tf.uint32)
    x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(15, tf.uint32)))
    x = x * tf.constant(0x846CA68B, tf.uint32)
    return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(16, tf.uint32)))


def _keys(seed):
    """Two uint32 keys from an int64 [2] seed (all 128 seed bits contribute)."""
    s = tf.cast(seed, tf.int64)
    lo = _u32(s)
    hi = _u32(tf.bitwise.right_shift(s, tf.constant(32, tf.int64)))
    k0 = _mix(lo[0] ^ _mix(hi[0] + tf.constant(0x9E3779B9, tf.uint32)))
    k1 = _mix(lo[1] ^ _mix(hi[1] + k0))
    return k0, k1


def _mix_int(x):
    """`_mix` on a python int (for constants: no graph ops)."""
    x ^= x >> 16
    x = (x * 0x7FEB352D) & _MASK
    x ^= x >> 15
    x = (x * 0x846CA68B) & _MASK
    return x ^ (x >> 16)


def _derive(k0, k1, value):
    """Keys of sub-stream `value` (a python int or uint32 scalar) of the keys (k0, k1)."""
    if isinstance(value, int):
        v = tf.constant(value & _MASK, tf.uint32)
        salted = tf.constant(_mix_int((value + 0x632BE5AB) & _MASK), tf.uint32)  # folded in Python
    else:
        v = value
        salted = _mix(v + tf.constant(0x632BE5AB, tf.uint32))
    a = _mix(k0 ^ salted)
    b = _mix(k1 + _mix(v ^ a))
    return a, b


def _bits(shape, k0, k1):
    """uint32 bits of `shape` from stream keys (k0, k1): a pure function of keys and position."""
    n = tf.reduce_prod(tf.cast(shape, tf.int32))
    counter = tf.cast(tf.range(n), tf.uint32)
    x = _mix(counter * tf.constant(0x9E3779B9, tf.uint32) + k0)
    x = _mix(x ^ k1)
    x = _mix(x + k0)
    return tf.reshape(x, shape)


def _unit_uniform(shape, keys):
    """Floats in [0, 1) with 24 random bits, from stream keys (k0, k1)."""
    bits = tf.bitwise.right_shift(_bits(shape, *keys), tf.constant(8, tf.uint32))
    return tf.cast(bits, tf.float32) * (1.0 / (1 << 24))


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
    """Derives a new seed from `seed` and an integer (e.g. epoch or index); same in every mode."""
    k0, k1 = _keys(as_seed(seed))
    a, b = _derive(k0, k1, value if isinstance(value, int) else _u32(value))
    return tf.stack([tf.cast(a, tf.int64), tf.cast(b, tf.int64)])


class Draws:
    """Hands out independent stateless draws from one seed.

    Each method call consumes a fresh sub-seed, so the order of calls defines
    which numbers each parameter gets; a layer that makes the same calls with
    the same seed gets the same parameters.
    """

    def __init__(self, seed):
        # The seed's keys are derived once; each draw then costs one key derivation
        # and its bits (about 70 graph ops; a graph's size is what tracing, tf.data's
        # per-iterator function set-up and XLA compilation pay for).
        self._keys = _keys(as_seed(seed))
        self._count = 0

    def next_keys(self):
        """Keys (k0, k1) of the next independent stream."""
        self._count += 1
        return _derive(*self._keys, self._count)

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype=tf.float32):
        """Uniform floats in [minval, maxval)."""
        u = tf.cast(_unit_uniform(shape, self.next_keys()), dtype)
        return minval + (maxval - minval) * u

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=tf.float32):
        # Box-Muller on two independent uniforms.
        u = _unit_uniform(tf.concat([[2], tf.cast(shape, tf.int32)], 0), self.next_keys())
        r = tf.sqrt(-2.0 * tf.math.log(1.0 - u[0]))
        z = r * tf.cos((2.0 * math.pi) * u[1])
        return tf.cast(mean + stddev * z, dtype)

    def integers(self, shape, minval, maxval):
        """Integers in [minval, maxval) (int32)."""
        u = _unit_uniform(shape, self.next_keys())
        span = tf.cast(maxval, tf.float32) - tf.cast(minval, tf.float32)
        k = tf.cast(tf.floor(u * span), tf.int32)
        return tf.cast(minval, tf.int32) + tf.minimum(k, tf.cast(span, tf.int32) - 1)

    def bernoulli(self, shape, probability):
        """Booleans that are True with `probability`."""
        return _unit_uniform(shape, self.next_keys()) < probability

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

    def log_gamma(self, shape, alpha):
        """log of Gamma(alpha, 1) draws for any alpha > 0, without underflow.

        Gamma(a) = Gamma(a + 1) * U^(1/a), taken in log space: for small alpha
        the gamma draw itself underflows to 0 in float32, its log does not.
        """
        alpha = tf.cast(alpha, tf.float32)
        g = self.gamma(shape, alpha + 1.0)
        u = self.uniform(shape)
        return tf.math.log(tf.maximum(g, 1e-30)) + tf.math.log(tf.maximum(u, 1e-37)) / alpha

    def beta(self, shape, alpha, beta):
        """Beta(alpha, beta) = sigmoid(log G1 - log G2) of two XLA-safe gamma draws.

        The ratio G1 / (G1 + G2) collapses to 0 or NaN for alpha, beta below
        about 0.05 (both draws underflow); the log-space form stays exact.
        """
        return tf.sigmoid(self.log_gamma(shape, alpha) - self.log_gamma(shape, beta))
