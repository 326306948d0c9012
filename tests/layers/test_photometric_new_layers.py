"""RandomColorDegeneration, GaussianNoise and JPEG against references, and what the six
new colour layers share: identity parameters, modes, dtypes, channels, config.

References: PIL's `ImageEnhance.Color` and JPEG codec, `tf.image.adjust_jpeg_quality`,
numpy formulas, and statistics of the drawn noise. The histogram layers' own
references are in test_photometric_histogram.py.
"""

import io

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from PIL import ImageEnhance
from scipy import stats

from sample_images import textured_image
from keras_aug.core import Draws
from keras_aug.core import ImageShape
from keras_aug.layers import photometric as P

H, W = 24, 28
IMAGES = np.stack([textured_image(H, W, 3, seed=i) for i in range(4)])  # float32 in [0, 255]
UINT8 = np.round(IMAGES).astype(np.uint8)
B = len(IMAGES)

LAYERS = {
    "AutoContrast": lambda **k: P.AutoContrast(**k),
    "Equalization": lambda **k: P.Equalization(**k),
    "CLAHE": lambda **k: P.CLAHE(tile_grid_size=(4, 4), **k),
    "RandomColorDegeneration": lambda **k: P.RandomColorDegeneration((0.2, 1.0), **k),
    "GaussianNoise": lambda **k: P.GaussianNoise(sigma=(0.02, 0.1), **k),
    "JPEG": lambda **k: P.JPEG((20, 80), **k),
}
NAMES = sorted(LAYERS)
XLA = [name for name in NAMES if name != "JPEG"]  # TF has no XLA kernel for JPEG coding


def apply(layer, images, params):
    return layer.apply_images(tf.constant(images), {k: tf.constant(v) for k, v in params.items()}, None).numpy()


def sample(layer, n, seed=0, height=H, width=W):
    return {k: v.numpy() for k, v in layer.sample(ImageShape(n, height, width, 3), Draws(seed)).items()}


# ------------------------------------------------------------ colour degeneration
@pytest.mark.parametrize("amount", [0.0, 0.3, 1.0])
def test_color_degeneration_is_pil_color_enhance(amount):
    out = apply(P.RandomColorDegeneration(1.0), UINT8, {"factor": np.full([B], amount, np.float32)})
    pil = np.stack([np.asarray(ImageEnhance.Color(Image.fromarray(i)).enhance(1 - amount)) for i in UINT8])
    # PIL rounds the gray to an integer and truncates the blend; this rounds once.
    diff = np.abs(out.astype(int) - pil.astype(int))
    assert diff.max() <= 2 and diff.mean() < 0.7
    x = UINT8.astype(np.float64)
    gray = x @ np.array([0.2989, 0.5870, 0.1140])
    np.testing.assert_array_equal(out, np.round(x + amount * (gray[..., None] - x)))


def test_color_degeneration_factor_is_drawn_per_sample():
    factors = sample(P.RandomColorDegeneration((0.2, 0.7)), 4000)["factor"]
    assert stats.kstest(factors, stats.uniform(0.2, 0.5).cdf).pvalue > 1e-3
    assert sample(P.RandomColorDegeneration(0.4), 2000)["factor"].max() <= 0.4  # a number f: (0, f), as Keras


# ------------------------------------------------------------ Gaussian noise
def test_gaussian_noise_statistics_per_sample():
    n = 6
    layer = P.GaussianNoise(mean=(-0.05, 0.05), sigma=(0.01, 0.2), clip=False, value_range=(0, 1))
    x = np.full([n, 64, 64, 3], 0.5, np.float32)
    params = sample(layer, n, seed=3, height=64, width=64)
    noise = (apply(layer, x, params) - x).reshape(n, -1)
    np.testing.assert_allclose(noise.std(axis=1), params["sigma"], rtol=0.05)
    # 4 standard errors of a mean of 64 * 64 * 3 draws
    assert np.all(np.abs(noise.mean(axis=1) - params["mean"]) < 4 * params["sigma"] / np.sqrt(noise.shape[1]))
    for i in range(n):  # each sample's noise is Gaussian
        z = (noise[i] - params["mean"][i]) / params["sigma"][i]
        assert stats.kstest(z, "norm").pvalue > 1e-3
    correlation = np.corrcoef(noise)[np.triu_indices(n, 1)]
    assert np.abs(correlation).max() < 0.05  # independent across samples
    sigmas = sample(layer, 4000, height=1, width=1)["sigma"]
    assert stats.kstest(sigmas, stats.uniform(0.01, 0.19).cdf).pvalue > 1e-3


