"""Input structures: what comes back keeps the caller's dtypes; errors say exactly what was wrong."""

import re

import numpy as np
import pytest
import tensorflow as tf

from keras_aug.core import structures


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32])
def test_keypoints_come_back_in_their_dtype(dtype):
    keypoints = np.array([[[1, 2], [3, 4]], [[5, 6], [0, 1]]], dtype)
    out = structures.unpack({"images": np.zeros((2, 6, 8, 3), np.float32), "keypoints": keypoints}).pack()
    assert out["keypoints"].dtype == tf.as_dtype(dtype)
    np.testing.assert_array_equal(out["keypoints"], keypoints)


@pytest.mark.parametrize("bounding_boxes", [np.zeros((1, 4), np.float32), [[0.0, 0.0, 1.0, 1.0]]])
def test_bounding_boxes_not_a_dict_error_is_exact(bounding_boxes):
    message = '`bounding_boxes` must be a dict with keys "boxes" and "labels".'
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        structures.unpack({"images": np.zeros((6, 8, 3), np.float32), "bounding_boxes": bounding_boxes},
                          "xyxy")
