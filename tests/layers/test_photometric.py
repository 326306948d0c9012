"""Photometric layers: references, Keras parity, sampling, modes, dtypes, config, errors.

References are independent of the implementation: numpy formulas, colorsys,
PIL (ImageEnhance, ImageOps), scipy.ndimage and the legacy tf_keras functions,
fed the same hand-made parameters through `layer.apply_images`.
"""

import colorsys

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from PIL import ImageEnhance
from PIL import ImageOps
from scipy import ndimage
from scipy import stats

from sample_images import textured_image
from geo_helpers import layer_dtype
from keras_aug.core import Draws
from keras_aug.core import ImageShape
from keras_aug.layers import photometric as P

H, W = 16, 20
IMAGES = np.stack([textured_image(H, W, 3, seed=i) for i in range(4)])  # float32 in [0, 255]
UINT8 = np.round(IMAGES).astype(np.uint8)
B = len(IMAGES)

# One constructor per layer, with ranges wide enough that every sample differs.
LAYERS = {
    "RandomBrightness": lambda **k: P.RandomBrightness(0.3, **k),
    "RandomBrightnessScale": lambda **k: P.RandomBrightnessScale((0.5, 1.5), **k),
    "RandomContrast": lambda **k: P.RandomContrast(0.5, **k),
    "RandomChannelShift": lambda **k: P.RandomChannelShift(40.0, **k),
    "RandomSaturation": lambda **k: P.RandomSaturation((0.0, 1.0), **k),
    "RandomHue": lambda **k: P.RandomHue(1.0, **k),
    "RandomGrayscale": lambda **k: P.RandomGrayscale(0.5, **k),
    "RandomColorJitter": lambda **k: P.RandomColorJitter(
        brightness_factor=0.2, contrast_factor=0.3, saturation_factor=(0.2, 0.8), hue_factor=0.3, **k),
    "RandomInvert": lambda **k: P.RandomInvert(**k),
    "Solarization": lambda **k: P.Solarization(0.5, 0.5, **k),
    "RandomPosterization": lambda **k: P.RandomPosterization((1, 8), **k),
    "RandomSharpness": lambda **k: P.RandomSharpness((0.0, 1.0), **k),
    "RandomGaussianBlur": lambda **k: P.RandomGaussianBlur((1.0, 1.0), 5, (0.3, 3.0), **k),
}
NAMES = sorted(LAYERS)
BOOLEAN = {"RandomGrayscale", "RandomInvert"}  # one on/off flag per sample
COLOR_ONLY = {"RandomSaturation", "RandomHue", "RandomGrayscale"}


def apply(layer, images, params):
    params = {k: tf.constant(v) for k, v in params.items()}
    return layer.apply_images(tf.constant(images), params, None).numpy()


def sample(layer, n, seed=0, channels=3):
    return {k: v.numpy() for k, v in layer.sample(ImageShape(n, H, W, channels), Draws(seed)).items()}


def vec(*values):
    return np.array(values, np.float32)


# ------------------------------------------------------------- references
def test_brightness_reference():
    d = vec(-0.3, 0.0, 0.1, 1.0)
    out = apply(P.RandomBrightness(0.5), IMAGES, {"delta": d})
    np.testing.assert_allclose(out, np.clip(IMAGES + d[:, None, None, None] * 255, 0, 255), atol=1e-4)
    out = apply(P.RandomBrightness(0.5, value_range=(0, 1)), IMAGES / 255, {"delta": d})
    np.testing.assert_allclose(out, np.clip(IMAGES / 255 + d[:, None, None, None], 0, 1), atol=1e-6)


@pytest.mark.parametrize("scale", [0.3, 1.0, 1.4])
def test_brightness_scale_matches_pil_and_legacy(scale):
    layer = P.RandomBrightnessScale((0.1, 2.0))
    out = apply(layer, UINT8, {"scale": np.full([B], scale, np.float32)})
    assert out.dtype == np.uint8
    for i in range(B):
        pil = np.asarray(ImageEnhance.Brightness(Image.fromarray(UINT8[i])).enhance(scale))
        assert np.abs(out[i].astype(int) - pil.astype(int)).max() <= 1
    legacy = pytest.importorskip("tf_keras.src.preprocessing.image")
    floats = apply(layer, UINT8.astype(np.float32), {"scale": np.full([B], scale, np.float32)})
    for i in range(B):
        expected = legacy.apply_brightness_shift(UINT8[i].astype(np.float32), scale, False)
        assert np.abs(floats[i] - expected).max() <= 1.0


