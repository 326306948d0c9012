"""Pipeline settings come from its layers: seeds, box format, data format; every layer documents itself."""

import inspect
import pydoc

import keras
import numpy as np
import pytest

import keras_aug
from geo_helpers import textured_image
from keras_aug.core import Augmentation

IMAGES = np.stack([textured_image(24, 32, 3, seed=i) for i in range(4)])
BOXES = {"boxes": np.tile(np.array([[[4.0, 3.0, 20.0, 15.0]]], np.float32), (4, 1, 1)),
         "labels": np.zeros((4, 1), np.float32)}


def seeded_layers(flip_seed=1, rotation_seed=2, **kwargs):
    return [keras_aug.RandomFlip(seed=flip_seed, **kwargs), keras_aug.RandomRotation(0.2, seed=rotation_seed, **kwargs)]


def test_pipeline_of_seeded_layers_is_reproducible_from_their_seeds():
    first = keras_aug.Pipeline(seeded_layers())(IMAGES)
    again = keras_aug.Pipeline(seeded_layers())(IMAGES)
    np.testing.assert_array_equal(np.asarray(first), np.asarray(again))
    other = keras_aug.Pipeline(seeded_layers(rotation_seed=3))(IMAGES)
    assert np.abs(np.asarray(other, np.float32) - np.asarray(first, np.float32)).max() > 10


def test_pipeline_seed_round_trips_through_config():
    pipe = keras_aug.Pipeline(seeded_layers())
    rebuilt = keras_aug.Pipeline.from_config(pipe.get_config())
    assert rebuilt.get_config()["seed"] is None  # the user's value is kept, the derivation redone
    np.testing.assert_array_equal(np.asarray(pipe(IMAGES)), np.asarray(rebuilt(IMAGES)))


def test_nested_pipelines_of_seeded_layers_are_reproducible():
    def build():
        return keras_aug.Pipeline([keras_aug.Pipeline(seeded_layers()), keras_aug.RandomZoom(0.2, seed=5)])

    np.testing.assert_array_equal(np.asarray(build()(IMAGES)), np.asarray(build()(IMAGES)))


def test_one_unseeded_layer_leaves_the_pipeline_random():
    pipe = keras_aug.Pipeline([keras_aug.RandomFlip(seed=1), keras_aug.RandomRotation(0.2)])
    assert pipe.reproducible_seed is None
    assert keras_aug.Pipeline(seeded_layers()).reproducible_seed is not None
    assert keras_aug.Pipeline(seeded_layers(), seed=9).reproducible_seed == 9


def test_box_format_is_taken_from_the_layers():
    from_layers = keras_aug.Pipeline(seeded_layers(bounding_box_format="xyxy"))
    explicit = keras_aug.Pipeline(seeded_layers(), bounding_box_format="xyxy", seed=from_layers.reproducible_seed)
    assert from_layers.bounding_box_format == "xyxy"
    got = from_layers({"images": IMAGES, "bounding_boxes": BOXES})
    want = explicit({"images": IMAGES, "bounding_boxes": BOXES})
    np.testing.assert_allclose(np.asarray(got["bounding_boxes"]["boxes"]),
                               np.asarray(want["bounding_boxes"]["boxes"]), atol=1e-4)


def test_layers_that_disagree_are_named():
    layers = [keras_aug.RandomFlip(bounding_box_format="xyxy"), keras_aug.RandomZoom(0.1),
              keras_aug.RandomRotation(0.1, bounding_box_format="xywh")]
    with pytest.raises(ValueError, match=r"layers\[0\] \(RandomFlip\) say 'xyxy'.*layers\[2\] \(RandomRotation\) say 'xywh'"):
        keras_aug.Pipeline(layers)
    with pytest.raises(ValueError, match=r"bounding_box_format`='xyxy'\) disagrees.*layers\[2\] \(RandomRotation\)"):
        keras_aug.Pipeline(layers, bounding_box_format="xyxy")
    data_formats = [keras_aug.RandomFlip(data_format="channels_first"), keras_aug.RandomZoom(0.1, data_format="channels_last")]
    with pytest.raises(ValueError, match=r"data_format.*layers\[0\] \(RandomFlip\) say 'channels_first'"):
        keras_aug.Pipeline(data_formats)


def test_data_format_is_taken_from_the_layers():
    layers = [keras_aug.RandomFlip("horizontal", data_format="channels_first", seed=1), keras_aug.RandomZoom(0.1, seed=2)]
    pipe = keras_aug.Pipeline(layers)
    assert pipe.data_format == "channels_first"
    out = pipe(np.transpose(IMAGES, (0, 3, 1, 2)))
    assert tuple(out.shape) == (4, 3, 24, 32)


def public_layers():
    return sorted(
        (name, obj) for name, obj in vars(keras_aug).items()
        if inspect.isclass(obj) and issubclass(obj, Augmentation)
    )


@pytest.mark.parametrize("name, cls", public_layers(), ids=[name for name, _ in public_layers()])
def test_help_shows_each_public_layers_docstring(name, cls):
    assert cls.__doc__ and cls.__doc__ is not Augmentation.__doc__, f"{name} has no docstring of its own"
    first_line = inspect.getdoc(cls).splitlines()[0]
    assert first_line in pydoc.render_doc(cls, renderer=pydoc.plaintext)
    assert "Args:" in cls.__doc__ or not inspect.signature(cls.__init__).parameters.keys() - {"self", "kwargs"}
