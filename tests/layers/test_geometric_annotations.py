"""Boxes, masks and keypoints stay with the pixels they annotate."""

import numpy as np
import pytest
import tensorflow as tf

import keras_aug
from geo_helpers import iou
from geo_helpers import mask_box

H, W = 128, 160
B = 24
SEED = tf.constant([7, 8])

# Random layers with a constant fill, so masks are not reflected into the
# border (boxes are never reflected).
ANNOTATION_LAYERS = {
    "RandomFlip": lambda: keras_aug.RandomFlip(),
    "RandomRotation": lambda: keras_aug.RandomRotation(0.25, fill_mode="constant"),
    "RandomZoom": lambda: keras_aug.RandomZoom((-0.4, 0.4), (-0.3, 0.3), fill_mode="constant"),
    "RandomTranslation": lambda: keras_aug.RandomTranslation(0.2, 0.2, fill_mode="constant"),
    "RandomShear": lambda: keras_aug.RandomShear(0.3, 0.3, fill_mode="constant"),
    "RandomAffine": lambda: keras_aug.RandomAffine(40, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=(-10, 10, -10, 10)),
    "RandomCrop": lambda: keras_aug.RandomCrop(112, 136),
    "RandomResizedCrop": lambda: keras_aug.RandomResizedCrop(120, 120, scale=(0.6, 1.0)),
    "RandomRotate90": lambda: keras_aug.RandomRotate90((0, 2)),
    "CenterCrop": lambda: keras_aug.CenterCrop(100, 140),
    "Resizing": lambda: keras_aug.Resizing(150, 170),
    "Pipeline": lambda: keras_aug.Pipeline([
        keras_aug.RandomFlip(), keras_aug.RandomRotation(0.1, fill_mode="constant"),
        keras_aug.RandomZoom(0.2, fill_mode="constant"), keras_aug.RandomTranslation(0.1, 0.1, fill_mode="constant"),
        keras_aug.RandomShear(0.1, fill_mode="constant")]),
    "Pipeline_crops": lambda: keras_aug.Pipeline([
        keras_aug.RandomResizedCrop(120, 120, scale=(0.7, 1.0)), keras_aug.RandomAffine(20, scale=(0.9, 1.2)),
        keras_aug.RandomFlip(), keras_aug.Resizing(128, 144)]),
}


def _boxes_and_masks(seed=0):
    rng = np.random.RandomState(seed)
    w = rng.uniform(40, 72, B)
    h = rng.uniform(36, 64, B)
    x1 = np.floor(rng.uniform(W / 8, W * 7 / 8 - w))
    y1 = np.floor(rng.uniform(H / 8, H * 7 / 8 - h))
    boxes = np.stack([x1, y1, x1 + np.round(w), y1 + np.round(h)], -1).astype(np.float32)
    masks = np.zeros((B, H, W), np.uint8)
    for i, (a, b, c, d) in enumerate(boxes.astype(int)):
        masks[i, b:d, a:c] = 1
    return boxes, masks


def _run(layer, data):
    layer.bounding_box_format = "xyxy"
    return layer(data, seed=SEED)


@pytest.mark.parametrize("name", sorted(ANNOTATION_LAYERS))
def test_boxes_follow_their_masks(name):
    boxes, masks = _boxes_and_masks()
    data = {
        "images": np.zeros((B, H, W, 1), np.float32),
        "segmentation_masks": masks,
        "bounding_boxes": {"boxes": boxes[:, None], "labels": np.ones((B, 1), np.int32)},
    }
    out = _run(ANNOTATION_LAYERS[name](), data)
    out_masks = out["segmentation_masks"].numpy()
    out_boxes = out["bounding_boxes"]["boxes"].numpy()[:, 0]
    out_labels = out["bounding_boxes"]["labels"].numpy()[:, 0]
    ious, errors = [], []
    for i in range(B):
        reference = mask_box(out_masks[i] == 1)
        if out_labels[i] < 0:
            assert reference is None or np.sum(out_masks[i] == 1) <= 3, "a box with pixels was dropped"
            np.testing.assert_array_equal(out_boxes[i], -1)
            continue
        assert reference is not None, "a box without pixels was kept"
        h_out, w_out = out_masks.shape[1:]
        if np.any(np.isclose(out_boxes[i], [0, 0, w_out, h_out])):
            # Clipped: the enclosing box of the clipped corners is larger
            # than the box of the part left in the image, by design.
            continue
        ious.append(iou(out_boxes[i], reference))
        errors.append(out_boxes[i] - reference)
    assert len(ious) >= B // 3
    # No systematic offset (a half-pixel convention error shows up here).
    assert np.all(np.abs(np.mean(errors, axis=0)) < 0.35), np.mean(errors, axis=0)
    assert np.median(ious) >= 0.97 and np.min(ious) >= 0.9, sorted(ious)[:3]


