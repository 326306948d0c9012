"""Box formats round-trip through absolute xyxy; clipping flags boxes that left the image."""

import numpy as np
import pytest
import tensorflow as tf

from keras_aug.core import boxes as box_utils

H, W = 40, 80
XYXY = np.array([[10.0, 4.0, 30.0, 20.0], [0.0, 0.0, 80.0, 40.0]], np.float32)
EXPECTED = {
    "xyxy": XYXY,
    "xywh": np.array([[10, 4, 20, 16], [0, 0, 80, 40]], np.float32),
    "center_xywh": np.array([[20, 12, 20, 16], [40, 20, 80, 40]], np.float32),
    "rel_xyxy": np.array([[0.125, 0.1, 0.375, 0.5], [0, 0, 1, 1]], np.float32),
    "rel_xywh": np.array([[0.125, 0.1, 0.25, 0.4], [0, 0, 1, 1]], np.float32),
    "rel_center_xywh": np.array([[0.25, 0.3, 0.25, 0.4], [0.5, 0.5, 1, 1]], np.float32),
}


@pytest.mark.parametrize("fmt", box_utils.BOX_FORMATS)
def test_format_conversion_both_ways(fmt):
    np.testing.assert_allclose(box_utils.from_xyxy(tf.constant(XYXY), fmt, H, W), EXPECTED[fmt], atol=1e-6)
    np.testing.assert_allclose(box_utils.to_xyxy(tf.constant(EXPECTED[fmt]), fmt, H, W), XYXY, atol=1e-5)


def test_unknown_format_is_rejected():
    with pytest.raises(ValueError, match="`bounding_box_format` must be one of .*'xyxy'.*got 'yxyx'"):
        box_utils.validate_format("yxyx")


def test_clip_and_invalidate():
    boxes = tf.constant([[[-5.0, -5, 10, 10], [90, 5, 100, 10], [5, 5, 5, 20], [1, 1, 2, 2]]])
    labels = tf.constant([[1, 2, 3, -1]])
    out, out_labels = box_utils.clip_and_invalidate(boxes, labels, H, W)
    np.testing.assert_array_equal(out_labels, [[1, -1, -1, -1]])
    np.testing.assert_allclose(out[0, 0], [0, 0, 10, 10])
    np.testing.assert_allclose(out[0, 1:], -1)
