"""AutoContrast, Equalization and CLAHE against PIL and OpenCV; bins, ranges, gate, inference.

References are independent of the implementation: PIL's `ImageOps.equalize`
and `ImageOps.autocontrast`, OpenCV's `cv2.createCLAHE` (a dependency of the
package), and numpy formulas. The layers' common behaviour (identity
parameters, modes, dtypes, config) is tested in test_photometric_new_layers.py.
"""

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from PIL import ImageOps

from keras_aug.layers import photometric as P

RNG = np.random.default_rng(0)
# Skewed values, so equalization and auto contrast have work to do.
SKEWED = (RNG.beta(2, 5, (3, 29, 35, 3)) * 200 + 20).astype(np.uint8)


def pil_each(function, images):
    return np.stack([np.asarray(function(Image.fromarray(image))) for image in images])


def cv2_clahe(images, clip_limit, grid):
    # OpenCV's tileGridSize is (columns, rows); Keras's tile_grid_size is (rows, columns).
    clahe = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(grid[1], grid[0]))
    return np.stack([np.stack([clahe.apply(np.ascontiguousarray(image[..., c])) for c in range(image.shape[-1])],
                              axis=-1) for image in images])


# ------------------------------------------------------------ equalization
def test_equalization_is_pil_equalize_bit_for_bit():
    out = P.Equalization()(SKEWED).numpy()
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, pil_each(ImageOps.equalize, SKEWED))
    # 2560 pixels, 5 of them in the top bin: PIL's step (2560 - 5) // 255 = 10,
    # where dividing by 256 would give 9.
    crafted = RNG.integers(0, 200, (1, 40, 64, 1)).astype(np.uint8)
    crafted.reshape(-1)[:5] = 255
    np.testing.assert_array_equal(P.Equalization()(crafted).numpy()[..., 0],
                                  pil_each(ImageOps.equalize, crafted[..., 0]))


def test_equalization_is_per_image_not_per_batch():
    # Keras pools the batch into one histogram; here each image is its own.
    alone = P.Equalization()(SKEWED[:1]).numpy()
    np.testing.assert_array_equal(P.Equalization()(SKEWED).numpy()[:1], alone)


def test_equalization_of_floats_in_another_range_follows_the_levels():
    out = P.Equalization(value_range=(0, 1))(SKEWED.astype(np.float32) / 255).numpy()
    np.testing.assert_allclose(out * 255, pil_each(ImageOps.equalize, SKEWED), atol=1e-3)


def test_equalization_leaves_flat_channels_and_uses_bins():
    flat = np.full((1, 8, 8, 1), 77.3, np.float32)
    np.testing.assert_array_equal(P.Equalization()(flat).numpy(), flat)
    # Two bins over (0, 255): values below 127.5 are bin 0, above bin 1; PIL's
    # rule on two bins maps bin 0 to level 0 and bin 1 to level 1 = 255.
    x = np.array([10, 20, 200, 240], np.float32).reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(P.Equalization(bins=2)(x).numpy().ravel(), [0, 0, 255, 255])
    # With 16 bins, the output takes at most 16 values, spread over the range.
    out = P.Equalization(bins=16)(SKEWED).numpy()
    assert set(np.unique(out)) <= set(np.round(np.arange(16) * 17.0).astype(np.uint8))
    assert out.min() == 0 and out.max() == 255


# ------------------------------------------------------------ auto contrast
def test_auto_contrast_is_the_linear_stretch_and_within_a_level_of_pil():
    out = P.AutoContrast()(SKEWED).numpy()
    x = SKEWED.astype(np.float64)
    lo, hi = x.min(axis=(1, 2), keepdims=True), x.max(axis=(1, 2), keepdims=True)
    np.testing.assert_array_equal(out, np.round((x - lo) * 255 / (hi - lo)))
    pil = pil_each(ImageOps.autocontrast, SKEWED).astype(int)  # PIL truncates, this rounds
    assert np.all((out.astype(int) - pil >= 0) & (out.astype(int) - pil <= 1))


