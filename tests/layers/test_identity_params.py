"""`identity_params` is the identity, for every public layer, on every target it supports.

The layers are enumerated from the `keras_aug` namespace, so a new public layer
without `identity_params` (or without constructor arguments here, when it
needs some) fails these tests. For each layer:
  * `identity_params(shape)` has the keys, shapes and dtypes of `sample(shape, draws)`;
  * `apply(batch, identity_params(shape))` returns uint8 images, float labels,
    boxes, masks and keypoints bit for bit (mixing layers append padding box
    rows), and float32 images within float rounding;
  * with `select_params(chosen, sampled, identity)`, chosen samples get the
    sampled result bit for bit and the others come back unchanged.
"""

import numpy as np
import pytest
import tensorflow as tf

import keras_aug
from keras_aug.core import randomness
from keras_aug.core import structures
from keras_aug.core.base import Augmentation
from keras_aug.core.base import ImageShape
from keras_aug.core.base import select_params

B, H, W, C = 4, 24, 24, 3
NUM_BOXES = 3  # plus one padding row
CHOSEN = np.array([True, False, True, False])

# Constructor arguments: the ones a layer requires, and settings under which
# the sampled parameters visibly change most samples (so "chosen samples get
# the sampled result" is not vacuous). Sizing layers get the input's size:
# that is the only size at which they have an identity.
ARGS = {
    "CenterCrop": dict(height=H, width=W),
    "CutMix": dict(factor=1.0),
    "MixUp": dict(alpha=1.0),
    "GridMask": dict(probability=1.0, fill_mode="random"),
    "Mosaic": dict(height=H, width=W),
    "Pipeline": dict(layers=[keras_aug.RandomFlip(), keras_aug.RandomRotation(0.1),
                             keras_aug.RandomBrightness((0.1, 0.3)), keras_aug.RandomErasing(factor=(1.0, 1.0))]),
    "RandomAffine": dict(degrees=20, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10),
    "RandomBrightness": dict(factor=(0.1, 0.3)),
    "RandomBrightnessScale": dict(factor=(1.2, 1.5)),
    "RandomChannelShift": dict(intensity=(10, 30), per_channel=True),
    "RandomColorJitter": dict(brightness_factor=0.2, contrast_factor=0.5, saturation_factor=(0.7, 0.9),
                              hue_factor=0.2),
    "RandomContrast": dict(factor=(0.5, 0.5)),
    "RandomCrop": dict(height=H, width=W),
    "RandomCutout": dict(size=0.4, count=2),
    "RandomErasing": dict(factor=(1.0, 1.0), count=(1, 2), fill_mode="random"),
    "RandomFlip": dict(mode="horizontal_and_vertical"),
    "RandomGaussianBlur": dict(factor=(1.0, 1.0), sigma=(1.0, 2.0)),
    "RandomGrayscale": dict(factor=1.0),
    "RandomHue": dict(factor=(0.2, 0.5)),
    "RandomInvert": dict(factor=(1.0, 1.0)),
    "RandomPosterization": dict(factor=(2, 4)),
    "RandomResizedCrop": dict(height=H, width=W, scale=(0.3, 0.6)),
    "RandomRotate90": dict(turns=(1, 2, 3)),
    "RandomRotation": dict(factor=0.1),
    "RandomSaturation": dict(factor=(0.1, 0.3)),
    "RandomSharpness": dict(factor=(0.8, 1.0)),
    "RandomShear": dict(x_factor=0.3, y_factor=0.3),
    "RandomTranslation": dict(height_factor=0.2, width_factor=0.2),
    "RandomZoom": dict(height_factor=0.3),
    "Resizing": dict(height=H, width=W, crop_to_aspect_ratio=True),
    "Solarization": dict(addition_factor=(0.1, 0.2), threshold_factor=(0.4, 0.6)),
}
# Layers whose sampled parameters are the identity themselves at the input's size.
SAMPLES_IDENTITY_AT_INPUT_SIZE = {"CenterCrop", "RandomCrop", "Resizing"}

