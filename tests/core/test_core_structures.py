"""Input structures: every accepted form unpacks and packs back to the same structure."""

import numpy as np
import pytest
import tensorflow as tf

from keras_aug.core import structures


def _images(shape=(2, 6, 8, 3), dtype=np.float32):
    return np.arange(np.prod(shape)).reshape(shape).astype(dtype)


@pytest.mark.parametrize("batched", [True, False])
def test_tensor_round_trip(batched):
    images = _images() if batched else _images()[0]
    batch = structures.unpack(tf.constant(images))
    assert batch.images.shape == (2, 6, 8, 3) if batched else (1, 6, 8, 3)
    np.testing.assert_array_equal(batch.pack(), images)


def test_channels_first_round_trip():
    images = _images((2, 3, 6, 8))
    batch = structures.unpack(tf.constant(images), data_format="channels_first")
    assert batch.images.shape == (2, 6, 8, 3)
    np.testing.assert_array_equal(batch.pack(), images)


def test_tuple_round_trip_keeps_sample_weight():
    images = _images()
    out = structures.unpack((images, np.array([0, 1]), np.array([1.0, 2.0]))).pack()
    assert isinstance(out, tuple) and len(out) == 3
    np.testing.assert_array_equal(out[1], [0, 1])
    np.testing.assert_array_equal(out[2], [1.0, 2.0])


@pytest.mark.parametrize("fmt", ["xyxy", "rel_xywh"])
def test_dict_round_trip(fmt):
    boxes = np.array([[[1.0, 1, 4, 4], [-1, -1, -1, -1]], [[0.1, 0.2, 0.3, 0.4], [2, 2, 3, 3]]], np.float32)
    labels = np.array([[1, -1], [2, 3]], np.int32)
    data = {
        "images": _images(),
        "labels": np.array([1, 0]),
        "bounding_boxes": {"boxes": boxes, "labels": labels},
        "segmentation_masks": np.zeros((2, 6, 8), np.uint8),
        "keypoints": np.ones((2, 3, 3), np.float32),
        "extra": "kept",
    }
    out = structures.unpack(data, fmt).pack()
    assert set(out) == set(data)
    assert out["extra"] == "kept"
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"][0, 0], boxes[0, 0], atol=1e-6)
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"][0, 1], -1)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], labels)
    assert out["segmentation_masks"].shape == (2, 6, 8) and out["segmentation_masks"].dtype == tf.uint8
    assert out["keypoints"].shape == (2, 3, 3)


@pytest.mark.parametrize("inputs, kwargs, match", [
    (np.zeros((6, 8), np.float32), {}, "rank 3 or 4: `images` must be HWC or NHWC"),
    (np.zeros((1, 1, 6, 8, 3), np.float32), {}, "Expected the input image to be rank 3 or 4"),
    (np.zeros((6, 8, 3), np.bool_), {}, "`images` dtype must be one of"),
    (np.zeros((6, 8, 3), np.complex64), {}, "`images` dtype must be one of"),
    ({"labels": 1}, {}, "must have an `images` key"),
    ((np.zeros((6, 8, 3)),), {}, "tuple input must be"),
    ({"images": np.zeros((6, 8, 3), np.float32), "bounding_boxes": {"boxes": np.zeros((1, 4)), "labels": [1]}},
     {}, "`bounding_box_format` is None; set it to one of"),
    ({"images": np.zeros((6, 8, 3), np.float32), "bounding_boxes": {"boxes": np.zeros((1, 3)), "labels": [1]}},
     {"bounding_box_format": "xyxy"}, "`bounding_boxes\\['boxes'\\]` must have shape"),
    ({"images": np.zeros((6, 8, 3), np.float32), "bounding_boxes": np.zeros((1, 4))},
     {"bounding_box_format": "xyxy"}, "`bounding_boxes` must be a dict"),
    ({"images": np.zeros((6, 8, 3), np.float32), "keypoints": np.zeros((2, 4))}, {}, "`keypoints` must have shape"),
    ({"images": np.zeros((6, 8, 3), np.float32), "segmentation_masks": np.zeros((8,))}, {},
     "`segmentation_masks` must have shape"),
])
def test_bad_inputs_raise_with_argument_name(inputs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        structures.unpack(inputs, **kwargs)