def test_gaussian_noise_scales_with_the_range_and_clips():
    params = {"mean": np.zeros([B], np.float32), "sigma": np.full([B], 0.5, np.float32),
              "noise": np.ones([B, H, W, 3], np.float32)}
    out = apply(P.GaussianNoise(), IMAGES, params)
    np.testing.assert_allclose(out, np.clip(IMAGES + 127.5, 0, 255), atol=1e-4)
    out = apply(P.GaussianNoise(clip=False), IMAGES, params)
    np.testing.assert_allclose(out, IMAGES + 127.5, atol=1e-4)


def test_gaussian_noise_seeds():
    a, b = P.GaussianNoise(seed=4), P.GaussianNoise(seed=4)
    np.testing.assert_array_equal(a(UINT8).numpy(), b(UINT8).numpy())
    np.testing.assert_array_equal(a(UINT8, seed=[1, 2]).numpy(), b(UINT8, seed=[1, 2]).numpy())
    assert not np.array_equal(a(UINT8, seed=[1, 2]).numpy(), a(UINT8, seed=[1, 3]).numpy())
    assert not np.array_equal(a(UINT8).numpy(), a(UINT8).numpy())  # calls differ


# ------------------------------------------------------------ JPEG
def test_jpeg_is_tf_adjust_jpeg_quality_per_sample_and_close_to_pil():
    quality = np.array([10, 35, 60, 95], np.int32)
    params = {"quality": quality, "active": np.ones([B], bool)}
    out = apply(P.JPEG(50), UINT8, params)
    for i, q in enumerate(quality):
        np.testing.assert_array_equal(out[i], tf.image.adjust_jpeg_quality(UINT8[i], int(q)).numpy())
        buffer = io.BytesIO()
        Image.fromarray(UINT8[i]).save(buffer, format="JPEG", quality=int(q), subsampling=2)  # 4:2:0 as TF
        pil = np.asarray(Image.open(buffer)).astype(int)
        # Same quantization tables; the codecs' DCT rounding and chroma upsampling
        # differ by about a level, which dominates at high quality only.
        ours_error, pil_error = np.abs(out[i].astype(int) - UINT8[i]).mean(), np.abs(pil - UINT8[i]).mean()
        if q <= 60:
            assert np.abs(out[i].astype(int) - pil).mean() < 1.2 and 0.8 < ours_error / pil_error < 1.25
        else:
            assert np.abs(out[i].astype(int) - pil).mean() < 2.0 and ours_error < 1.6 * pil_error
    errors = [np.abs(out[i].astype(int) - UINT8[i]).mean() for i in range(B)]
    assert errors == sorted(errors, reverse=True)  # lower quality, larger error


def test_jpeg_float_range_and_quality_draws():
    params = {"quality": np.full([B], 40, np.int32), "active": np.ones([B], bool)}
    out = apply(P.JPEG(40, value_range=(0, 1)), UINT8.astype(np.float32) / 255, params)
    np.testing.assert_allclose(out * 255, apply(P.JPEG(40), UINT8, params), atol=1e-3)
    quality = sample(P.JPEG((20, 24)), 5000)["quality"]
    assert set(np.unique(quality)) == {20, 21, 22, 23, 24}
    assert stats.chisquare(np.bincount(quality)[20:]).pvalue > 1e-3


def test_jpeg_runs_in_tf_data_and_tf_function_but_refuses_xla():
    layer = P.JPEG(50, seed=0)
    ds = tf.data.Dataset.from_tensor_slices(UINT8).batch(2).map(layer)
    assert next(iter(ds)).shape == (2, H, W, 3)
    graph = tf.function(lambda x: layer(x, training=True, seed=[1, 1]))(UINT8).numpy()
    np.testing.assert_array_equal(graph, layer(UINT8, seed=[1, 1]).numpy())
    with pytest.raises(ValueError, match="XLA"):
        tf.function(lambda x: layer(x, training=True), jit_compile=True)(UINT8)
    model = keras.Sequential([keras.Input((H, W, 3)), layer, keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(1)])
    with pytest.warns(UserWarning, match="jit_compile"):
        model.compile("sgd", "mse", jit_compile=True)  # Keras falls back to no XLA
    assert np.isfinite(model.fit(IMAGES, np.zeros([B, 1]), verbose=0).history["loss"][0])


def test_jpeg_in_a_pipeline_runs_op_by_op_in_a_graph():
    """A Pipeline holding JPEG takes its `supports_jit = False`: no nested XLA compile."""
    import keras_aug

    pipeline = keras_aug.Pipeline([keras_aug.RandomFlip("horizontal", seed=1), P.JPEG(50, seed=2)])
    assert not pipeline.supports_jit
    graph = tf.function(lambda x: pipeline(x, training=True, seed=[3, 4]))(UINT8).numpy()
    np.testing.assert_array_equal(graph, pipeline(UINT8, training=True, seed=[3, 4]).numpy())
    assert keras_aug.Pipeline([keras_aug.RandomFlip("horizontal")]).supports_jit