PUBLIC_LAYERS = sorted(
    name for name, value in vars(keras_aug).items()
    if isinstance(value, type) and issubclass(value, Augmentation)
)


def make_layer(name):
    cls = getattr(keras_aug, name)
    try:
        return cls(seed=3, bounding_box_format="xyxy", **ARGS.get(name, {}))
    except TypeError as error:
        pytest.fail(f"Cannot build keras_aug.{name} ({error}): give its constructor arguments in ARGS.")


def inputs(dtype="uint8", with_keypoints=True):
    rng = np.random.RandomState(0)
    images = rng.uniform(0, 255, (B, H, W, C))
    images = np.round(images).astype(dtype)
    boxes = -np.ones((B, NUM_BOXES + 1, 4), np.float32)
    box_labels = -np.ones((B, NUM_BOXES + 1), np.int32)
    masks = np.zeros((B, H, W, 1), np.int32)
    for i in range(B):
        for j in range(NUM_BOXES):
            x0, y0 = rng.randint(0, W // 2), rng.randint(0, H // 2)
            x1, y1 = x0 + rng.randint(2, W // 2), y0 + rng.randint(2, H // 2)
            boxes[i, j] = [x0, y0, x1, y1]
            box_labels[i, j] = 1 + j
            masks[i, y0:y1, x0:x1, 0] = 1 + j
    data = {
        "images": tf.constant(images),
        "labels": tf.constant(np.eye(5, dtype=np.float32)[np.arange(B) % 5]),
        "bounding_boxes": {"boxes": tf.constant(boxes), "labels": tf.constant(box_labels)},
        "segmentation_masks": tf.constant(masks),
    }
    if with_keypoints:
        points = rng.uniform(0.5, H - 0.5, (B, 5, 2)).astype(np.float32)
        data["keypoints"] = tf.constant(np.concatenate([points, np.ones((B, 5, 1), np.float32)], -1))
    return data


def batch_for(layer, dtype="uint8"):
    """The annotated test batch, without keypoints for layers that refuse them."""
    batch = structures.unpack(inputs(dtype), "xyxy", "channels_last", layer.compute_dtype)
    try:
        layer.apply(batch, layer.identity_params(shape(batch)))
    except ValueError as error:
        if "keypoints" not in str(error):
            raise
        batch = structures.unpack(inputs(dtype, with_keypoints=False), "xyxy", "channels_last", layer.compute_dtype)
    return batch


def shape(batch):
    return ImageShape(batch.batch_size, batch.height, batch.width, batch.images.shape[-1])


def targets(batch):
    """The batch's targets as numpy arrays (boxes with their labels)."""
    out = {"images": batch.images, "labels": batch.labels, "masks": batch.masks, "keypoints": batch.keypoints,
           "boxes": batch.boxes, "box_labels": batch.box_labels}
    return {k: np.asarray(v) for k, v in out.items() if v is not None}


def assert_unchanged(before, after, rows, images_atol=0.0):
    """Rows `rows` of `after` equal `before`; boxes beyond the input's count must be padding."""
    for key, value in before.items():
        got = after[key][rows]
        want = value[rows]
        if key in ("boxes", "box_labels"):
            n = want.shape[1]
            assert np.all(got[:, n:] == -1), f"{key}: appended rows are not padding"
            got = got[:, :n]
        if key == "images" and images_atol:
            np.testing.assert_allclose(got, want, atol=images_atol, err_msg=key)
        else:
            assert got.dtype == want.dtype, key
            np.testing.assert_array_equal(got, want, err_msg=key)


def test_every_public_layer_is_covered():
    # The enumeration is what makes new layers fail below: it must see the layers.
    assert {"Pipeline", "RandomFlip", "RandomErasing", "MixUp", "RandomBrightness"} <= set(PUBLIC_LAYERS)
    assert set(ARGS) <= set(PUBLIC_LAYERS), "ARGS names a layer keras_aug does not export"


@pytest.mark.parametrize("name", PUBLIC_LAYERS)
def test_identity_params_match_sample_structure(name):
    layer = make_layer(name)
    batch = batch_for(layer)
    sampled = layer.sample(shape(batch), randomness.Draws(randomness.as_seed((1, 2))))
    identity = layer.identity_params(shape(batch))
    assert sorted(identity) == sorted(sampled)
    for key, value in sampled.items():
        assert tuple(identity[key].shape) == tuple(value.shape), key
        assert identity[key].dtype == value.dtype, key


@pytest.mark.parametrize("name", PUBLIC_LAYERS)
def test_identity_params_return_the_input(name):
    layer = make_layer(name)
    batch = batch_for(layer)
    before = targets(batch)
    after = targets(layer.apply(batch, layer.identity_params(shape(batch))))
    assert_unchanged(before, after, slice(None))
    # Float images: the identity up to float rounding (x - m + m in some kernels).
    float_batch = batch_for(layer, "float32")
    after = targets(layer.apply(float_batch, layer.identity_params(shape(float_batch))))
    assert_unchanged(targets(float_batch), after, slice(None), images_atol=1e-3)


@pytest.mark.parametrize("name", PUBLIC_LAYERS)
def test_select_params_switches_samples_off(name):
    layer = make_layer(name)
    batch = batch_for(layer)
    sampled = layer.sample(shape(batch), randomness.Draws(randomness.as_seed((5, 6))))
    mixed = select_params(tf.constant(CHOSEN), sampled, layer.identity_params(shape(batch)))
    before = targets(batch)
    augmented = targets(layer.apply(batch, sampled))
    got = targets(layer.apply(batch, mixed))
    for key, value in augmented.items():
        assert got[key].dtype == value.dtype, key
        np.testing.assert_array_equal(got[key][CHOSEN], value[CHOSEN], err_msg=key)
    assert_unchanged(before, got, ~CHOSEN)
    if name not in SAMPLES_IDENTITY_AT_INPUT_SIZE:
        assert np.any(augmented["images"][CHOSEN] != before["images"][CHOSEN]), "the sampled parameters changed nothing"


@pytest.mark.parametrize("layer", [
    keras_aug.Resizing(12, 16), keras_aug.CenterCrop(20, W), keras_aug.RandomCrop(H, 20),
    keras_aug.RandomResizedCrop(32, 32), keras_aug.Mosaic(height=16, width=16),
], ids=lambda layer: type(layer).__name__)
def test_size_changing_layers_have_no_identity(layer):
    with pytest.raises(ValueError, match=r"no identity parameters for 24x24 images: it (changes their size|resizes them)"):
        layer.identity_params(ImageShape(B, H, W, C))


def test_sizing_layers_need_a_static_size_for_their_identity():
    height = tf.constant(H)
    with pytest.raises(ValueError, match="size is known only at run time"):
        keras_aug.RandomCrop(H, W).identity_params(ImageShape(B, height, W, C))


def test_mixup_partner_boxes_only_from_another_sample():
    # A sample that is its own partner (a batch of one) gains padding rows, not copies of its boxes.
    layer = keras_aug.MixUp(bounding_box_format="xyxy", seed=1)
    data = inputs(with_keypoints=False)
    one = {key: (tf.nest.map_structure(lambda t: t[:1], value)) for key, value in data.items()}
    out = layer(one, training=True)
    boxes = out["bounding_boxes"]["boxes"].numpy()
    np.testing.assert_array_equal(boxes[:, :NUM_BOXES + 1], data["bounding_boxes"]["boxes"].numpy()[:1])
    assert np.all(boxes[:, NUM_BOXES + 1:] == -1)
    assert np.all(out["bounding_boxes"]["labels"].numpy()[:, NUM_BOXES + 1:] == -1)
