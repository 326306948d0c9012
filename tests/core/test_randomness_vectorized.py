"""The vectorized key derivation and shared stream hashing give the scalar formulas' bits.

`Draws` derives its streams' keys eight at a time and hashes batch-sized vector
draws of all those streams at once; `fold_in_draws` does the same for several
folded seeds. Each draw must still be `_bits(shape, *_derive(keys, count))` of its
own seed's keys, the per-stream formula every seed's draws were defined by.
"""

import numpy as np
import pytest
import tensorflow as tf

from keras_aug.core import randomness as r

# More draws than one chunk of derived keys, vector and non-vector shapes interleaved.
SHAPES = [[5], [5], [2, 5], [5], [3], [5], [5], [5], [5], [5], [5, 1], [5]]


def scalar_units(seed, shapes):
    """Floats in [0, 1) of each draw in turn, stream by stream with the scalar formulas."""
    keys = r._keys(seed if isinstance(seed, int) else r.as_seed(seed))
    return [r._unit_float(r._bits(shape, *r._derive(*keys, count))) for count, shape in enumerate(shapes, 1)]


def units(draws, shapes):
    return [draws._unit(shape) for shape in shapes]


@pytest.mark.parametrize("seed", [7, 2**40 + 3, [5, -9]])
def test_draws_equal_the_scalar_streams(seed):
    for got, want in zip(units(r.Draws(seed), SHAPES), scalar_units(seed, SHAPES)):
        np.testing.assert_array_equal(got, want)


def test_fold_in_draws_in_a_graph_equal_draws_of_each_folded_seed():
    values, shapes = [1, 9], [[5], [2, 5], [5], [3]]  # past a chunk of streams: the test above

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32), tf.TensorSpec([2], tf.int32)])
    def together(n, seed):  # n unknown while tracing, as a batch size is in the data path
        own = [[n] if shape == [5] else shape for shape in shapes]
        return [units(d, own) + [d.seed] for d in r.fold_in_draws(seed, values)]

    seed = tf.constant([3, 4])
    got = together(tf.constant(5), seed)
    want = [scalar_units(r.fold_in(seed, v), shapes) + [r.fold_in(seed, v)] for v in values]
    for g, w in zip(tf.nest.flatten(got), tf.nest.flatten(want)):
        np.testing.assert_array_equal(g, w)


def test_public_draws_of_fold_in_draws_equal_those_of_draws():
    (folded,) = r.fold_in_draws(11, [4])
    alone = r.Draws(r.fold_in(11, 4))
    for name, args in [("uniform", ([6], -2.0, 3.0)), ("integers", ([6], 0, 9)), ("bernoulli", ([6], 0.3)),
                       ("normal", ([6],)), ("gamma", ([6], 0.7))]:
        np.testing.assert_array_equal(getattr(folded, name)(*args), getattr(alone, name)(*args), err_msg=name)
