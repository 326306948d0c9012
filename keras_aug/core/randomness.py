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
execution mode and on every Keras backend: the same seed gives the same bits
under TensorFlow and JAX. (Gamma is built from these uniforms: TF has no XLA
gamma.) Written on `keras_aug.core.backend.ops`, so it runs on the backend of
the current call.
"""

import math

import numpy as np

from keras_aug.core.backend import current
from keras_aug.core.backend import dtype_name
from keras_aug.core.backend import in_tf_graph
from keras_aug.core.backend import ops

_MASK = 0xFFFFFFFF
_GOLDEN = 0x9E3779B9
_SALT = 0x632BE5AB
# Stream keys a `Draws` derives per vectorized pass (a layer draws 1 to 6 times, a policy more).
_KEYS_AHEAD = 8
# Vector draws up to this static size take their bits from a hash of all derived streams (`_Streams`).
_VECTOR_BITS_MAX = 4096


def _const(value):
    # Tracing time is per op: a uint32 scalar converts to one constant (a python int
    # with dtype="uint32" to an int constant and a cast, Keras's TF conversion), and
    # in a TF graph each constant is made once (`_tf_fast_path.graph_constant`).
    value = np.uint32(value & _MASK)
    if current() == "tensorflow" and in_tf_graph():
        from keras_aug.core import _tf_fast_path

        return _tf_fast_path.graph_constant(value)
    return ops.convert_to_tensor(value)


def _float_const(value):
    """A float32 constant of the matrix maths' draws: in a TF graph made once per graph and
    value (as `_const`); elsewhere the Python float, which converts to the same float32."""
    if current() == "tensorflow" and in_tf_graph():
        from keras_aug.core import _tf_fast_path

        return _tf_fast_path.graph_constant(np.float32(value))
    return value


def _shift(x, bits):
    return ops.right_shift(x, _const(bits))


def _mix(x):
    """lowbias32 (C. Wellons): a fast, well-mixing bijection on uint32."""
    x = ops.bitwise_xor(x, _shift(x, 16))
    x = x * _const(0x7FEB352D)
    x = ops.bitwise_xor(x, _shift(x, 15))
    x = x * _const(0x846CA68B)
    return ops.bitwise_xor(x, _shift(x, 16))


def _mix_int(x):
    """`_mix` on a python int (for constants and int seeds: no graph ops)."""
    x ^= x >> 16
    x = (x * 0x7FEB352D) & _MASK
    x ^= x >> 15
    x = (x * 0x846CA68B) & _MASK
    return x ^ (x >> 16)


def _keys_of_words(lo0, hi0, lo1, hi1, mix, add):
    """Two uint32 keys from the four 32-bit words of a seed (all of them contribute)."""
    k0 = mix(lo0 ^ mix(add(hi0, _GOLDEN)))
    k1 = mix(lo1 ^ mix(add(hi1, k0)))
    return k0, k1


def _words(seed):
    """(low, high) uint32 words of each seed element, as an int64 seed would have them.

    int64 seeds (TensorFlow) are split; int32 seeds (JAX, where int64 is off by
    default) are sign-extended and uint32 seeds zero-extended, so one numeric
    seed gives the same words, hence the same draws, on every backend.
    """
    dtype = dtype_name(seed)
    if dtype in ("int64", "uint64") and current() == "tensorflow":
        from keras_aug.core import _tf_fast_path

        return _tf_fast_path.int64_words(seed)
    if dtype in ("int64", "uint64"):
        lo = ops.cast(ops.bitwise_and(seed, ops.convert_to_tensor(_MASK, dtype)), "uint32")
        hi = ops.cast(ops.bitwise_and(ops.right_shift(seed, ops.convert_to_tensor(32, dtype)),
                                      ops.convert_to_tensor(_MASK, dtype)), "uint32")
        return lo, hi
    lo = ops.cast(seed, "uint32")
    if dtype == "uint32":
        return lo, ops.zeros_like(lo)
    return lo, ops.where(seed < 0, _const(_MASK), _const(0))


def _keys(seed):
    """Two uint32 keys of a seed: a python int or an integer tensor of shape [2]."""
    if isinstance(seed, int):  # folded in Python: constants, no graph ops
        k0, k1 = _keys_of_words(seed & _MASK, (seed >> 32) & _MASK, 0, 0,
                                _mix_int, lambda a, b: (a + b) & _MASK)
        return _const(k0), _const(k1)
    lo, hi = _words(seed)
    return _keys_of_words(lo[0], hi[0], lo[1], hi[1], _mix,
                          lambda a, b: a + (_const(b) if isinstance(b, int) else b))


def _derive(k0, k1, value):
    """Keys of sub-stream `value` (a python int or uint32 scalar) of the keys (k0, k1)."""
    if isinstance(value, int):
        v = _const(value)
        salted = _const(_mix_int((value + _SALT) & _MASK))  # folded in Python
    else:
        v = value
        salted = _mix(v + _const(_SALT))
    a = _mix(ops.bitwise_xor(k0, salted))
    b = _mix(k1 + _mix(ops.bitwise_xor(v, a)))
    return a, b


def _derive_many(k0, k1, values):
    """`_derive(k0, k1, value)` for each python int in `values`, as one vectorized pass.

    Returns uint32 tensors (a, b) of shape `broadcast(k0.shape, [len(values)])`: the
    keys of sub-stream `values[j]` at [..., j], bit-identical to the scalar `_derive`.
    One pass costs the ops of one scalar derivation (about 27) for any number of values.
    """
    v = _const_vector(values)
    salted = _const_vector([_mix_int((value + _SALT) & _MASK) for value in values])
    a = _mix(ops.bitwise_xor(k0, salted))
    b = _mix(k1 + _mix(ops.bitwise_xor(v, a)))
    return a, b


def _const_vector(values):
    return ops.convert_to_tensor(np.asarray([value & _MASK for value in values], dtype=np.uint32))


def _size(shape):
    size = 1
    for dim in shape:
        size = size * dim
    return size


def _bits(shape, k0, k1):
    """uint32 bits of `shape` (a list of ints or scalar tensors) from stream keys (k0, k1).

    A pure function of the keys and the position in the flattened shape.
    """
    counter = ops.cast(ops.arange(_size(shape), dtype="int32"), "uint32")
    return ops.reshape(_hash(counter, k0, k1), list(shape))


def _hash(counter, k0, k1):
    """uint32 bits for each uint32 counter value, from stream keys (k0, k1)."""
    x = _mix(counter * _const(_GOLDEN) + k0)
    x = _mix(ops.bitwise_xor(x, k1))
    return _mix(x + k0)


def _unit_float(bits):
    """Floats in [0, 1) with the top 24 of uint32 `bits`."""
    return ops.cast(_shift(bits, 8), "float32") * _float_const(1.0 / (1 << 24))


def _turn_cos(angle_bits):
    """cos(2 pi * angle_bits / 2^16) for uint32 angle_bits < 2^16, without XLA's slow `cos`.

    The top two bits pick the quadrant; the low 14 give x in [0, pi/2), where
    Taylor polynomials to x^10 / x^11 are within 6e-7 of cos and sin.
    """
    quadrant = _shift(angle_bits, 14)
    x = ops.cast(ops.bitwise_and(angle_bits, _const(0x3FFF)), "float32") * (math.pi / 2 / 16384)
    x2 = x * x
    c = 1.0 + x2 * (-1 / 2 + x2 * (1 / 24 + x2 * (-1 / 720 + x2 * (1 / 40320 - x2 / 3628800))))
    s = x * (1.0 + x2 * (-1 / 6 + x2 * (1 / 120 + x2 * (-1 / 5040 + x2 * (1 / 362880 - x2 / 39916800)))))
    # cos(q pi/2 + x) for q = 0..3: c, -s, -c, s.
    odd = ops.equal(ops.bitwise_and(quadrant, _const(1)), _const(1))
    negative = ops.equal(quadrant, _const(1)) | ops.equal(quadrant, _const(2))
    value = ops.where(odd, s, c)
    return ops.where(negative, -value, value)


def _as_shape(shape):
    """A shape as a list of python ints or scalar tensors."""
    if isinstance(shape, (list, tuple)):
        return list(shape)
    return [shape[i] for i in range(int(shape.shape[0]))]


def as_seed(seed):
    """Converts a seed (int, pair, or integer tensor) to an integer tensor of shape [2].

    Python ints give int64 on TensorFlow and int32 on JAX when they fit (the
    same draws either way); integer tensors keep their dtype.
    """
    if isinstance(seed, int):
        seed = [seed, 0]
    if isinstance(seed, (list, tuple)):
        if not all(isinstance(s, int) for s in seed):
            raise ValueError(f"`seed` must be an int or a pair of ints; got {seed!r}.")
        seed = ops.convert_to_tensor(seed, _int_seed_dtype(seed))
    seed = ops.convert_to_tensor(seed)
    dtype = dtype_name(seed)
    if not dtype.startswith(("int", "uint")):
        raise ValueError(f"`seed` must be an integer tensor of shape [2]; got dtype {dtype}.")
    if len(seed.shape) == 0:
        seed = ops.stack([seed, ops.zeros_like(seed)])
    if len(seed.shape) != 1 or (seed.shape[0] is not None and seed.shape[0] != 2):
        raise ValueError(f"`seed` must have shape [2]; got {tuple(seed.shape)}.")
    return ops.reshape(seed, [2])


def _int_seed_dtype(values):
    if current() == "tensorflow":
        return "int64"
    if all(-(2**31) <= v < 2**31 for v in values):
        return "int32"
    raise ValueError(
        f"`seed` {values!r} does not fit in int32, the widest integer of the JAX backend "
        "without x64; pass a python int seed to a layer (any size works there)."
    )


def fold_in(seed, value):
    """Derives a new seed from `seed` and an integer (e.g. epoch or index); same in every mode.

    The result is int64 on TensorFlow and uint32 on JAX, with the same values.
    """
    k0, k1 = _keys(seed if isinstance(seed, int) else as_seed(seed))
    if not isinstance(value, int):
        lo, _ = _words(ops.reshape(value, [1]))
        value = lo[0]
    return _seed_of_words(*_derive(k0, k1, value))


def _seed_of_words(a, b):
    """The seed tensor [a, b] that `fold_in` returns for derived uint32 keys (a, b)."""
    dtype = "int64" if current() == "tensorflow" else "uint32"
    return ops.stack([ops.cast(a, dtype), ops.cast(b, dtype)])


def _keys_of_folded(a, b):
    """`_keys` of the seeds `fold_in` returns as [a, b], for uint32 tensors a, b of any shape.

    Such a seed's words are (a, 0, b, 0); the zero high words fold in Python.
    """
    def mix(x):
        return _mix_int(x) if isinstance(x, int) else _mix(x)

    def add(x, y):
        if isinstance(x, int) and isinstance(y, int):
            return (x + y) & _MASK
        return y if isinstance(x, int) and x == 0 else x + (_const(y) if isinstance(y, int) else y)

    return _keys_of_words(a, 0, b, 0, mix, add)


def fold_in_draws(seed, values):
    """`[Draws(fold_in(seed, v)) for v in values]` (python ints), derived in vectorized passes.

    The same draws, bit for bit, as building each `Draws` on its own; but the keys
    of every folded seed and of each one's first `_KEYS_AHEAD` streams come from three
    vectorized passes instead of three per seed plus one per draw, which shortens a
    graph that samples several layers (e.g. `compose.sample_layers`) severalfold.
    """
    values = list(values)
    k0, k1 = _keys(seed if isinstance(seed, int) else as_seed(seed))
    a, b = _derive_many(k0, k1, values)
    f0, f1 = _keys_of_folded(a, b)
    ahead0, ahead1 = _derive_many(ops.expand_dims(f0, -1), ops.expand_dims(f1, -1),
                                  range(1, _KEYS_AHEAD + 1))
    streams = _Streams(ops.reshape(ahead0, [-1]), ops.reshape(ahead1, [-1]))
    keys = _pairs(f0, f1)
    seed_words = []  # (a, b) scalars, unstacked only if a seed tensor is asked for

    def seed_of(i):
        if not seed_words:
            seed_words.extend(_pairs(a, b))
        return _seed_of_words(*seed_words[i])

    return [Draws._of_keys(keys[i], streams, i * _KEYS_AHEAD, lambda i=i: seed_of(i)) for i in range(len(values))]


class _Streams:
    """The derived keys of consecutive streams (uint32 vectors k0, k1), and their bits, by position.

    The keys unstack to scalars only when a draw asks for them. A draw of one
    batch-sized vector (shape [n]: what the layers' parameter draws are) takes its
    bits from one vectorized hash of every stream here, the rows of a [streams, n]
    hash made once per n: a run of such draws costs one hash chain (about 30 ops)
    instead of one each, and hashes a few thousand counters more, which costs nothing.
    """

    def __init__(self, k0, k1):
        self._k0, self._k1 = k0, k1
        self._keys = None
        self._rows = []  # (n, [the bits of each stream, shape [n]])

    def keys(self, i):
        """(k0, k1) of stream `i`."""
        if self._keys is None:
            self._keys = _pairs(self._k0, self._k1)
        return self._keys[i]

    def vector_bits(self, i, n):
        """`_bits([n], *self.keys(i))`, from the hash of all streams' first n counters."""
        for known, rows in self._rows:
            if known is n or (isinstance(n, int) and isinstance(known, int) and known == n):
                return rows[i]
        counter = ops.expand_dims(ops.cast(ops.arange(n, dtype="int32"), "uint32"), 0)
        rows = ops.unstack(_hash(counter, ops.expand_dims(self._k0, -1), ops.expand_dims(self._k1, -1)))
        self._rows.append((n, rows))
        return rows[i]


def _pairs(a, b):
    """[(a[i], b[i])] of two rank-1 tensors, one unstack op each."""
    return list(zip(ops.unstack(a), ops.unstack(b)))


class Draws:
    """Hands out independent stateless draws from one seed.

    Each method call consumes a fresh sub-seed, so the order of calls defines
    which numbers each parameter gets; a layer that makes the same calls with
    the same seed gets the same parameters.
    """

    def __init__(self, seed):
        # The seed's keys are derived once; the streams' keys then come _KEYS_AHEAD at a
        # time from one vectorized derivation (about 30 graph ops; a graph's size is what
        # tracing, tf.data's per-iterator function set-up and XLA compilation pay for).
        seed = seed if isinstance(seed, int) else as_seed(seed)
        self._keys = _keys(seed)
        self._count = 0
        self._streams, self._next, self._left = None, 0, 0
        self._seed_fn = lambda: as_seed(seed)

    @classmethod
    def _of_keys(cls, keys, streams, first, seed_fn):
        """A `Draws` from its seed's keys, its first `_KEYS_AHEAD` streams (`streams` from
        position `first`), and `seed_fn() -> its seed tensor`."""
        draws = cls.__new__(cls)
        draws._keys, draws._count, draws._seed_fn = keys, 0, seed_fn
        draws._streams, draws._next, draws._left = streams, first, _KEYS_AHEAD
        return draws

    @property
    def seed(self):
        """The seed tensor (shape [2]) these draws come from, for a layer that samples from a seed."""
        return self._seed_fn()

    def _next_stream(self):
        """(streams, position) of the next independent stream."""
        self._count += 1
        if not self._left:
            # Streams count, ..., count + _KEYS_AHEAD - 1, as `_derive(*self._keys, count)` would give each.
            self._streams = _Streams(*_derive_many(*self._keys, range(self._count, self._count + _KEYS_AHEAD)))
            self._next, self._left = 0, _KEYS_AHEAD
        self._next, self._left = self._next + 1, self._left - 1
        return self._streams, self._next - 1

    def next_keys(self):
        """Keys (k0, k1) of the next independent stream."""
        streams, i = self._next_stream()
        return streams.keys(i)

    def _unit(self, shape):
        """Floats in [0, 1) of `shape` from the next stream: `_unit_float(_bits(shape, *self.next_keys()))`."""
        shape = _as_shape(shape)
        streams, i = self._next_stream()
        vector = len(shape) == 1 and not (isinstance(shape[0], int) and shape[0] > _VECTOR_BITS_MAX)
        bits = streams.vector_bits(i, shape[0]) if vector else _bits(shape, *streams.keys(i))
        return _unit_float(bits)

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype="float32"):
        """Uniform floats in [minval, maxval)."""
        u = ops.cast(self._unit(shape), dtype)
        if dtype == "float32" and isinstance(minval, (int, float)) and isinstance(maxval, (int, float)):
            # The same float32 values, one constant per graph and value.
            return _float_const(minval) + _float_const(maxval - minval) * u
        return minval + (maxval - minval) * u

    def normal(self, shape, mean=0.0, stddev=1.0, dtype="float32"):
        # Box-Muller on two independent uniforms.
        u = self._unit([2] + _as_shape(shape))
        r = ops.sqrt(-2.0 * ops.log(1.0 - u[0]))
        z = r * ops.cos((2.0 * math.pi) * u[1])
        return ops.cast(mean + stddev * z, dtype)

    def noise_normal(self, shape):
        """Standard normals (float32) for per-pixel noise, about 13x cheaper than `normal`.

        `normal` spends one hash word per uniform and a `cos` per value, and XLA's
        `cos` on a CPU costs ten times the hashing (0.60 against 8.1 CPU ms for
        224 x 224 x 3 values under `jit_compile=True`). Here one 32-bit word gives
        both uniforms of a Box-Muller pair (16 bits each) and BOTH outputs are
        kept, the sin as the cos a quarter turn back, each from the angle's quadrant
        (2 bits) and a polynomial on the quarter turn (14 bits; error under 1e-6). The 16-bit radius uniform, taken
        at its bins' midpoints, caps |z| at sqrt(2 ln 2^17) = 4.85, a tail a true
        normal exceeds with probability 1.2e-6 per value: right for image noise, not
        for tail-sensitive sampling (use `normal` there).
        """
        shape = _as_shape(shape)
        size = _size(shape)
        pairs = (size + 1) // 2
        # Element i takes pair i mod `pairs`: cos for the first half, sin for the rest
        # (as cos of the angle a quarter turn back). One array, no concatenation:
        # XLA's CPU code for a concatenation of transcendentals is 30x slower.
        index = ops.cast(ops.arange(size, dtype="int32"), "uint32")
        pairs = ops.cast(pairs, "uint32")  # a tensor when the batch size is not static
        second_half = ops.greater_equal(index, pairs)
        words = _hash(ops.where(second_half, index - pairs, index), *self.next_keys())
        radius_bits = ops.cast(_shift(words, 16), "float32")
        r = ops.sqrt(-2.0 * ops.log((radius_bits + 0.5) * (1.0 / 65536.0)))
        angle = ops.where(second_half, words - _const(0x4000), words)
        return ops.reshape(r * _turn_cos(ops.bitwise_and(angle, _const(0xFFFF))), shape)

    def integers(self, shape, minval, maxval):
        """Integers in [minval, maxval) (int32)."""
        u = self._unit(shape)
        span = ops.cast(maxval, "float32") - ops.cast(minval, "float32")
        k = ops.cast(ops.floor(u * span), "int32")
        return ops.cast(minval, "int32") + ops.minimum(k, ops.cast(span, "int32") - 1)

    def bernoulli(self, shape, probability):
        """Booleans that are True with `probability`."""
        return self._unit(shape) < probability

    def gamma(self, shape, alpha):
        """Gamma(alpha, 1) draws by Marsaglia–Tsang with a fixed number of tries.

        Built from stateless normal/uniform draws only, so it compiles under
        XLA. Alpha below 1 uses the boost Gamma(a) = Gamma(a + 1) * U^(1/a).
        Eight proposals per sample leave a rejection probability under 1e-9
        for alpha >= 1; the last proposal is used if all are rejected.
        """
        alpha = ops.cast(alpha, "float32")
        tries = 8
        boosted = ops.where(alpha < 1.0, alpha + 1.0, alpha)
        d = boosted - 1.0 / 3.0
        c = 1.0 / ops.sqrt(9.0 * d)
        x = self.normal([tries] + _as_shape(shape))
        u = self.uniform([tries] + _as_shape(shape))
        v = ops.power(1.0 + c * x, 3.0)
        ok = (v > 0.0) & (ops.log(ops.maximum(u, 1e-30)) < 0.5 * x * x + d - d * v + d * ops.log(ops.maximum(v, 1e-30)))
        candidates = d * ops.maximum(v, 0.0)
        # Index of the first accepted proposal, or the last one.
        first = ops.cast(ops.argmax(ops.cast(ok, "int32"), axis=0), "int32")
        any_ok = ops.any(ok, axis=0)
        first = ops.where(any_ok, first, tries - 1)
        sample = ops.sum(candidates * ops.one_hot(first, tries, axis=0, dtype="float32"), axis=0)
        boost = ops.power(ops.maximum(self.uniform(shape), 1e-30), 1.0 / ops.maximum(alpha, 1e-6))
        return ops.where(alpha < 1.0, sample * boost, sample)

    def log_gamma(self, shape, alpha):
        """log of Gamma(alpha, 1) draws for any alpha > 0, without underflow.

        Gamma(a) = Gamma(a + 1) * U^(1/a), taken in log space: for small alpha
        the gamma draw itself underflows to 0 in float32, its log does not.
        """
        alpha = ops.cast(alpha, "float32")
        g = self.gamma(shape, alpha + 1.0)
        u = self.uniform(shape)
        return ops.log(ops.maximum(g, 1e-30)) + ops.log(ops.maximum(u, 1e-37)) / alpha

    def beta(self, shape, alpha, beta):
        """Beta(alpha, beta) = sigmoid(log G1 - log G2) of two XLA-safe gamma draws.

        The ratio G1 / (G1 + G2) collapses to 0 or NaN for alpha, beta below
        about 0.05 (both draws underflow); the log-space form stays exact.
        """
        return ops.sigmoid(self.log_gamma(shape, alpha) - self.log_gamma(shape, beta))