# ------------------------------------------------------------ shared contract
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_identity_params_return_the_input_bitwise(name, channels):
    layer = LAYERS[name]()
    base = np.stack([textured_image(H, W, channels, seed=i) for i in range(B)])
    for x in (np.round(base).astype(np.uint8), base):
        identity = layer.identity_params(ImageShape(B, H, W, channels))
        drawn = layer.sample(ImageShape(B, H, W, channels), Draws(1))
        assert sorted(identity) == sorted(drawn)
        for key in drawn:
            assert identity[key].shape == drawn[key].shape and identity[key].dtype == drawn[key].dtype, key
        out = layer.apply_images(tf.constant(x), identity, None).numpy()
        assert out.dtype == x.dtype
        np.testing.assert_array_equal(out, x)


def test_eager_jit_and_tf_data_agree():
    # All layers in one compiled function and one tf.data map: each compile costs seconds.
    layers = [LAYERS[name](seed=1) for name in XLA]
    seed = tf.constant([4, 2], tf.int64)

    def every_layer(x, s):
        return tuple(layer(x, training=True, seed=s) for layer in layers)

    eager = [layer(UINT8, seed=seed).numpy() for layer in layers]
    jit = tf.function(every_layer, jit_compile=True)(UINT8, seed)
    data = next(iter(tf.data.Dataset.from_tensor_slices(UINT8).batch(B).map(lambda x: every_layer(x, seed))))
    for name, expected, compiled, mapped in zip(XLA, eager, jit, data):
        assert not np.array_equal(expected, UINT8), name
        # XLA may fuse a multiply-add, so a rounding tie may fall the other way.
        np.testing.assert_allclose(compiled.numpy(), expected, atol=1, err_msg=name)
        np.testing.assert_allclose(mapped.numpy(), expected, atol=1, err_msg=name)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_dtypes_and_channels(name, channels):
    base = np.stack([textured_image(H, W, channels, seed=i) for i in range(B)])
    layer = LAYERS[name](seed=2)
    as_float = layer(base, seed=[5, 5]).numpy()
    as_uint8 = layer(np.round(base).astype(np.uint8), seed=[5, 5]).numpy()
    assert as_float.dtype == np.float32 and as_uint8.dtype == np.uint8 and as_uint8.shape == base.shape
    if name != "JPEG":  # JPEG codes 8-bit levels either way
        expected = layer(np.round(base), seed=[5, 5]).numpy()
        np.testing.assert_array_equal(as_uint8, np.clip(np.round(expected), 0, 255))
    if channels == 4:
        np.testing.assert_array_equal(as_float[..., 3], base[..., 3])  # alpha untouched
    if channels == 1 and name == "RandomColorDegeneration":
        np.testing.assert_array_equal(as_float, base)  # gray images have no colour to take


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    layer = LAYERS[name](seed=9, value_range=(0, 1))
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    x = IMAGES / 255
    np.testing.assert_array_equal(clone(x, seed=[1, 1]).numpy(), layer(x, seed=[1, 1]).numpy())
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(revived) is type(layer) and revived.get_config() == layer.get_config()


def test_channels_first_matches_channels_last():
    for name in ("CLAHE", "GaussianNoise"):
        last = LAYERS[name](seed=0)(IMAGES, seed=[3, 3]).numpy()
        first = LAYERS[name](seed=0, data_format="channels_first")(IMAGES.transpose(0, 3, 1, 2), seed=[3, 3])
        np.testing.assert_allclose(first.numpy().transpose(0, 2, 3, 1), last, atol=1e-3)


@pytest.mark.parametrize("make, words", [
    (lambda: P.RandomColorDegeneration(1.5), ["factor", "[0, 1]"]),
    (lambda: P.RandomColorDegeneration((0.8, 0.2)), ["factor", "low <= high"]),
    (lambda: P.GaussianNoise(sigma=-0.1), ["sigma", ">= 0"]),
    (lambda: P.GaussianNoise(mean="a"), ["mean", "number"]),
    (lambda: P.GaussianNoise(clip="yes"), ["clip", "True or False"]),
    (lambda: P.JPEG(0), ["quality", "[1, 100]"]),
    (lambda: P.JPEG((90, 10)), ["quality", "low <= high"]),
    (lambda: P.JPEG(50.5), ["quality", "int"]),
])
def test_bad_arguments_raise_clear_errors(make, words):
    with pytest.raises(ValueError) as info:
        make()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_jpeg_refuses_two_channels():
    with pytest.raises(ValueError, match="1 .* 3 .* 4"):
        P.JPEG(50)(np.zeros([1, 8, 8, 2], np.uint8))
