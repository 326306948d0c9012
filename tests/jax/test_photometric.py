"""Photometric layers under the JAX backend: the same numbers as under TensorFlow.

For every photometric layer, on a uint8 and a float32 batch, the layer's
`sample` + `apply_images` computed with JAX on jnp arrays (eagerly and under
`jax.jit`) is compared with the same calls computed with TensorFlow on tf
tensors, in the same process: parameters bit for bit, images within 1e-3 on
0-255 values (uint8: within one level, where rounding may fall either way).

Collected only under KERAS_BACKEND=jax (tests/jax is run in a subprocess with
that backend by the main suite).
"""

import keras
import numpy as np
import pytest

if keras.backend.backend() != "jax":
    pytest.skip("JAX-backend tests: run with KERAS_BACKEND=jax", allow_module_level=True)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_aug.core import Draws  # noqa: E402
from keras_aug.core import ImageShape  # noqa: E402
from keras_aug.core import backend  # noqa: E402
from keras_aug.layers import photometric as P  # noqa: E402
from sample_images import textured_image  # noqa: E402

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


def sample_and_apply(layer, images, name):
    """The layer's parameters and output for `images`, computed with backend `name`."""
    with backend.computing_with(name):
        params = layer.sample(ImageShape(*images.shape), Draws(SEED))
        return params, layer.apply_images(images, params, None)


def on_tensorflow(layer, images):
    params, out = sample_and_apply(layer, tf.constant(images), "tensorflow")
    return {k: v.numpy() for k, v in params.items()}, out.numpy()


def on_jax(layer, images, jit):
    run = lambda x: sample_and_apply(layer, x, "jax")  # noqa: E731
    params, out = (jax.jit(run) if jit else run)(jnp.asarray(images))
    assert isinstance(out, jax.Array)
    return {k: np.asarray(v) for k, v in params.items()}, np.asarray(out)


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
    tf_params, tf_out = on_tensorflow(layer, images)
    assert not np.array_equal(tf_out, images)  # the comparison is not between two no-ops
    jax_params, jax_out = on_jax(layer, images, jit=False)
    assert_same_params(jax_params, tf_params)
    assert_same_images(jax_out, tf_out, dtype)
    # Under jax.jit, XLA fuses `low + span * u` into one fused multiply-add and
    # folds float constants ((1 - u) + 1e-7 -> 1.0000001 - u), so float
    # parameters may differ from the eager ones in their last bit; the uint32
    # bits, flags and integers stay exact.
    jax_params, jax_out = on_jax(layer, images, jit=True)
    assert_same_params(jax_params, tf_params, exact=False)
    assert_same_images(jax_out, tf_out, dtype)
