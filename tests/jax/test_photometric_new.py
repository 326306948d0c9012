"""The new colour layers under the JAX backend: the same numbers as under TensorFlow.

AutoContrast, Equalization, CLAHE, RandomColorDegeneration and GaussianNoise,
on a uint8 and a float32 batch with alpha: a call with a call seed on jnp
arrays (eagerly and under `jax.jit`) equals the same call on tf tensors
(computed with TensorFlow) within 1e-3 on 0-255 values (uint8: one level);
drawn parameters bit for bit (Gaussian
noise: within float32 rounding, log and cos may differ in the last bit). JPEG has no JAX path: it refuses jnp arrays
with a clear error and runs in a tf.data map of a JAX-backend process.

Collected only under KERAS_BACKEND=jax (see tests/jax/conftest.py).
"""

import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf

from keras_aug.layers import photometric as P
from test_photometric import BATCHES
from test_photometric import assert_same_images
from test_photometric import assert_same_params
from test_photometric import call_on_jax
from test_photometric import call_on_tensorflow
from test_photometric import params_with

LAYERS = {
    "AutoContrast": lambda: P.AutoContrast(),
    # 16 bins: PIL's rule leaves images of under ~256 pixels unchanged at 256 bins.
    "Equalization": lambda: P.Equalization(bins=16),
    "CLAHE": lambda: P.CLAHE(tile_grid_size=(3, 4)),
    "RandomColorDegeneration": lambda: P.RandomColorDegeneration((0.2, 1.0)),
    "GaussianNoise": lambda: P.GaussianNoise(mean=(-0.02, 0.02), sigma=(0.02, 0.1)),
}


@pytest.mark.parametrize("dtype", sorted(BATCHES))
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_jax_equals_tensorflow_eagerly_and_under_jit(name, dtype):
    layer, images = LAYERS[name](), BATCHES[dtype]
    expected = call_on_tensorflow(layer, images)
    assert not np.array_equal(expected, images)  # the comparison is not between two no-ops
    assert_same_images(call_on_jax(layer, images, jit=False), expected, dtype)
    assert_same_images(call_on_jax(layer, images, jit=True), expected, dtype)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_parameters_equal_tensorflow_bit_for_bit(name):
    layer, images = LAYERS[name](), BATCHES["uint8"]
    expected = params_with(layer, images, "tensorflow")
    # Normal draws go through log and cos, whose last bit may differ between backends.
    assert_same_params(params_with(layer, images, "jax"), expected, exact=name != "GaussianNoise")
    assert_same_params(params_with(layer, images, "jax", jit=True), expected, exact=False)


def test_jpeg_refuses_jax_arrays_and_runs_in_tf_data():
    layer, images = P.JPEG((20, 80), seed=3), BATCHES["uint8"][..., :3]
    with pytest.raises(ValueError, match="tf.data"):
        layer(jnp.asarray(images), training=True)
    mapped = next(iter(tf.data.Dataset.from_tensor_slices(images).batch(len(images)).map(
        lambda x: layer(x, seed=(1, 2)))))
    np.testing.assert_array_equal(mapped.numpy(), call_on_tensorflow(layer, images))
    assert not np.array_equal(mapped.numpy(), images)
