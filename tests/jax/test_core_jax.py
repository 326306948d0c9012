"""The core under the JAX backend: same draws and call seeds as TensorFlow, JAX arrays out."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_aug.core import Augmentation
from keras_aug.core import backend
from keras_aug.core import randomness


def _draws(seed):
    d = randomness.Draws(seed)
    return [d.uniform([7], -2.0, 3.0), d.normal([2, 3]), d.integers([9], -3, 4), d.bernoulli([8], 0.3),
            d.beta([5], 0.4, 0.7), randomness.fold_in(seed, 11), d.noise_normal([3, 5])]


@pytest.mark.parametrize("seed", [7, 2**40 + 3, (123, 456)])
def test_draws_match_tensorflow_bit_for_bit(seed):
    with backend.computing_with("tensorflow"):
        expected = [np.asarray(v) for v in _draws(seed if not isinstance(seed, tuple) else tf.constant(seed, tf.int64))]
    got = [np.asarray(v) for v in _draws(seed if not isinstance(seed, tuple) else jnp.asarray(seed, jnp.int32))]
    names = ["uniform", "normal", "integers", "bernoulli", "beta", "fold_in", "noise_normal"]
    for name, e, g in zip(names, expected, got, strict=True):
        if name in ("normal", "beta", "noise_normal"):  # log / cos / exp: float round-off only
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6, err_msg=name)
        else:
            np.testing.assert_array_equal(g, e.astype(g.dtype), err_msg=name)


def test_draws_under_jit_equal_eager():
    eager = _draws(jnp.asarray([5, 6], jnp.int32))
    jitted = jax.jit(_draws)(jnp.asarray([5, 6], jnp.int32))
    for e, j in zip(eager, jitted):
        np.testing.assert_allclose(np.asarray(j), np.asarray(e), rtol=1e-6, atol=1e-6)


def test_int32_seed_sign_extends_like_int64():
    with backend.computing_with("tensorflow"):
        expected = np.asarray(randomness.Draws(tf.constant([-5, 9], tf.int64)).uniform([4]))
    got = np.asarray(randomness.Draws(jnp.asarray([-5, 9], jnp.int32)).uniform([4]))
    np.testing.assert_array_equal(got, expected)


def test_tf_int64_seeds_keep_their_words_under_the_jax_backend():
    # A word >= 2**31 (fold_in outputs often have one): keras.ops' TF functions
    # promote with JAX's 32-bit rules here, which once lost the high word.
    seed = [656761758, 2749901259]
    with backend.computing_with("tensorflow"):
        low, high = randomness._words(tf.constant(seed, tf.int64))
        expected = np.asarray(randomness.Draws(tf.constant(seed, tf.int64)).uniform([6]))
    np.testing.assert_array_equal(np.asarray(low), seed)
    np.testing.assert_array_equal(np.asarray(high), [0, 0])
    got = np.asarray(randomness.Draws(jnp.asarray(seed, jnp.uint32)).uniform([6]))  # zero-extended words
    np.testing.assert_array_equal(got, expected)


class _AddUniform(Augmentation):
    """A test layer: adds one uniform draw per sample (the seed stream made visible)."""

    def sample(self, shape, draws):
        return {"u": draws.uniform([shape.batch_size])}

    def apply_images(self, images, params, batch):
        return images + params["u"][:, None, None, None]


def test_layer_calls_use_the_same_seeds_as_tensorflow():
    x = np.zeros((3, 2, 2, 1), "float32")
    layer = _AddUniform(seed=42)
    jax_calls = [np.asarray(layer(x, training=True)) for _ in range(3)]
    assert all(isinstance(layer(x, training=True, seed=(1, 2)), jax.Array) for _ in range(1))
    tf_layer = _AddUniform(seed=42)
    step = tf.function(lambda v: tf_layer(v, training=True))
    tf_calls = [step(tf.constant(x)).numpy() for _ in range(3)]
    for j, t in zip(jax_calls, tf_calls):
        np.testing.assert_array_equal(j, t)
    assert not np.array_equal(jax_calls[0], jax_calls[1])


def test_counter_advances_statelessly_under_jit():
    layer = _AddUniform(seed=3)
    x = np.zeros((2, 2, 2, 1), "float32")
    layer.build(x.shape)
    state = [v.value for v in layer.non_trainable_variables]

    @jax.jit
    def step(state, x):
        return layer.stateless_call([], state, x, training=True)

    first, state = step(state, x)
    second, state = step(state, x)
    reference = _AddUniform(seed=3)
    np.testing.assert_array_equal(np.asarray(first), np.asarray(reference(x, training=True)))
    np.testing.assert_array_equal(np.asarray(second), np.asarray(reference(x, training=True)))


def test_tf_tensors_under_jax_backend_compute_with_tensorflow():
    layer = _AddUniform(seed=1)
    out = tf.data.Dataset.from_tensors(np.zeros((2, 2, 2, 1), "float32")).map(
        lambda v: layer(v, training=True)).get_single_element()
    assert isinstance(out, tf.Tensor)
    assert keras.backend.backend() == "jax"


def test_dtype_names_of_jax_dtypes_classes_and_arrays():
    from keras_aug.core import dtypes

    assert dtypes.name_of(jnp.float32) == "float32"  # a class with `shape` and `dtype` attributes
    assert dtypes.name_of(jnp.bfloat16) == "bfloat16"
    assert dtypes.name_of(jnp.dtype("int32")) == "int32"
    assert dtypes.name_of(jnp.zeros(2, jnp.uint8)) == "uint8"
