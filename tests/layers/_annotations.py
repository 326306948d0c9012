"""Helpers for the erasing/mixing tests: annotated batches and box-from-mask checks."""

import numpy as np
import tensorflow as tf

IGNORE = 255


def annotated_batch(batch_size=4, height=32, width=40, boxes_per_sample=3, seed=0, dtype="float32"):
    """Images, one-hot labels, non-overlapping integer boxes and a mask drawing each box.

    Box j of sample i has label (and mask id) 1 + i * N + j, unique in the
    batch, so every box can be traced to its mask pixels after mixing.
    Returns a dict in the layer input layout (boxes "xyxy") plus "ids".
    """
    rng = np.random.RandomState(seed)
    n = boxes_per_sample
    images = rng.uniform(0, 255, (batch_size, height, width, 3))
    masks = np.zeros((batch_size, height, width, 1), np.int32)
    boxes = -np.ones((batch_size, n + 1, 4), np.float32)  # one padding row
    box_labels = -np.ones((batch_size, n + 1), np.int32)
    cell_w = width // n
    for i in range(batch_size):
        for j in range(n):
            x0 = j * cell_w + rng.randint(0, cell_w // 3)
            x1 = (j + 1) * cell_w - rng.randint(0, cell_w // 3)
            y0 = rng.randint(0, height // 3)
            y1 = height - rng.randint(0, height // 3)
            label = 1 + i * n + j
            boxes[i, j] = [x0, y0, x1, y1]
            box_labels[i, j] = label
            masks[i, y0:y1, x0:x1, 0] = label
    labels = np.eye(5, dtype=np.float32)[np.arange(batch_size) % 5]
    if dtype == "uint8":
        images = np.round(images)
    return {
        "images": tf.constant(images.astype(np.float32), dtype=dtype),
        "labels": tf.constant(labels),
        "bounding_boxes": {"boxes": tf.constant(boxes), "labels": tf.constant(box_labels)},
        "segmentation_masks": tf.constant(masks),
    }


def mask_box(mask, label):
    ys, xs = np.nonzero(mask == label)
    if len(ys) == 0:
        return None
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float64)


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def check_integrity(inputs, outputs, every_mask_id_has_box=True, require_pixels=True, coord_tol=None):
    """Box-from-mask checks. Returns the IoUs of the surviving boxes.

    * each surviving box (label >= 0) has positive area, and its mask pixels
      exist; IoU of the box with their bounding box: median >= 0.97, min >= 0.9;
    * mask values are integers from the input set plus the ignore value;
    * (optionally) every object id visible in a mask has a surviving box.
    With `coord_tol` (for resampled outputs, where boxes are fractional and
    masks whole pixels) each box coordinate must instead be within `coord_tol`
    pixels of the mask's bounding box.
    """
    in_ids = set(np.unique(inputs["segmentation_masks"].numpy()).tolist())
    masks = outputs["segmentation_masks"].numpy()
    assert masks.dtype == inputs["segmentation_masks"].numpy().dtype
    assert set(np.unique(masks).tolist()) <= in_ids | {IGNORE}
    boxes = outputs["bounding_boxes"]["boxes"].numpy()
    labels = outputs["bounding_boxes"]["labels"].numpy()
    ious = []
    for i in range(boxes.shape[0]):
        alive = labels[i] >= 0
        assert np.all(boxes[i][~alive] == -1)
        for box, label in zip(boxes[i][alive], labels[i][alive]):
            assert box[2] > box[0] and box[3] > box[1], f"box with zero area: {box}"
            ref = mask_box(masks[i, ..., 0], label)
            if ref is None and not require_pixels:
                continue
            assert ref is not None, f"sample {i}: box {label} survives but none of its pixels do"
            ious.append(iou(box, ref))
            if coord_tol is not None:
                assert np.abs(box - ref).max() <= coord_tol, (box, ref)
        if every_mask_id_has_box:
            visible = set(np.unique(masks[i]).tolist()) - {0, IGNORE}
            assert visible <= set(labels[i][alive].tolist()), (i, visible, labels[i])
    ious = np.array(ious)
    assert len(ious) > 0
    if coord_tol is not None:
        return ious
    assert np.median(ious) >= 0.97, np.median(ious)
    assert ious.min() >= 0.9, ious.min()
    return ious


def assert_same_up_to_float_rounding(a, b):
    """Integer outputs exactly; float outputs to float32 rounding (XLA fuses and reorders sums)."""
    a, b = a.numpy(), b.numpy()
    if np.issubdtype(a.dtype, np.floating):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-4)
    else:
        np.testing.assert_array_equal(a, b)
