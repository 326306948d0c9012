"""Bounding-box formats: conversion to and from absolute xyxy.

Internally every layer works on absolute `xyxy` boxes in continuous pixel
coordinates (the image spans [0, width] x [0, height]). Padding rows carry
label -1 and are never modified. Written on `keras_aug.core.backend.ops`.
"""

from keras_aug.core.backend import ops

BOX_FORMATS = ("xyxy", "xywh", "center_xywh", "rel_xyxy", "rel_xywh", "rel_center_xywh")


def validate_format(bounding_box_format):
    if bounding_box_format is None:
        return None
    if bounding_box_format not in BOX_FORMATS:
        raise ValueError(
            f"`bounding_box_format` must be one of {BOX_FORMATS}; got {bounding_box_format!r}."
        )
    return bounding_box_format


def to_xyxy(boxes, bounding_box_format, height, width):
    """Converts boxes [..., 4] in `bounding_box_format` to absolute xyxy float32."""
    boxes = ops.cast(boxes, "float32")
    a, b, c, d = ops.unstack(boxes, axis=-1)
    base = bounding_box_format.removeprefix("rel_")
    if base == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif base == "center_xywh":
        a, b, c, d = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    if bounding_box_format.startswith("rel_"):
        w = ops.cast(width, "float32")
        h = ops.cast(height, "float32")
        a, b, c, d = a * w, b * h, c * w, d * h
    return ops.stack([a, b, c, d], axis=-1)


def from_xyxy(boxes, bounding_box_format, height, width):
    """Converts absolute xyxy boxes back to `bounding_box_format`."""
    x1, y1, x2, y2 = ops.unstack(boxes, axis=-1)
    if bounding_box_format.startswith("rel_"):
        w = ops.cast(width, "float32")
        h = ops.cast(height, "float32")
        x1, y1, x2, y2 = x1 / w, y1 / h, x2 / w, y2 / h
    base = bounding_box_format.removeprefix("rel_")
    if base == "xywh":
        x1, y1, x2, y2 = x1, y1, x2 - x1, y2 - y1
    elif base == "center_xywh":
        x1, y1, x2, y2 = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
    return ops.stack([x1, y1, x2, y2], axis=-1)


def clip_and_invalidate(boxes, labels, height, width, min_area=0.0):
    """Clips xyxy boxes to the image; boxes left with area <= min_area get label -1.

    Invalidated and padding rows are set to -1 in every coordinate so that a
    consumer cannot mistake them for real boxes.
    """
    w = ops.cast(width, "float32")
    h = ops.cast(height, "float32")
    x1, y1, x2, y2 = ops.unstack(boxes, axis=-1)
    x1 = ops.clip(x1, 0.0, w)
    x2 = ops.clip(x2, 0.0, w)
    y1 = ops.clip(y1, 0.0, h)
    y2 = ops.clip(y2, 0.0, h)
    area = (x2 - x1) * (y2 - y1)
    keep = ops.logical_and(
        ops.logical_and(ops.cast(labels, "float32") >= 0, area > min_area),
        ops.logical_and(x2 > x1, y2 > y1),
    )
    clipped = ops.stack([x1, y1, x2, y2], axis=-1)
    boxes = ops.where(keep[..., None], clipped, -ops.ones_like(clipped))
    labels = ops.where(keep, labels, -ops.ones_like(labels))
    return boxes, labels
