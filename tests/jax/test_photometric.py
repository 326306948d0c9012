"""Photometric layers under the JAX backend: the same numbers as under TensorFlow.

For every photometric layer, on a uint8 and a float32 batch, a call with a
call seed on jnp arrays (eagerly and under `jax.jit`) is compared with the
same call on tf tensors, which computes with TensorFlow: images within 1e-3 on
0-255 values (uint8: within one level, where rounding may fall either way).
The parameters the call draws (`sample` with the call seed) are compared bit
for bit.

Collected only under KERAS_BACKEND=jax (see tests/jax/conftest.py).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf

from keras_aug.core import Draws
from keras_aug.core import ImageShape
from keras_aug.core import backend
from keras_aug.layers import photometric as P
from sample_images import textured_image

SEED = (1, 2)
# Four channels: the alpha path (split off, put back) runs too.
FLOATS = np.stack([textured_image(12, 14, 4, seed=i) for i in range(6)])
FLOATS[..., :3] = FLOATS[..., :3].clip(0, 255)
BATCHES = {"float32": FLOATS, "uint8": np.round(FLOATS).astype(np.uint8)}

# Ranges wide enough that the samples of a batch differ.
LAYERS = {
    "RandomBrightness": lambda: P.RandomBrightness(0.3),
    "RandomBrightnessScale": lambda: P.RandomBrightnessScale((0.5, 1.5)),
    "RandomChannelShift": lambda: P.RandomChannelShift(40.0, per_channel=True),
    "RandomColorJitter": lambda: P.RandomColorJitter(
        brightness_factor=0.2, contrast_factor=0.3, saturation_factor=(0.2, 0.8), hue_factor=0.3),
    "RandomContrast": lambda: P.RandomContrast(0.5),
    "RandomGaussianBlur": lambda: P.RandomGaussianBlur((0.5, 1.0), 5, (0.3, 3.0)),
    "RandomGrayscale": lambda: P.RandomGrayscale(0.5),
    "RandomHue": lambda: P.RandomHue(1.0),
    "RandomInvert": lambda: P.RandomInvert(),
    "RandomPosterization": lambda: P.RandomPosterization((1, 8)),
    "RandomSaturation": lambda: P.RandomSaturation((0.0, 1.0)),
    "RandomSharpness": lambda: P.RandomSharpness((0.0, 1.0)),
    "Solarization": lambda: P.Solarization(0.5, 0.5),
}


def params_with(layer, images, name, jit=False):
    """The parameters a call with SEED draws for `images`, computed with backend `name`, as numpy."""
    def sample(images):
        with backend.computing_with(name):
            return layer.sample(ImageShape(*images.shape), Draws(SEED))

    if name == "tensorflow":
        return {k: v.numpy() for k, v in sample(tf.constant(images)).items()}
    params = (jax.jit(sample) if jit else sample)(jnp.asarray(images))
    return {k: np.asarray(v) for k, v in params.items()}


def call_on_tensorflow(layer, images):
    out = layer(tf.constant(images), training=True, seed=SEED)
    assert isinstance(out, tf.Tensor)
    return out.numpy()


def call_on_jax(layer, images, jit):
    call = lambda x: layer(x, training=True, seed=SEED)  # noqa: E731
    out = (jax.jit(call) if jit else call)(jnp.asarray(images))
    assert isinstance(out, jax.Array)
    return np.asarray(out)


def assert_same_images(jax_out, tf_out, dtype):
    assert jax_out.dtype == tf_out.dtype == np.dtype(dtype) and jax_out.shape == tf_out.shape
    tolerance = 1 if dtype == "uint8" else 1e-3
    np.testing.assert_allclose(jax_out.astype(np.float64), tf_out.astype(np.float64), rtol=0, atol=tolerance)


def assert_same_params(jax_params, tf_params, exact=True):
    """Bit for bit; with exact=False, floats within float32 rounding of their magnitude."""
    assert sorted(jax_params) == sorted(tf_params)
    for key, expected in tf_params.items():
        got = jax_params[key]
        assert got.dtype == expected.dtype and got.shape == expected.shape, key
        if exact or not np.issubdtype(expected.dtype, np.floating):
            np.testing.assert_array_equal(got, expected, err_msg=key)
        else:
            scale = np.abs(expected).max()
            np.testing.assert_allclose(got, expected, rtol=2e-6, atol=2e-6 * scale, err_msg=key)


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
    assert_same_params(params_with(layer, images, "jax"), expected)
    # Under jax.jit, XLA fuses `low + span * u` into one fused multiply-add
    # (rounded once, where TensorFlow and eager JAX round twice) and folds float
    # constants ((1 - u) + 1e-7 -> 1.0000001 - u), so float parameters may
    # differ in their last bit there; flags and integers stay exact.
    assert_same_params(params_with(layer, images, "jax", jit=True), expected, exact=False)
