"""Serialization round trips and argument validation for every geometric layer."""

import numpy as np
import pytest
import keras

import keras_aug
from geo_helpers import ALL_LAYERS
from geo_helpers import textured_image

H, W = 32, 48
IMAGES = np.stack([textured_image(H, W, 3, seed=i) for i in range(2)])

CONFIGURED = {
    **{name: make for name, make in ALL_LAYERS.items()},
    "RotationConstant": lambda **kw: keras_aug.RandomRotation((-0.1, 0.2), fill_mode="constant", fill_value=3.0,
                                                              interpolation="nearest", mask_fill_value=7, **kw),
    "ResizingPad": lambda **kw: keras_aug.Resizing(20, 40, pad_to_aspect_ratio=True, fill_value=9.0, **kw),
    "ResizingCrop": lambda **kw: keras_aug.Resizing(20, 20, crop_to_aspect_ratio=True, interpolation="nearest", **kw),
}


@pytest.mark.parametrize("name", sorted(CONFIGURED))
def test_config_round_trip_gives_same_outputs(name):
    layer = CONFIGURED[name](seed=3, bounding_box_format="rel_xyxy")
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer) and restored.get_config() == config
    np.testing.assert_array_equal(clone(IMAGES, seed=5), layer(IMAGES, seed=5))


BAD = [
    (lambda: keras_aug.RandomRotation((0.2, 0.1)), "`factor` must satisfy low <= high"),
    (lambda: keras_aug.RandomRotation(0.1, fill_mode="edge"), "`fill_mode` must be one of .*'reflect'"),
    (lambda: keras_aug.RandomRotation(0.1, interpolation="cubic"), "`interpolation` must be one of .*'bilinear'"),
    (lambda: keras_aug.RandomRotation(0.1, fill_value="x"), "`fill_value` must be a number"),
    (lambda: keras_aug.RandomRotation(0.1, mask_fill_value=0.5), "`mask_fill_value` must be an int"),
    (lambda: keras_aug.RandomRotation(0.1, seed=1.5), "`seed` must be an int"),
    (lambda: keras_aug.RandomRotation(0.1, data_format="nhwc"), "`data_format` must be 'channels_last' or"),
    (lambda: keras_aug.RandomZoom((-1.5, 0.2)), "`height_factor` argument should be a number .* values >= -1"),
    (lambda: keras_aug.RandomZoom(0.2, (0.3, 0.1)), "`width_factor` must satisfy low <= high"),
    (lambda: keras_aug.RandomTranslation(0.1, 1.5), "`width_factor` argument .* values >= -1.0 and <= 1.0"),
    (lambda: keras_aug.RandomShear(-0.1), "`x_factor` as a single number must be >= 0"),
    (lambda: keras_aug.RandomShear((-0.2, 0.1)), "`x_factor` argument should be a number .* values >= 0.0 and <= 1.0"),
    (lambda: keras_aug.RandomShear(0.1, (0.5, 0.2)), "`y_factor` must satisfy low <= high"),
    (lambda: keras_aug.RandomFlip("diagonal"), "`mode` must be one of .*'horizontal'"),
    (lambda: keras_aug.RandomRotate90((0, 4)), "`turns` must be a non-empty subset of \\(0, 1, 2, 3\\)"),
    (lambda: keras_aug.RandomRotate90(()), "`turns` must be a non-empty subset"),
    (lambda: keras_aug.RandomCrop(0, 10), "`height` must be a positive int"),
    (lambda: keras_aug.CenterCrop(10, 2.5), "`width` must be a positive int"),
    (lambda: keras_aug.Resizing(10, 10, antialias=True), "`antialias=True` is not supported"),
    (lambda: keras_aug.Resizing(10, 10, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True),
     "Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio`"),
    (lambda: keras_aug.Resizing(10, 10, fill_mode="reflect"), "`fill_mode` must be 'constant'"),
    (lambda: keras_aug.RandomResizedCrop(10, 10, scale=(0.0, 1.0)), "`scale` must satisfy 0 < low <= high <= 1"),
    (lambda: keras_aug.RandomResizedCrop(10, 10, scale=(0.5, 1.5)), "`scale`"),
    (lambda: keras_aug.RandomResizedCrop(10, 10, ratio=(0.0, 1.0)), "`ratio` must satisfy 0 < low"),
    (lambda: keras_aug.RandomResizedCrop(10, 10, ratio=(2.0, 1.0)), "`ratio` must satisfy low <= high"),
    (lambda: keras_aug.RandomAffine(-5), "`degrees`.*>= 0"),
    (lambda: keras_aug.RandomAffine(5, translate=(0.1, 1.5)), "`translate` must be None or a pair of fractions"),
    (lambda: keras_aug.RandomAffine(5, scale=(0.0, 1.0)), "`scale` must be None or a \\(low, high\\) pair"),
    (lambda: keras_aug.RandomAffine(5, shear=(1, 2, 3)), "`shear` must be a number, or a sequence of 2 or 4"),
    (lambda: keras_aug.RandomFlip(bounding_box_format="yxyx"), "`bounding_box_format` must be one of"),
    (lambda: keras_aug.Pipeline([keras.layers.RandomFlip()]), "`layers\\[0\\]` must be a keras_aug layer"),
]


@pytest.mark.parametrize("make, match", BAD)
def test_bad_arguments_raise_value_error_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("images, match", [
    (np.zeros((32, 48), np.float32), "Expected the input image to be rank 3 or 4: `images`"),
    (np.zeros((2, 32, 48, 3), np.bool_), "`images` dtype must be one of"),
])
def test_bad_inputs_raise_value_error(images, match):
    with pytest.raises(ValueError, match=match):
        keras_aug.RandomRotation(0.1)(images)


def test_rotate90_odd_turns_need_square_images():
    with pytest.raises(ValueError, match="needs square images; got 32x48"):
        keras_aug.RandomRotate90()(IMAGES)