def test_contrast_reference():
    c = vec(0.0, 0.5, 1.0, 1.7)
    out = apply(P.RandomContrast(1.0), IMAGES, {"contrast": c})
    mean = IMAGES.mean(axis=(1, 2), keepdims=True)
    expected = np.clip((IMAGES - mean) * c[:, None, None, None] + mean, 0, 255)
    np.testing.assert_allclose(out, expected, atol=1e-3)


@pytest.mark.parametrize("shift", [-60.0, -5.0, 0.0, 30.0, 200.0])
def test_channel_shift_matches_legacy(shift):
    legacy = pytest.importorskip("tf_keras.src.preprocessing.image")
    out = apply(P.RandomChannelShift(250.0), IMAGES, {"shift": np.full([B], shift, np.float32)})
    for i in range(B):
        expected = legacy.apply_channel_shift(IMAGES[i], shift, channel_axis=2)
        np.testing.assert_allclose(out[i], expected, atol=1e-4)


def test_channel_shift_per_channel_and_value_range_clip():
    shift = np.array([[10.0, -20.0, 300.0]] * B, np.float32)
    layer = P.RandomChannelShift(300.0, per_channel=True, clip="value_range")
    out = apply(layer, IMAGES, {"shift": shift})
    np.testing.assert_allclose(out, np.clip(IMAGES + shift[:, None, None, :], 0, 255), atol=1e-4)
    assert sample(layer, 5)["shift"].shape == (5, 3)


def _hsv_reference(image, fn):
    flat = image.reshape(-1, 3) / 255.0
    out = np.array([colorsys.hsv_to_rgb(*fn(*colorsys.rgb_to_hsv(*px))) for px in flat])
    return (out * 255.0).reshape(image.shape)


@pytest.mark.parametrize("multiplier", [0.0, 0.4, 1.0, 2.5, 1e6])
def test_saturation_matches_colorsys(multiplier):
    out = apply(P.RandomSaturation(1.0), IMAGES[:1], {"saturation": vec(multiplier)})
    expected = _hsv_reference(IMAGES[0], lambda h, s, v: (h, min(s * multiplier, 1.0), v))
    np.testing.assert_allclose(out[0], expected, atol=2e-3)


@pytest.mark.parametrize("shift", [-0.5, -0.13, 0.0, 0.27, 0.5])
def test_hue_matches_colorsys(shift):
    out = apply(P.RandomHue(1.0), IMAGES[:1], {"hue": vec(shift)})
    expected = _hsv_reference(IMAGES[0], lambda h, s, v: ((h + shift) % 1.0, s, v))
    np.testing.assert_allclose(out[0], expected, atol=2e-3)


def test_hue_respects_value_range_offset():
    # (-1, 1) images: the hue of x equals the hue of (x + 1) / 2 in (0, 1).
    layer = P.RandomHue(1.0, value_range=(-1, 1))
    out = apply(layer, IMAGES[:1] / 127.5 - 1, {"hue": vec(0.27)})
    ref = apply(P.RandomHue(1.0, value_range=(0, 255)), IMAGES[:1], {"hue": vec(0.27)})
    np.testing.assert_allclose(out, ref / 127.5 - 1, atol=1e-5)


def test_grayscale_reference():
    out = apply(P.RandomGrayscale(), IMAGES, {"grayscale": np.array([True, False, True, False])})
    gray = IMAGES @ np.array([0.2989, 0.5870, 0.1140], np.float32)
    np.testing.assert_allclose(out[0], np.repeat(gray[0][..., None], 3, -1), atol=1e-3)
    np.testing.assert_array_equal(out[1], IMAGES[1])


