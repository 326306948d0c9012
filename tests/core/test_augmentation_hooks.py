"""The extension contract of `Augmentation`: every target's hook gets the parameters `sample` drew."""

import keras
import numpy as np

from keras_aug.core import Augmentation


class AddDrawnOffset(Augmentation):
    """Adds one drawn number per sample to every target (hand-checkable)."""

    def sample(self, shape, draws):
        return {"offset": draws.uniform([shape.batch_size], 1.0, 2.0)}

    def apply_images(self, images, params, batch):
        return images + params["offset"][:, None, None, None]

    def apply_labels(self, labels, params, batch):
        return labels + params["offset"][:, None]

    def apply_boxes(self, boxes, box_labels, params, batch):
        return boxes + params["offset"][:, None, None], box_labels + 1

    def apply_masks(self, masks, params, batch):
        return masks + keras.ops.cast(params["offset"][:, None, None, None] > 0, masks.dtype)

    def apply_keypoints(self, keypoints, params, batch):
        return keypoints + params["offset"][:, None, None]


def test_every_target_hook_receives_the_sampled_params():
    data = {
        "images": np.zeros((2, 8, 8, 3), np.float32),
        "labels": np.zeros((2, 3), np.float32),
        "bounding_boxes": {"boxes": np.array([[[1.0, 1.0, 3.0, 3.0]]] * 2, np.float32),
                           "labels": np.array([[4], [5]], np.int32)},
        "segmentation_masks": np.zeros((2, 8, 8, 1), np.uint8),
        "keypoints": np.zeros((2, 1, 2), np.float32),
    }
    out = AddDrawnOffset(bounding_box_format="xyxy")(data, training=True, seed=3)
    offset = np.asarray(out["images"])[:, 0, 0, 0]
    assert np.all((offset >= 1.0) & (offset < 2.0)) and offset[0] != offset[1]
    np.testing.assert_allclose(out["images"], np.broadcast_to(offset[:, None, None, None], (2, 8, 8, 3)))
    np.testing.assert_allclose(out["labels"], np.broadcast_to(offset[:, None], (2, 3)))
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"], 1.0 + offset[:, None, None]
                               + np.array([0, 0, 2, 2], np.float32), rtol=1e-6)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], [[5], [6]])
    np.testing.assert_array_equal(out["segmentation_masks"], np.ones((2, 8, 8, 1), np.uint8))
    np.testing.assert_allclose(out["keypoints"], np.broadcast_to(offset[:, None, None], (2, 1, 2)))
