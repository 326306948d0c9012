"""Helpers for the core and geometric tests: reference warps, layer factories, box maths."""

import math

import numpy as np
import scipy.ndimage

from sample_images import textured_image  # noqa: F401  (re-exported for the tests)

import keras_aug

# Our fill modes -> scipy.ndimage modes. Our "constant" blends the fill value
# into bilinear samples near the border, which is scipy's "grid-constant".
SCIPY_MODES = {
    "constant": "grid-constant",
    "nearest": "nearest",
    "reflect": "reflect",
    "wrap": "grid-wrap",
    "mirror": "mirror",
}


def scipy_warp(image, matrix, output_size=None, order=1, fill_mode="constant", fill_value=0.0):
    """Independent reference for `warp`: scipy.ndimage.affine_transform on one HWC image.

    `matrix` maps an output point to the input point in continuous coordinates
    (pixel centres at i + 0.5). scipy works in index space (centres at i), so
    the index-space map is idx_in = A @ idx_out + offset with
    A = [[m11, m10], [m01, m00]] (row, col order) and the half-pixel shifts
    folded into the offset.
    """
    m = np.asarray(matrix, np.float64)
    h, w = image.shape[:2]
    out_h, out_w = output_size or (h, w)
    a = np.array([[m[1, 1], m[1, 0]], [m[0, 1], m[0, 0]]])
    offset = np.array([
        0.5 * m[1, 0] + 0.5 * m[1, 1] + m[1, 2] - 0.5,
        0.5 * m[0, 0] + 0.5 * m[0, 1] + m[0, 2] - 0.5,
    ])
    channels = [
        scipy.ndimage.affine_transform(
            image[..., c].astype(np.float64), a, offset=offset, output_shape=(out_h, out_w),
            order=order, mode=SCIPY_MODES[fill_mode], cval=fill_value, prefilter=False,
        )
        for c in range(image.shape[-1])
    ]
    return np.stack(channels, axis=-1)


def rotation_about_centre(angle, height, width):
    """Hand-built output->input matrix of a rotation by `angle` radians about the centre."""
    c, s = math.cos(angle), math.sin(angle)
    cx, cy = width / 2, height / 2
    return np.array([[c, -s, cx - c * cx + s * cy], [s, c, cy - s * cx - c * cy], [0, 0, 1]])


# Random geometric layers with non-degenerate ranges, for parametrized tests.
# Each factory takes keyword arguments passed through to the layer.
RANDOM_LAYERS = {
    "RandomFlip": lambda **kw: keras_aug.RandomFlip("horizontal_and_vertical", **kw),
    "RandomRotation": lambda **kw: keras_aug.RandomRotation(0.2, **kw),
    "RandomZoom": lambda **kw: keras_aug.RandomZoom(0.3, 0.3, **kw),
    "RandomTranslation": lambda **kw: keras_aug.RandomTranslation(0.2, 0.2, **kw),
    "RandomShear": lambda **kw: keras_aug.RandomShear(0.3, 0.3, **kw),
    "RandomAffine": lambda **kw: keras_aug.RandomAffine(30, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10, **kw),
    "RandomCrop": lambda **kw: keras_aug.RandomCrop(24, 32, **kw),
    "RandomResizedCrop": lambda **kw: keras_aug.RandomResizedCrop(24, 32, **kw),
    "RandomRotate90": lambda **kw: keras_aug.RandomRotate90((0, 2), **kw),
}
FIXED_LAYERS = {
    "Resizing": lambda **kw: keras_aug.Resizing(20, 30, **kw),
    "CenterCrop": lambda **kw: keras_aug.CenterCrop(24, 32, **kw),
}
ALL_LAYERS = {**RANDOM_LAYERS, **FIXED_LAYERS}


def mask_box(mask):
    """Enclosing xyxy box (continuous coordinates) of the True pixels of a 2-D mask, or None."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float64)


def iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(x2 - x1, 0) * max(y2 - y1, 0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def boxes_and_masks_data(b, h, w, min_size, max_size, seed=0):
    """A dict batch of `b` zero images [h, w, 1], one random box each (sizes (w, h) in
    [min_size, max_size)) and its filled mask: for box-of-warped-mask tests."""
    rng = np.random.RandomState(seed)
    size = rng.uniform(min_size, max_size, (b, 2))
    corner = np.floor(rng.uniform([w / 8, h / 8], [w * 7 / 8, h * 7 / 8] - size))
    boxes = np.concatenate([corner, corner + np.round(size)], -1).astype(np.float32)
    masks = np.zeros((b, h, w), np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
        masks[i, y1:y2, x1:x2] = 1
    return {"images": np.zeros((b, h, w, 1), np.float32), "segmentation_masks": masks,
            "bounding_boxes": {"boxes": boxes[:, None], "labels": np.ones((b, 1), np.int32)}}


def box_mask_agreement(out):
    """(IoUs, box - box-of-mask errors) of the output boxes against their warped masks,
    for the samples whose box survived unclipped (a clipped box encloses the clipped
    corners, larger than the box of the part left, by design)."""
    masks = np.asarray(out["segmentation_masks"])
    boxes = np.asarray(out["bounding_boxes"]["boxes"])[:, 0]
    h, w = masks.shape[1:3]
    ious, errors = [], []
    for i in range(len(boxes)):
        reference = mask_box(masks[i] == 1)
        if reference is None or np.any(np.isclose(boxes[i], [0, 0, w, h])):
            continue
        ious.append(iou(boxes[i], reference))
        errors.append(boxes[i] - reference)
    return np.array(ious), np.array(errors)


def layer_dtype(dtype):
    """Layer kwargs under which images of `dtype` come back in `dtype`: uint8 is
    kept by every layer; float images come back in the layer's compute dtype."""
    return {} if dtype == "uint8" else {"dtype": dtype}