def test_invert_reference():
    out = apply(P.RandomInvert(value_range=(-1, 3)), IMAGES / 64 - 1, {"invert": np.array([True, False] * 2)})
    np.testing.assert_allclose(out[0], 2 - (IMAGES[0] / 64 - 1), atol=1e-6)
    np.testing.assert_allclose(out[1], IMAGES[1] / 64 - 1, atol=1e-6)


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.9])
def test_solarization_matches_pil(threshold):
    layer = P.Solarization(1.0, 1.0)
    params = {"addition": np.zeros([B], np.float32), "threshold": np.full([B], threshold, np.float32)}
    out = apply(layer, UINT8, params)
    for i in range(B):
        # PIL inverts values >= threshold, with an integer threshold.
        t = threshold * 255
        expected = np.where(UINT8[i] < t, UINT8[i], 255 - UINT8[i])
        np.testing.assert_array_equal(out[i], expected)
        if float(t).is_integer():
            np.testing.assert_array_equal(out[i], np.asarray(ImageOps.solarize(Image.fromarray(UINT8[i]), int(t))))
    added = apply(layer, IMAGES, {"addition": vec(0.2, 0.2, 0.2, 0.2), "threshold": vec(0.5, 0.5, 0.5, 0.5)})
    y = np.clip(IMAGES + 51, 0, 255)
    np.testing.assert_allclose(added, np.where(y < 127.5, y, 255 - y), atol=1e-4)


@pytest.mark.parametrize("bits", [1, 3, 6, 8])
def test_posterization_matches_pil(bits):
    out = apply(P.RandomPosterization(8), UINT8, {"bits": np.full([B], bits, np.int32)})
    for i in range(B):
        np.testing.assert_array_equal(out[i], np.asarray(ImageOps.posterize(Image.fromarray(UINT8[i]), bits)))
    ones = apply(P.RandomPosterization(8, value_range=(0, 1)), UINT8 / 255.0, {"bits": np.full([B], bits, np.int32)})
    np.testing.assert_allclose(ones * 255, out, atol=1e-3)


@pytest.mark.parametrize("factor", [0.0, 0.5, 1.0, 1.8])
def test_sharpness_matches_pil(factor):
    out = apply(P.RandomSharpness(1.0), UINT8, {"sharpness": np.full([B], factor, np.float32)})
    for i in range(B):
        pil = np.asarray(ImageEnhance.Sharpness(Image.fromarray(UINT8[i])).enhance(factor)).astype(int)
        # PIL rounds the smoothed image to 8 bits before blending.
        assert np.abs(out[i].astype(int) - pil).max() <= 1 + int(abs(factor - 1) > 0.6)
        np.testing.assert_array_equal(out[i][0], UINT8[i][0])  # border kept


def test_gaussian_blur_matches_scipy():
    layer = P.RandomGaussianBlur(1.0, kernel_size=7, sigma=(0.5, 3.0))
    sigma = np.array([[0.7, 2.5], [1.5, 1.5], [3.0, 0.5], [1.0, 1.0]], np.float32)
    out = apply(layer, IMAGES, {"active": np.array([True, True, True, False]), "sigma": sigma})
    for i in range(3):
        expected = IMAGES[i]
        for axis, s in ((0, sigma[i, 0]), (1, sigma[i, 1])):
            expected = ndimage.gaussian_filter1d(expected, s, axis=axis, mode="mirror", truncate=3.0 / s)
        np.testing.assert_allclose(out[i], expected, atol=2e-3)
    np.testing.assert_array_equal(out[3], IMAGES[3])


def test_color_jitter_is_the_steps_in_order():
    jitter = P.RandomColorJitter(brightness_factor=0.3, contrast_factor=0.5, saturation_factor=(0, 1),
                                 hue_factor=1.0)
    p = sample(jitter, B, seed=5)
    out = apply(jitter, IMAGES, p)
    x = IMAGES
    x = apply(P.RandomBrightness(0.3), x, {"delta": p["brightness_delta"]})
    x = apply(P.RandomContrast(0.5), x, {"contrast": p["contrast_contrast"]})
    x = apply(P.RandomSaturation(1.0), x, {"saturation": p["saturation_saturation"]})
    x = apply(P.RandomHue(1.0), x, {"hue": p["hue_hue"]})
    np.testing.assert_allclose(out, x, atol=1e-3)


# ---------------------------------------------------------- Keras parity
def _keras(layer, images, **kwargs):
    return keras.ops.convert_to_numpy(layer(tf.constant(images), training=True, **kwargs))


