"""Keras's input conventions: the dtype policy, integer images, any channel count, one box array per batch."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_aug
from geo_helpers import textured_image

RGB = np.stack([textured_image(24, 32, 3, seed=i) for i in range(4)]).astype(np.float32)
SEED = tf.constant([3, 9], tf.int64)


def layers_of_every_family():
    return {
        "RandomRotation": lambda **kw: keras_aug.RandomRotation(0.2, **kw),
        "RandomFlip": lambda **kw: keras_aug.RandomFlip(**kw),
        "RandomErasing": lambda **kw: keras_aug.RandomErasing(factor=(1.0, 1.0), fill_value=0.0, **kw),
        "MixUp": lambda **kw: keras_aug.MixUp(**kw),
        "RandomBrightness": lambda **kw: keras_aug.RandomBrightness(0.3, **kw),
        "RandomHue": lambda **kw: keras_aug.RandomHue(0.3, **kw),
        "Pipeline": lambda **kw: keras_aug.Pipeline([keras_aug.RandomZoom(0.2), keras_aug.RandomContrast(0.3)], **kw),
    }


FAMILIES = layers_of_every_family()


@pytest.mark.parametrize("name", FAMILIES)
def test_float_inputs_come_back_in_the_compute_dtype(name):
    layer = FAMILIES[name]()
    out = layer(RGB.astype(np.float16), training=True)
    assert out.dtype == tf.float32
    mixed = FAMILIES[name](dtype="mixed_float16")
    out = mixed(RGB, training=True)
    assert out.dtype == tf.float16
    spec = mixed.compute_output_spec(keras.KerasTensor(RGB.shape, dtype="float32"))
    assert spec.dtype == "float16"


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_images_are_cast_to_the_compute_dtype(name, dtype):
    layer = FAMILIES[name]()
    ints = np.round(RGB).astype(dtype)
    got = layer(ints, training=True, seed=SEED)
    want = layer(ints.astype(np.float32), training=True, seed=SEED)
    assert got.dtype == tf.float32
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("name", FAMILIES)
def test_uint8_images_stay_uint8(name):
    out = FAMILIES[name]()(RGB.astype(np.uint8), training=True)
    assert out.dtype == tf.uint8


@pytest.mark.parametrize("name", ["RandomRotation", "RandomFlip", "RandomErasing", "MixUp", "RandomBrightness",
                                  "Pipeline"])
def test_layers_that_ignore_colour_take_nine_bands(name):
    """A 9-band tile is three RGB images side by side on the channel axis: same seed, same result per band."""
    bands = np.concatenate([RGB, RGB[..., ::-1], RGB * 0.5], axis=-1)
    layer = FAMILIES[name]()
    got = layer(bands, training=True, seed=SEED).numpy()
    assert got.shape == bands.shape
    for i, part in enumerate([RGB, RGB[..., ::-1], RGB * 0.5]):
        want = layer(part, training=True, seed=SEED).numpy()
        np.testing.assert_allclose(got[..., 3 * i:3 * i + 3], want, atol=1e-3)


def test_two_band_images_are_not_mistaken_for_colour():
    two = RGB[..., :2]
    got = keras_aug.RandomBrightness(0.3)(two, training=True, seed=SEED).numpy()
    want = keras_aug.RandomBrightness(0.3)(RGB, training=True, seed=SEED).numpy()[..., :2]
    np.testing.assert_allclose(got, want, atol=1e-4)


@pytest.mark.parametrize("make", [lambda: keras_aug.RandomHue(0.3), lambda: keras_aug.RandomSaturation(0.3),
                                  lambda: keras_aug.RandomGrayscale(1.0),
                                  lambda: keras_aug.RandomColorJitter(brightness_factor=0.2, hue_factor=0.2)])
def test_colour_layers_name_the_channel_count_they_need(make):
    with pytest.raises(ValueError, match=r"1 \(gray, left unchanged\), 3 \(RGB\) or 4 \(RGBA\) channels.*got 9 channels"):
        make()(np.zeros((2, 8, 8, 9), np.float32), training=True)


def test_jitter_without_colour_steps_takes_any_channel_count():
    out = keras_aug.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.2)(np.ones((2, 8, 8, 9), np.float32) * 50)
    assert out.shape == (2, 8, 8, 9)


def test_one_box_array_applies_to_every_image_of_a_batch():
    boxes = np.array([[2.0, 3.0, 14.0, 11.0], [10.0, 5.0, 30.0, 20.0]], np.float32)
    labels = np.array([1, 2], np.int32)
    layer = keras_aug.RandomRotation(0.2, bounding_box_format="xyxy")
    shared = layer({"images": RGB, "bounding_boxes": {"boxes": boxes, "labels": labels}}, seed=SEED)
    tiled = layer({"images": RGB, "bounding_boxes": {"boxes": np.tile(boxes[None], (4, 1, 1)),
                                                    "labels": np.tile(labels[None], (4, 1))}}, seed=SEED)
    assert shared["bounding_boxes"]["boxes"].shape == (4, 2, 4)
    np.testing.assert_array_equal(shared["bounding_boxes"]["boxes"].numpy(), tiled["bounding_boxes"]["boxes"].numpy())
    np.testing.assert_array_equal(shared["bounding_boxes"]["labels"].numpy(), tiled["bounding_boxes"]["labels"].numpy())


def test_box_labels_must_match_the_boxes():
    layer = keras_aug.RandomFlip(bounding_box_format="xyxy")
    with pytest.raises(ValueError, match=r"one label per box"):
        layer({"images": RGB, "bounding_boxes": {"boxes": np.zeros((2, 4), np.float32),
                                                 "labels": np.zeros((4, 2), np.int32)}})
    with pytest.raises(ValueError, match=r"came with a single image"):
        layer({"images": RGB[0], "bounding_boxes": {"boxes": np.zeros((4, 2, 4), np.float32),
                                                    "labels": np.zeros((4, 2), np.int32)}})


# ------------------------------------------- arguments as Keras's tests give them
@pytest.mark.parametrize("negative, positive", [
    (lambda: keras_aug.RandomRotation(-0.2), lambda: keras_aug.RandomRotation(0.2)),
    (lambda: keras_aug.RandomZoom(-0.2, -0.3), lambda: keras_aug.RandomZoom(0.2, 0.3)),
    (lambda: keras_aug.RandomTranslation(-0.1, -0.2), lambda: keras_aug.RandomTranslation(0.1, 0.2)),
    (lambda: keras_aug.RandomBrightness(-0.3), lambda: keras_aug.RandomBrightness(0.3)),
])
def test_a_single_negative_factor_means_its_magnitude(negative, positive):
    """Keras reads a single factor f of either sign as (-|f|, |f|); the config keeps what was given."""
    layer = negative()
    np.testing.assert_array_equal(layer(RGB, training=True, seed=SEED).numpy(),
                                  positive()(RGB, training=True, seed=SEED).numpy())
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


@pytest.mark.parametrize("make, message", [
    (lambda: keras_aug.RandomZoom((-0.4, -0.5)), "`height_factor` must satisfy low <= high"),  # Keras sorts it
    (lambda: keras_aug.RandomShear(-0.1), "`x_factor` as a single number must be >= 0"),  # Keras refuses it too
    (lambda: keras_aug.RandomBrightness(-1.1), r"The `factor` argument should be a number .* >= -1.0 and <= 1.0"),
    (lambda: keras_aug.RandomBrightness(1.1), r"The `factor` argument should be a number .* >= -1.0 and <= 1.0"),
    (lambda: keras_aug.RandomBrightness(0.1, value_range=[10]), "The `value_range` argument should be a list of two"),
])
def test_ranges_keras_refuses_or_we_refuse_on_purpose(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_rank_errors_use_keras_words():
    with pytest.raises(ValueError, match=r"Expected the input image to be rank 3 or 4: .*got shape \(10, 10\)"):
        keras_aug.RandomBrightness(0.1)(np.zeros((10, 10), np.float32), training=True)


def test_blur_with_sigma_zero_blurs_nothing():
    """Keras takes `sigma=0` (its kernel is a single tap): the image comes back unchanged."""
    out = keras_aug.RandomGaussianBlur(factor=(1.0, 1.0), sigma=0)(RGB, training=True, seed=SEED).numpy()
    np.testing.assert_allclose(out, RGB, atol=1e-4)
    out = keras_aug.RandomGaussianBlur(factor=(1.0, 1.0), sigma=(0.0, 0.0))(RGB, training=True, seed=SEED).numpy()
    np.testing.assert_allclose(out, RGB, atol=1e-4)


# ---------------------------------------------------- boxes as Keras's tests give them
BOXES = np.array([[2, 1, 4, 3], [6, 4, 8, 6]])  # int64, xyxy, on a 10 x 8 image


def test_integer_boxes_come_back_float32_with_their_fractions():
    """CenterCrop(20, 20) of a 10 x 8 image: an 8 x 8 centre crop (rows 1-9) scaled by 2.5 (hand-computed)."""
    image = np.zeros((1, 10, 8, 3), np.float32)
    out = keras_aug.CenterCrop(20, 20, bounding_box_format="xyxy")(
        {"images": image, "bounding_boxes": {"boxes": BOXES[None], "labels": np.array([[1, 2]])}})
    assert out["bounding_boxes"]["boxes"].dtype == tf.float32
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"].numpy(),
                               [[[5.0, 0.0, 10.0, 5.0], [15.0, 7.5, 20.0, 12.5]]], atol=1e-4)


def test_one_image_with_labels_of_shape_one_by_n():
    """`[N, 4]` boxes with `[1, N]` labels (Keras's tests): labels come back `[1, N]`, the boxes as with `[N]`."""
    image = np.zeros((10, 8, 3), np.float32)
    layer = keras_aug.RandomFlip(bounding_box_format="xyxy")
    wide = layer({"images": image, "bounding_boxes": {"boxes": BOXES, "labels": np.array([[1, 2]])}}, seed=SEED)
    flat = layer({"images": image, "bounding_boxes": {"boxes": BOXES, "labels": np.array([1, 2])}}, seed=SEED)
    assert wide["bounding_boxes"]["labels"].shape == (1, 2) and flat["bounding_boxes"]["labels"].shape == (2,)
    np.testing.assert_array_equal(wide["bounding_boxes"]["labels"].numpy(), [[1, 2]])
    np.testing.assert_array_equal(wide["bounding_boxes"]["boxes"].numpy(), flat["bounding_boxes"]["boxes"].numpy())


@pytest.mark.parametrize("labels", [np.array([1, 2]), np.array([[1, 2]])])
def test_one_box_array_that_no_layer_moves_comes_back_as_given(labels):
    """A colour layer leaves a batch's shared `[N, 4]` array as it came, as Keras does; a warp tiles it."""
    data = {"images": RGB, "bounding_boxes": {"boxes": BOXES.astype(np.float32), "labels": labels}}
    out = keras_aug.RandomBrightness(0.3, bounding_box_format="xyxy")(data, training=True)
    assert out["bounding_boxes"]["boxes"].shape == (2, 4)
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"].numpy(), BOXES)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"].numpy(), labels)
    moved = keras_aug.RandomFlip(bounding_box_format="xyxy")(data, training=True)
    assert moved["bounding_boxes"]["boxes"].shape == (4, 2, 4) and moved["bounding_boxes"]["labels"].shape == (4, 2)