def test_auto_contrast_value_range_and_constant_channels():
    x = np.stack([np.linspace(0.2, 0.6, 12).reshape(3, 4), np.full((3, 4), 0.5)], axis=-1)[None].astype(np.float32)
    out = P.AutoContrast(value_range=(0, 1))(x).numpy()
    np.testing.assert_allclose(out[..., 0], (x[..., 0] - 0.2) / 0.4, atol=1e-6)
    np.testing.assert_array_equal(out[..., 1], x[..., 1])  # constant: unchanged, no NaN


# ------------------------------------------------------------ CLAHE
@pytest.mark.parametrize("shape, grid, clip_limit", [
    ((2, 64, 64, 3), (8, 8), 4.0),  # tiles divide the image
    ((2, 37, 45, 3), (4, 6), 2.0),  # neither side divides: reflected padding
    ((1, 48, 45, 1), (8, 8), 3.0),  # only the width does not divide: OpenCV pads both sides
    ((1, 40, 50, 1), (3, 5), 40.0),  # a high limit clips nothing
    ((1, 50, 64, 2), (3, 3), 0.0),  # 0: no clipping (adaptive equalization)
])
def test_clahe_is_opencv_bit_for_bit(shape, grid, clip_limit):
    x = (RNG.beta(2, 5, shape) * 255).astype(np.uint8)
    out = P.CLAHE(clip_limit=clip_limit, tile_grid_size=grid)(x).numpy()
    np.testing.assert_array_equal(out, cv2_clahe(x, clip_limit, grid))


def test_clahe_floats_in_unit_range_match_opencv_levels():
    # Float outputs keep the blend unrounded: within half a level of OpenCV's rounded result.
    out = P.CLAHE(value_range=(0, 1), tile_grid_size=(4, 4))(SKEWED.astype(np.float32) / 255).numpy()
    np.testing.assert_allclose(out * 255, cv2_clahe(SKEWED, 4.0, (4, 4)), atol=0.5 + 1e-3)


def test_clahe_refuses_images_smaller_than_the_grid():
    with pytest.raises(ValueError, match="tile_grid_size"):
        P.CLAHE(tile_grid_size=(8, 8))(np.zeros((1, 6, 20, 3), np.uint8))


# ------------------------------------------------------------ gate and inference
@pytest.mark.parametrize("cls", [P.AutoContrast, P.Equalization, P.CLAHE])
def test_gate_switches_samples_off_one_by_one(cls):
    layer = cls()
    on = layer(SKEWED).numpy()
    active = np.array([True, False, True])
    out = layer.apply_images(tf.constant(SKEWED), {"active": tf.constant(active)}, None).numpy()
    np.testing.assert_array_equal(out[active], on[active])
    np.testing.assert_array_equal(out[~active], SKEWED[~active])


@pytest.mark.parametrize("cls", [P.AutoContrast, P.Equalization, P.CLAHE])
def test_applied_at_inference_as_preprocessing(cls):
    x = SKEWED.astype(np.float32)
    model = keras.Sequential([keras.Input(SKEWED.shape[1:]), cls()])
    expected = cls()(x).numpy()
    assert not np.array_equal(expected, x)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-4)


@pytest.mark.parametrize("make, words", [
    (lambda: P.Equalization(bins=1), ["bins", "[2, 65536]"]),
    (lambda: P.Equalization(bins=2.5), ["bins", "int"]),
    (lambda: P.CLAHE(tile_grid_size=(0, 8)), ["tile_grid_size", "positive ints"]),
    (lambda: P.CLAHE(tile_grid_size=8), ["tile_grid_size", "pair"]),
    (lambda: P.CLAHE(clip_limit="high"), ["clip_limit", "number"]),
    (lambda: P.AutoContrast(value_range=(1, 0)), ["value_range", "low < high"]),
])
def test_bad_arguments_raise_clear_errors(make, words):
    with pytest.raises(ValueError) as info:
        make()
    for word in words:
        assert word in str(info.value), (word, str(info.value))