@pytest.mark.parametrize("factor", [(0.2, 0.2), (-0.5, -0.5), (0.0, 0.0)])
def test_brightness_parity_with_keras(factor):
    ours = P.RandomBrightness(factor)(IMAGES).numpy()
    np.testing.assert_allclose(ours, _keras(keras.layers.RandomBrightness(factor), IMAGES), atol=1e-3)


@pytest.mark.parametrize("c", [0.3, 1.0, 1.6])
def test_contrast_parity_with_keras(c):
    k = keras.layers.RandomContrast(0.5)
    theirs = keras.ops.convert_to_numpy(k.transform_images(tf.constant(IMAGES), {"contrast_factor": c}))
    ours = apply(P.RandomContrast(1.0), IMAGES, {"contrast": np.full([B], c, np.float32)})
    np.testing.assert_allclose(ours, theirs, atol=1e-3)
    np.testing.assert_allclose(P.RandomContrast(0.0)(IMAGES), IMAGES, atol=1e-4)  # degenerate: identity


@pytest.mark.parametrize("u", [0.0, 0.3, 0.5])
def test_saturation_parity_with_keras(u):
    ours = P.RandomSaturation((u, u))(IMAGES).numpy()
    np.testing.assert_allclose(ours, _keras(keras.layers.RandomSaturation((u, u)), IMAGES), atol=2e-2)


@pytest.mark.parametrize("factor", [0.0, 0.6, 1.0])
def test_hue_parity_with_keras(factor):
    if factor in (0.0, 1.0):  # both signs give the same image
        ours = P.RandomHue((factor, factor))(IMAGES).numpy()
        np.testing.assert_allclose(ours, _keras(keras.layers.RandomHue((factor, factor)), IMAGES), atol=2e-2)
    k = keras.layers.RandomHue(1.0)
    theirs = keras.ops.convert_to_numpy(k.transform_images(tf.constant(IMAGES), {"factor": np.full([B], -factor / 2, np.float32)}))
    ours = apply(P.RandomHue(1.0), IMAGES, {"hue": np.full([B], -factor / 2, np.float32)})
    np.testing.assert_allclose(ours, theirs, atol=2e-2)


def test_grayscale_parity_with_keras():
    ours = P.RandomGrayscale(1.0)(IMAGES).numpy()
    np.testing.assert_allclose(ours, _keras(keras.layers.RandomGrayscale(1.0), IMAGES), atol=1e-3)
    np.testing.assert_array_equal(P.RandomGrayscale(0.0)(IMAGES).numpy(), IMAGES)


def test_invert_solarization_posterization_parity_with_keras():
    np.testing.assert_allclose(P.RandomInvert((1, 1))(IMAGES), _keras(keras.layers.RandomInvert((1, 1)), IMAGES),
                               atol=1e-4)
    np.testing.assert_allclose(P.Solarization()(IMAGES), _keras(keras.layers.Solarization(), IMAGES), atol=1e-4)
    ours = P.RandomPosterization((4, 4))(UINT8.astype(np.float32)).numpy()
    theirs = _keras(keras.layers.RandomPosterization((4, 4)), UINT8.astype(np.float32))
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


@pytest.mark.parametrize("u", [0.2, 0.5, 0.9])
def test_sharpness_parity_with_keras_inside_border(u):
    ours = P.RandomSharpness((u, u))(IMAGES).numpy()
    theirs = _keras(keras.layers.RandomSharpness((u, u)), IMAGES)
    np.testing.assert_allclose(ours[:, 1:-1, 1:-1], theirs[:, 1:-1, 1:-1], atol=1e-3)


def test_gaussian_blur_parity_with_keras_inside_border():
    ours = P.RandomGaussianBlur((1, 1), 5, (0.8, 0.8))(IMAGES).numpy()
    theirs = _keras(keras.layers.RandomGaussianBlur((1, 1), 5, (0.8, 0.8)), IMAGES)
    np.testing.assert_allclose(ours[:, 2:-2, 2:-2], theirs[:, 2:-2, 2:-2], atol=1e-2)


