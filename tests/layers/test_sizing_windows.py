"""Crops that copy pixels by index instead of resampling, and the elastic field stored before its warp.

RandomCrop on images that hold its window (static sizes) copies per-sample
windows with one gather (`sizing.windows`); CenterCrop on such images slices.
Both must give what the bilinear warp of their matrices gives (its weights are
1 and 0 there), bit for bit, for every target.
"""

import numpy as np
import pytest
import tensorflow as tf

import keras_aug
from geo_helpers import textured_image
from keras_aug.core import Draws
from keras_aug.core import ImageShape
from keras_aug.core import randomness
from keras_aug.core import structures
from keras_aug.core import warp as warp_lib
from keras_aug.core.geometric import transform_batch
from keras_aug.layers.geometric import elastic
from keras_aug.layers.geometric import sizing

H, W = 24, 32
IMAGES = np.stack([np.round(textured_image(H, W, 3, seed=i)).astype(np.uint8) for i in range(5)])
MASKS = (np.arange(5 * H * W, dtype=np.int32).reshape(5, H, W, 1) * 7) % 11
DATA = {
    "images": IMAGES,
    "segmentation_masks": MASKS,
    "bounding_boxes": {"boxes": np.float32([[[3, 4, 20, 18], [25, 1, 31, 9]]] * 5), "labels": np.int32([[1, 2]] * 5)},
    "keypoints": np.float32([[[5.25, 7.5], [30, 2]]] * 5),
}


def _numpy(tree):
    return tf.nest.map_structure(np.asarray, tree)


def test_windows_are_the_per_sample_slices():
    x0, y0 = np.int32([0, 3, 7, 1, 2]), np.int32([9, 0, 4, 2, 9])
    out = sizing.windows(tf.constant(IMAGES), tf.constant(x0), tf.constant(y0), 15, 25).numpy()
    for i in range(len(IMAGES)):
        np.testing.assert_array_equal(out[i], IMAGES[i, y0[i]: y0[i] + 15, x0[i]: x0[i] + 25])


def test_random_crop_gives_the_bilinear_warp_of_its_matrices_for_every_target():
    layer = keras_aug.RandomCrop(15, 25, bounding_box_format="xyxy")
    params = layer.sample(ImageShape(5, H, W, 3), Draws(randomness.as_seed((3, 4))))
    assert len({tuple(m) for m in params["matrix"].numpy()[:, :2, 2]}) > 1  # the windows differ
    batch = structures.unpack(DATA, "xyxy")
    got = _numpy(layer.apply(batch, params).pack())
    want = _numpy(transform_batch(batch, params["matrix"], (15, 25), "bilinear", "nearest").pack())
    tf.nest.map_structure(np.testing.assert_array_equal, got, want)


def test_random_crop_windows_in_a_graph_of_unknown_batch_size():
    layer = keras_aug.RandomCrop(15, 25)
    spec = tf.TensorSpec([None, H, W, 3], tf.uint8)
    graph = tf.function(lambda x: layer(x, training=True, seed=(1, 2)), input_signature=[spec])
    np.testing.assert_array_equal(graph(IMAGES).numpy(), layer(IMAGES, training=True, seed=(1, 2)).numpy())


@pytest.mark.parametrize("size", [(15, 25), (H, W)])
def test_a_center_crop_that_fits_is_a_slice_not_a_resample(monkeypatch, size):
    def no_warp(*args, **kwargs):
        raise AssertionError("CenterCrop resampled an image it only needs to slice")

    monkeypatch.setattr(warp_lib, "warp", no_warp)
    out = keras_aug.CenterCrop(*size)(IMAGES, training=True)
    top, left = (H - size[0]) // 2, (W - size[1]) // 2
    np.testing.assert_array_equal(np.asarray(out), IMAGES[:, top: top + size[0], left: left + size[1]])


def test_the_elastic_field_is_stored_before_the_warps_read_it(monkeypatch):
    # Under jax.jit, fused into the warp's coordinate reads with its draws,
    # the field made one call compile for minutes (benchmarks/eager_first_calls.py).
    stored = []

    def recording(values):
        stored.append(tuple(values.shape))
        return values

    monkeypatch.setattr(elastic, "materialized", recording)
    keras_aug.RandomElasticTransform(factor=(1.0, 1.0))(IMAGES, training=True, seed=(1, 2))
    assert stored == [(5, H, W, 2)]
