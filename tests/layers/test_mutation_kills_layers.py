"""Tests written to kill mutants that survived the layers' mutation sample (`tools/mutation.py`).

Each checks a behaviour no other test pinned down, against an independent reference
(numpy, hand-computed values, or the same layer on inputs whose result is known).
"""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from PIL import ImageEnhance
from PIL import ImageOps

import keras_aug
from keras_aug.core.structures import Batch
from keras_aug.layers.mixing import CutMix
from keras_aug.layers.mixing import MixUp
from keras_aug.layers.policies import ops as op_table
from sample_images import textured_image

B, H, W = 4, 12, 16
IMAGES = np.random.RandomState(0).uniform(0, 255, (B, H, W, 3)).astype(np.float32)
CLASSES = [0, 1, 2, 3]


@pytest.mark.parametrize("make", [lambda: MixUp(alpha=0.4, seed=3), lambda: CutMix(seed=3)],
                         ids=["mixup", "cutmix"])
def test_integer_one_hot_labels_are_mixed_as_floats(make):
    # One-hot labels [B, C] given as ints must be mixed as floats (as the float
    # one-hot vectors of the same classes are), not truncated to integer weights.
    _, from_float = make()((IMAGES, np.eye(5, dtype=np.float32)[CLASSES]))
    _, from_int = make()((IMAGES, np.eye(5, dtype=np.int32)[CLASSES]))
    assert np.asarray(from_int).dtype == np.float32
    np.testing.assert_allclose(np.asarray(from_int), np.asarray(from_float), atol=1e-6)
    np.testing.assert_allclose(np.asarray(from_int).sum(axis=1), 1.0, atol=1e-5)
    assert np.any((np.asarray(from_int) > 0.01) & (np.asarray(from_int) < 0.99))  # some labels really mixed


@pytest.mark.parametrize("name, magnitude, reference, tolerance", [
    ("invert", 0.0, ImageOps.invert, 0),
    ("solarize", 100.0, lambda im: ImageOps.solarize(im, 100), 0),
    ("color", -0.6, lambda im: ImageEnhance.Color(im).enhance(0.4), 2),
])
def test_policy_colour_ops_on_rgba_change_the_colours_like_pil_and_keep_alpha(name, magnitude, reference, tolerance):
    rgb = np.round(textured_image(24, 20)).astype(np.uint8)
    alpha = (np.arange(24 * 20).reshape(24, 20) % 251).astype(np.uint8)
    layer = keras_aug.AutoAugment("imagenet")
    layer.op_names = op_table.OPS  # every op, as the colour kernel tests do
    batch = Batch(images=tf.constant(np.dstack([rgb, alpha])[None]))
    params = {"op": tf.constant([[op_table.OP_INDEX[name]]], "int32"),
              "magnitude": tf.constant([[magnitude]], "float32")}
    out = layer.apply(batch, params).images.numpy()[0]
    assert out.shape == (24, 20, 4)
    np.testing.assert_array_equal(out[..., 3], alpha)
    expected = np.asarray(reference(Image.fromarray(rgb)))
    assert np.abs(out[..., :3].astype(int) - expected).max() <= tolerance


def test_mixed_random_choice_of_a_resize_gives_the_resized_size():
    # Every sample chooses the resize (the other layer has probability 0): the output is
    # tf.image.resize's, at the resize's size, not the input's.
    images = np.round(IMAGES[:, :, :, :3]).astype(np.float32)
    layer = keras_aug.RandomChoice([keras_aug.Resizing(6, 8), keras_aug.RandomInvert()], probabilities=[1.0, 0.0])
    out = np.asarray(layer(images, training=True))
    assert out.shape == (B, 6, 8, 3)
    np.testing.assert_allclose(out, tf.image.resize(images, (6, 8)).numpy(), atol=1e-3)