# ------------------------------------------------------ per-sample draws
@pytest.mark.parametrize("name", NAMES)
def test_per_sample_independence(name):
    layer = LAYERS[name](seed=3)
    copies = np.repeat(IMAGES[:1], 32, axis=0)
    out = layer(copies).numpy()
    distinct = len({o.tobytes() for o in out})
    if name in BOOLEAN:
        assert distinct == 2  # both outcomes occur among 32 copies at probability 1/2
    elif name == "RandomPosterization":
        assert distinct >= 7  # 8 possible bit depths
    else:
        assert distinct >= 30


N = 4000


def _ks_uniform(values, low, high):
    assert values.min() >= low - 1e-6 and values.max() <= high + 1e-6
    assert stats.kstest(values, stats.uniform(low, high - low).cdf).pvalue > 1e-3


def test_sampled_parameter_distributions():
    _ks_uniform(sample(P.RandomBrightness(0.3), N)["delta"], -0.3, 0.3)
    _ks_uniform(sample(P.RandomBrightness((-0.1, 0.4)), N)["delta"], -0.1, 0.4)
    _ks_uniform(sample(P.RandomBrightnessScale((0.5, 1.5)), N)["scale"], 0.5, 1.5)
    _ks_uniform(sample(P.RandomBrightnessScale(0.2), N)["scale"], 0.8, 1.2)
    _ks_uniform(sample(P.RandomContrast(0.4), N)["contrast"], 0.6, 1.4)
    _ks_uniform(sample(P.RandomContrast((0.1, 0.7)), N)["contrast"], 0.9, 1.7)
    _ks_uniform(sample(P.RandomChannelShift(25.0), N)["shift"], -25, 25)
    _ks_uniform(sample(P.RandomChannelShift(25.0, per_channel=True), N)["shift"].ravel(), -25, 25)
    m = sample(P.RandomSaturation((0.2, 0.9)), N)["saturation"]
    _ks_uniform(m / (1 + m), 0.2, 0.9)  # u / (1 - u) inverted
    hue = sample(P.RandomHue((0.2, 0.8)), N)["hue"]
    _ks_uniform(np.abs(hue) * 2, 0.2, 0.8)
    assert stats.binomtest(int((hue > 0).sum()), N, 0.5).pvalue > 1e-3
    _ks_uniform(sample(P.RandomSharpness(0.8), N)["sharpness"] / 2, 0.0, 0.8)
    p = sample(P.Solarization((0.1, 0.3), 0.6), N)
    _ks_uniform(p["addition"], 0.1, 0.3)
    _ks_uniform(p["threshold"], 0.0, 0.6)
    _ks_uniform(sample(P.RandomGaussianBlur(sigma=(0.5, 2.0)), N)["sigma"].ravel(), 0.5, 2.0)
    bits = sample(P.RandomPosterization((2, 6)), N)["bits"]
    counts = np.bincount(bits, minlength=9)[2:7]
    assert set(np.unique(bits)) == {2, 3, 4, 5, 6}
    assert stats.chisquare(counts).pvalue > 1e-3


@pytest.mark.parametrize("layer, key, rate", [
    (P.RandomGrayscale(0.3), "grayscale", 0.3),
    (P.RandomInvert(1.0), "invert", 0.5),  # Keras's scheme: p ~ U(0, 1), then Bernoulli(p)
    (P.RandomInvert((0.8, 0.8)), "invert", 0.8),
    (P.RandomGaussianBlur((0.2, 0.6)), "active", 0.4),
])
def test_sampled_flag_rates(layer, key, rate):
    flags = sample(layer, N)[key]
    assert stats.binomtest(int(flags.sum()), N, rate).pvalue > 1e-3


# ----------------------------------------------------- seeds and modes
@pytest.mark.parametrize("name", NAMES)
def test_seeded_reproducibility(name):
    a, b = LAYERS[name](seed=7), LAYERS[name](seed=7)
    np.testing.assert_array_equal(a(IMAGES).numpy(), b(IMAGES).numpy())
    np.testing.assert_array_equal(a(IMAGES, seed=[1, 2]).numpy(), b(IMAGES, seed=[1, 2]).numpy())
    assert not np.array_equal(a(IMAGES, seed=[1, 2]).numpy(), a(IMAGES, seed=[1, 3]).numpy())


