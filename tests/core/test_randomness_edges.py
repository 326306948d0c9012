"""Seeds given as python ints are folded in Python; they must draw what the same seed as a tensor draws."""

import numpy as np
import pytest
import tensorflow as tf

from keras_aug.core import randomness

# Small, above 32 bits (the high word counts), and negative (sign-extended high word).
SEEDS = [0, 7, 2**33 + 5, -3]


@pytest.mark.parametrize("seed", SEEDS)
def test_int_seed_draws_like_the_same_seed_as_a_tensor(seed):
    as_tensor = tf.constant([seed, 0], tf.int64)
    from_int, from_tensor = randomness.Draws(seed), randomness.Draws(as_tensor)
    np.testing.assert_array_equal(from_int.uniform([16]), from_tensor.uniform([16]))
    np.testing.assert_array_equal(from_int.integers([16], -5, 9), from_tensor.integers([16], -5, 9))
    np.testing.assert_array_equal(randomness.fold_in(seed, 4), randomness.fold_in(as_tensor, 4))
    # The folded-in value as a python int or as a tensor: the same derived seed.
    np.testing.assert_array_equal(randomness.fold_in(seed, 4), randomness.fold_in(seed, tf.constant(4)))


def test_int_seeds_differ_in_their_high_word():
    low = randomness.Draws(5).uniform([16])
    assert not np.allclose(low, randomness.Draws(2**32 + 5).uniform([16]))
    assert not np.allclose(low, randomness.Draws(-(2**32) + 5).uniform([16]))


def test_fold_in_gives_an_int64_seed_on_tensorflow():
    # Documented: int64 on TensorFlow (the dtype tf.data and tf.random take), and
    # a valid seed for the next fold.
    derived = randomness.fold_in(tf.constant([1, 2], tf.int64), 3)
    assert derived.dtype == tf.int64 and derived.shape == (2,)
    assert randomness.fold_in(derived, 1).dtype == tf.int64
