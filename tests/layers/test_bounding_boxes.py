"""MaxNumBoundingBoxes: exact padding and truncation of boxes and their labels."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_aug
from keras_aug.core.base import ImageShape

IMAGES = np.arange(2 * 6 * 8 * 3, dtype=np.uint8).reshape(2, 6, 8, 3)
BOXES = np.float32([[[1, 1, 3, 4], [2, 0, 6, 5], [0, 0, 1, 1]], [[4, 2, 8, 6], [-1, -1, -1, -1], [-1, -1, -1, -1]]])
LABELS = np.int32([[3, 1, 2], [5, -1, -1]])


def _data(**extra):
    return {"images": IMAGES, "bounding_boxes": {"boxes": BOXES, "labels": LABELS}, **extra}


@pytest.mark.parametrize("training", [True, False, None])
def test_pads_with_minus_one_rows_as_keras(training):
    layer = keras_aug.MaxNumBoundingBoxes(5, bounding_box_format="xyxy")
    masks = np.ones((2, 6, 8), np.int32)
    out = layer(_data(segmentation_masks=masks, labels=np.int32([0, 1])), training=training)
    expected_boxes = np.concatenate([BOXES, -np.ones((2, 2, 4), np.float32)], axis=1)
    expected_labels = np.concatenate([LABELS, -np.ones((2, 2), np.int32)], axis=1)
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"], expected_boxes)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], expected_labels)
    np.testing.assert_array_equal(out["images"], IMAGES)
    np.testing.assert_array_equal(out["segmentation_masks"], masks)
    np.testing.assert_array_equal(out["labels"], [0, 1])


def test_truncates_to_the_first_boxes():
    out = keras_aug.MaxNumBoundingBoxes(2, bounding_box_format="xywh")(_data())
    xywh = np.float32([[[1, 1, 3, 4], [2, 0, 6, 5]], [[4, 2, 8, 6], [-1, -1, -1, -1]]])
    # xywh in and out: the first two rows of each sample, unchanged.
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"], BOXES[:, :2])
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"], xywh)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], LABELS[:, :2])


def test_other_fill_value_goes_to_the_padding_labels():
    out = keras_aug.MaxNumBoundingBoxes(4, fill_value=-7, bounding_box_format="xyxy")(_data())
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"][:, 3], [-7, -7])
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"][:, 3], -np.ones((2, 4)))


def test_unbatched_and_images_only_inputs():
    layer = keras_aug.MaxNumBoundingBoxes(4, bounding_box_format="xyxy")
    out = layer({"images": IMAGES[0], "bounding_boxes": {"boxes": BOXES[0], "labels": LABELS[0]}})
    assert out["bounding_boxes"]["boxes"].shape == (4, 4) and out["bounding_boxes"]["labels"].shape == (4,)
    np.testing.assert_array_equal(layer(IMAGES), IMAGES)


def test_in_tf_data_and_compiled():
    layer = keras_aug.MaxNumBoundingBoxes(4, bounding_box_format="xyxy")
    ds = tf.data.Dataset.from_tensor_slices(_data()).map(layer).batch(2)
    out = next(iter(ds))
    assert out["bounding_boxes"]["boxes"].shape == (2, 4, 4)
    compiled = tf.function(layer, jit_compile=True)(_data())
    np.testing.assert_array_equal(compiled["bounding_boxes"]["labels"], out["bounding_boxes"]["labels"])


def test_arguments_config_and_identity():
    with pytest.raises(ValueError, match="`max_number` must be an int >= 1"):
        keras_aug.MaxNumBoundingBoxes(0)
    with pytest.raises(ValueError, match="`fill_value` must be an int"):
        keras_aug.MaxNumBoundingBoxes(3, fill_value=0.5)
    layer = keras_aug.MaxNumBoundingBoxes(3, fill_value=-2, bounding_box_format="xyxy")
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert (clone.max_number, clone.fill_value, clone.bounding_box_format) == (3, -2, "xyxy")
    with pytest.raises(ValueError, match="no identity parameters"):
        layer.identity_params(ImageShape(2, 6, 8, 3))