@pytest.mark.parametrize("name", NAMES)
def test_eager_function_jit_and_tf_data_agree(name):
    layer = LAYERS[name](seed=1)
    seed = tf.constant([4, 2], tf.int64)
    eager = layer(IMAGES, seed=seed).numpy()
    graph = tf.function(lambda x, s: layer(x, training=True, seed=s))(IMAGES, seed).numpy()
    jit = tf.function(lambda x, s: layer(x, training=True, seed=s), jit_compile=True)(IMAGES, seed).numpy()
    np.testing.assert_allclose(graph, eager, atol=1e-3)
    np.testing.assert_allclose(jit, eager, atol=0.05)
    ds = tf.data.Dataset.from_tensor_slices(IMAGES).batch(B).map(lambda x: layer(x, seed=seed))
    np.testing.assert_allclose(next(iter(ds)).numpy(), eager, atol=1e-3)
    ds = tf.data.Dataset.from_tensor_slices(UINT8).map(layer)  # unbatched uint8
    out = next(iter(ds)).numpy()
    assert out.dtype == np.uint8 and out.shape == (H, W, 3)


def test_fit_step_with_jit_through_every_layer():
    # One model holding every layer: a single compile keeps the suite fast.
    layers = [LAYERS[name](seed=i) for i, name in enumerate(NAMES)]
    model = keras.Sequential([keras.Input((H, W, 3)), *layers, keras.layers.Rescaling(1 / 255),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])
    model.compile("sgd", "mse", jit_compile=True)
    history = model.fit(IMAGES, np.zeros([B, 1]), batch_size=B, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    augment = keras.Sequential(layers)
    np.testing.assert_array_equal(augment.predict(IMAGES, verbose=0), IMAGES)  # identity outside fit


# ------------------------------------------------------------- dtypes
DTYPES = ["uint8", "float16", "bfloat16", "float32"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_dtypes_and_channels(name, channels):
    base = np.stack([textured_image(H, W, channels, seed=i) for i in range(B)])
    layer = LAYERS[name](seed=2)
    reference = layer(base, seed=[5, 5]).numpy()  # float32
    for dtype in DTYPES:
        x = tf.cast(np.round(base) if dtype == "uint8" else base, dtype)
        out = LAYERS[name](seed=2, **layer_dtype(dtype))(x, seed=[5, 5])
        assert out.dtype == x.dtype and out.shape == x.shape
        out = tf.cast(out, tf.float32).numpy()
        # Same as computing on the float32 values of x, then rounding to the dtype.
        expected = layer(tf.cast(x, tf.float32), seed=[5, 5]).numpy()
        if dtype == "uint8":
            np.testing.assert_array_equal(out, np.clip(np.round(expected), 0, 255))
        else:
            rtol = {"float16": 1e-3, "bfloat16": 8e-3, "float32": 1e-6}[dtype]
            np.testing.assert_allclose(out, expected, rtol=rtol, atol=1e-3)
    if channels == 4:
        np.testing.assert_array_equal(reference[..., 3], base[..., 3])  # alpha untouched
    if channels == 1 and name in COLOR_ONLY:
        np.testing.assert_array_equal(reference, base)


@pytest.mark.parametrize("name", NAMES)
def test_annotations_pass_through(name):
    layer = LAYERS[name](seed=0, bounding_box_format="xyxy")
    boxes = {"boxes": np.array([[[1.0, 2.0, 8.0, 9.0]]] * B, np.float32), "labels": np.ones([B, 1], np.int32)}
    masks = np.random.RandomState(0).randint(0, 3, (B, H, W, 1)).astype(np.int32)
    keypoints = np.full([B, 2, 2], 3.5, np.float32)
    labels = np.arange(B)
    out = layer({"images": IMAGES, "labels": labels, "bounding_boxes": boxes,
                 "segmentation_masks": masks, "keypoints": keypoints})
    np.testing.assert_array_equal(out["labels"], labels)
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"], boxes["boxes"])
    np.testing.assert_array_equal(out["segmentation_masks"], masks)
    np.testing.assert_array_equal(out["keypoints"], keypoints)
    assert not np.array_equal(out["images"].numpy(), IMAGES) or name in BOOLEAN


# ------------------------------------------------------------- config
@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    layer = LAYERS[name](seed=9, value_range=(0, 1)) if name != "RandomGrayscale" else LAYERS[name](seed=9)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    x = IMAGES / 255 if name != "RandomGrayscale" else IMAGES
    np.testing.assert_array_equal(clone(x, seed=[1, 1]).numpy(), layer(x, seed=[1, 1]).numpy())
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(revived) is type(layer) and revived.get_config() == layer.get_config()


# ------------------------------------------------------------- errors
@pytest.mark.parametrize("make, words", [
    (lambda: P.RandomBrightness(1.5), ["factor", "1.0"]),
    (lambda: P.RandomBrightness((0.4, 0.1)), ["factor", "low <= high"]),
    (lambda: P.RandomBrightness("x"), ["factor", "pair"]),
    (lambda: P.RandomBrightness(0.2, value_range=(255, 0)), ["value_range", "low < high"]),
    (lambda: P.RandomBrightness(0.2, value_range=5), ["value_range", "(low, high)"]),
    (lambda: P.RandomBrightnessScale(1.5), ["factor", "[0, 1]"]),
    (lambda: P.RandomBrightnessScale((-0.5, 1.0)), ["factor", ">= 0"]),
    (lambda: P.RandomContrast(1.2), ["factor", "[0, 1]"]),
    (lambda: P.RandomContrast((0.1, 2.0)), ["factor", "[0, 1]"]),
    (lambda: P.RandomChannelShift(-3), ["intensity", ">= 0"]),
    (lambda: P.RandomChannelShift(3, clip="none"), ["clip", "'image'", "'value_range'"]),
    (lambda: P.RandomChannelShift(3, per_channel="yes"), ["per_channel", "True or False"]),
    (lambda: P.RandomSaturation(1.5), ["factor", "[0, 1]"]),
    (lambda: P.RandomSaturation((0.8, 0.2)), ["factor", "low <= high"]),
    (lambda: P.RandomHue(-0.2), ["factor", "[0, 1]"]),
    (lambda: P.RandomGrayscale(2), ["factor", "[0, 1]"]),
    (lambda: P.RandomInvert((0.2, 1.2)), ["factor", "[0, 1]"]),
    (lambda: P.Solarization(threshold_factor=2), ["threshold_factor", "[0, 1]"]),
    (lambda: P.Solarization(addition_factor=-1), ["addition_factor", "[0, 1]"]),
    (lambda: P.RandomPosterization(9), ["factor", "[1, 8]"]),
    (lambda: P.RandomPosterization(2.5), ["factor", "int"]),
    (lambda: P.RandomPosterization((6, 2)), ["factor", "low <= high"]),
    (lambda: P.RandomSharpness(3), ["factor", "[0, 1]"]),
    (lambda: P.RandomGaussianBlur(kernel_size=4), ["kernel_size", "odd"]),
    (lambda: P.RandomGaussianBlur(sigma=-0.5), ["sigma", ">= 0"]),
    (lambda: P.RandomColorJitter(hue_factor=2), ["factor", "[0, 1]"]),
    (lambda: P.RandomBrightness(0.2, seed="a"), ["seed", "int"]),
])
def test_bad_arguments_raise_clear_errors(make, words):
    with pytest.raises(ValueError) as info:
        make()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# ------------------------------------------------------ layout and composition
@pytest.mark.parametrize("name", ["RandomHue", "RandomChannelShift", "RandomGaussianBlur"])
def test_channels_first_matches_channels_last(name):
    last = LAYERS[name](seed=0)(IMAGES, seed=[3, 3]).numpy()
    first = LAYERS[name](seed=0, data_format="channels_first")(IMAGES.transpose(0, 3, 1, 2), seed=[3, 3]).numpy()
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), last, atol=1e-3)


def test_inside_a_pipeline_with_geometric_layers():
    import keras_aug

    pipeline = keras_aug.Pipeline([keras_aug.RandomFlip("horizontal"), P.RandomBrightness(0.2),
                                   keras_aug.RandomRotation(0.05), P.RandomHue(0.3)], seed=1)
    out = tf.function(lambda x: pipeline(x, training=True), jit_compile=True)(UINT8)
    assert out.dtype == tf.uint8 and out.shape == UINT8.shape
