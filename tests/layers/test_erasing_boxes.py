"""Box dropping counts each box's own visible pixels, not those of the other boxes in the batch."""

import numpy as np
import tensorflow as tf

from keras_aug.core import structures
from keras_aug.layers.erasing import RandomErasing


def test_each_box_is_dropped_by_its_own_visible_fraction():
    data = {
        "images": np.ones((1, 16, 32, 3), np.float32),
        "bounding_boxes": {"boxes": np.array([[[2, 2, 10, 10], [20, 2, 30, 12]]], np.float32),  # xyxy
                           "labels": np.array([[1, 2]], np.int32)},
    }
    batch = structures.unpack(data, "xyxy")
    # Hide columns 0-7 (rects are top, left, bottom, right): the first box keeps
    # 2 of its 8 columns (a quarter), the second box is untouched.
    params = {"rects": tf.constant([[[0, 0, 16, 8]]], tf.float32), "used": tf.constant([[True]]),
              "active": tf.constant([True])}
    out = RandomErasing(fill_value=0.0, min_box_visibility=0.5, bounding_box_format="xyxy").apply(batch, params)
    np.testing.assert_array_equal(out.box_labels.numpy(), [[-1, 2]])
    np.testing.assert_array_equal(out.boxes.numpy()[0, 1], [20, 2, 30, 12])
    kept = RandomErasing(fill_value=0.0, min_box_visibility=0.2, bounding_box_format="xyxy").apply(batch, params)
    np.testing.assert_array_equal(kept.box_labels.numpy(), [[1, 2]])
    np.testing.assert_array_equal(kept.boxes.numpy()[0, 0], [8, 2, 10, 10])  # trimmed to its visible part