@pytest.mark.parametrize("name", sorted(ANNOTATION_LAYERS))
def test_keypoints_follow_their_marker_pixels(name):
    rng = np.random.RandomState(1)
    rows, cols = rng.randint(4, H - 4, B), rng.randint(4, W - 4, B)
    masks = np.zeros((B, H, W), np.uint8)
    masks[np.arange(B), rows, cols] = 1
    keypoints = np.stack([cols + 0.5, rows + 0.5, np.ones(B)], -1)[:, None].astype(np.float32)
    layer = ANNOTATION_LAYERS[name]()
    if hasattr(layer, "layers"):
        for sub in layer.layers:
            if sub.interpolation is not None:
                sub.interpolation = "nearest"
        layer._steps = type(layer)(layer.layers)._steps
    elif layer.interpolation is not None:
        layer.interpolation = "nearest"
    out = _run(layer, {"images": np.zeros((B, H, W, 1), np.float32), "segmentation_masks": masks,
                       "keypoints": keypoints})
    out_masks = out["segmentation_masks"].numpy()
    out_points = out["keypoints"].numpy()[:, 0]
    checked, offsets, distances = 0, [], []
    for i in range(B):
        ys, xs = np.nonzero(out_masks[i] == 1)
        x, y, visible = out_points[i]
        inside = 0 <= x <= out_masks.shape[2] and 0 <= y <= out_masks.shape[1]
        assert visible == float(inside)
        if len(xs) == 0:  # the marker left the image or fell between output pixels
            continue
        assert inside
        distances.append(np.min(np.hypot(xs + 0.5 - x, ys + 0.5 - y)))
        offsets.append([x - np.mean(xs + 0.5), y - np.mean(ys + 0.5)])
        checked += 1
    assert checked >= B // 3
    assert max(distances) <= 0.5 * np.sqrt(2) + 1e-3
    # Centred on the marker: a half-pixel convention error shows up here.
    assert np.all(np.abs(np.mean(offsets, axis=0)) < 0.2), np.mean(offsets, axis=0)


FORMATS = ["xyxy", "xywh", "center_xywh", "rel_xyxy", "rel_xywh", "rel_center_xywh"]


def _from_xyxy(b, fmt, h, w):
    b = b.astype(np.float64).copy()
    if fmt.endswith("xywh") and not fmt.endswith("center_xywh"):
        b[..., 2:] -= b[..., :2]
    elif fmt.endswith("center_xywh"):
        b = np.concatenate([(b[..., :2] + b[..., 2:]) / 2, b[..., 2:] - b[..., :2]], -1)
    if fmt.startswith("rel_"):
        b = b / np.array([w, h, w, h])
    return b


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_box_format_round_trips_and_padding_stays(fmt):
    boxes = np.array([[[4, 6, 20, 30], [-1, -1, -1, -1], [40, 2, 60, 20]]] * 4, np.float32)
    labels = np.array([[1, -1, 2]] * 4, np.int32)
    images = np.zeros((4, H, W, 3), np.float32)
    reference = keras_aug.RandomAffine(30, scale=(0.8, 1.2), bounding_box_format="xyxy")(
        {"images": images, "bounding_boxes": {"boxes": boxes, "labels": labels}}, seed=SEED)["bounding_boxes"]
    given = np.where(labels[..., None] >= 0, _from_xyxy(boxes, fmt, H, W), -1).astype(np.float32)
    out = keras_aug.RandomAffine(30, scale=(0.8, 1.2), bounding_box_format=fmt)(
        {"images": images, "bounding_boxes": {"boxes": given, "labels": labels}}, seed=SEED)["bounding_boxes"]
    np.testing.assert_array_equal(out["labels"], reference["labels"])
    assert np.all(out["labels"].numpy()[:, 1] == -1)
    valid = reference["labels"].numpy() >= 0
    expected = _from_xyxy(reference["boxes"].numpy(), fmt, H, W)
    np.testing.assert_allclose(out["boxes"].numpy()[valid], expected[valid], atol=1e-3)
    np.testing.assert_array_equal(out["boxes"].numpy()[~valid], -1)
    # Identity when not augmenting: the given boxes come back unchanged.
    same = keras_aug.RandomAffine(30, bounding_box_format=fmt)(
        {"images": images, "bounding_boxes": {"boxes": given, "labels": labels}}, training=False)
    np.testing.assert_allclose(same["bounding_boxes"]["boxes"], given, atol=1e-5)


def test_boxes_leaving_the_image_get_label_minus_one():
    boxes = np.array([[[2, 2, 10, 10], [130, 80, 150, 100]]], np.float32)
    data = {"images": np.zeros((1, H, W, 3), np.float32),
            "bounding_boxes": {"boxes": boxes, "labels": np.array([[3, 4]])}}
    # Shift content right/down by half the image: the second box leaves it.
    out = keras_aug.RandomTranslation((0.5, 0.5), (0.5, 0.5), bounding_box_format="xyxy")(data)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], [[3, -1]])
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"][0, 0], [82, 66, 90, 74], atol=1e-4)
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"][0, 1], -1)
    # Cropped away by a centre crop.
    out = keras_aug.CenterCrop(20, 20, bounding_box_format="xyxy")(data)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], [[-1, -1]])


def test_boxes_need_a_format():
    data = {"images": np.zeros((H, W, 3), np.float32),
            "bounding_boxes": {"boxes": np.zeros((1, 4)), "labels": np.zeros((1,))}}
    with pytest.raises(ValueError, match="bounding_box_format"):
        keras_aug.RandomFlip()(data)
    with pytest.raises(ValueError, match="`bounding_box_format` must be one of"):
        keras_aug.RandomFlip(bounding_box_format="yxhw")
