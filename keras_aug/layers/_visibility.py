"""What stays visible of boxes and keypoints after some pixels were hidden.

A "hidden" map is a [B, H, W] bool tensor, True where a layer replaced the
sample's own pixels (erased, or pasted over from another sample). Boxes are
the core's internal layout: [B, N, 4] absolute xyxy float32 with label -1
(and coordinates -1) on padding rows.

Written on `keras_aug.core.backend.ops`; compiles under XLA and `jax.jit`.
"""

from keras_aug.core.backend import ops
from keras_aug.core.matrices import as_float
from keras_aug.layers._gathers import take_per_sample


def visible_boxes(boxes, labels, hidden, min_visibility=0.0, trim=True):
    """Boxes after some of their pixels were hidden (erased or pasted over).

    The visible fraction of a box is the share of the pixels it touches that
    are not hidden. A box is dropped (label -1, coordinates -1) when that
    fraction is <= `min_visibility` (so a fully hidden box always goes). With
    `trim`, each surviving box shrinks to the extent of its visible pixels
    (e.g. a patch over a box's left half leaves the right half), so boxes stay
    the bounding boxes of what is left of the object.
    """
    _, height, width = ops.shape(hidden)
    visible = 1.0 - as_float(hidden)
    zeros_row = ops.zeros_like(visible[:, :1, :])
    zeros_col = ops.zeros_like(visible[:, :, :1])
    col_prefix = ops.concatenate([zeros_row, ops.cumsum(visible, axis=1)], axis=1)  # [B, H+1, W]
    row_prefix = ops.concatenate([zeros_col, ops.cumsum(visible, axis=2)], axis=2)  # [B, H, W+1]
    row_prefix = ops.transpose(row_prefix, [0, 2, 1])  # [B, W+1, H]
    x1, y1, x2, y2 = ops.unstack(boxes, axis=-1)
    fw, fh = as_float(width), as_float(height)
    c0 = ops.cast(ops.clip(ops.floor(x1), 0.0, fw), "int32")
    c1 = ops.cast(ops.clip(ops.ceil(x2), 0.0, fw), "int32")
    r0 = ops.cast(ops.clip(ops.floor(y1), 0.0, fh), "int32")
    r1 = ops.cast(ops.clip(ops.ceil(y2), 0.0, fh), "int32")
    c1 = ops.maximum(c1, c0)
    r1 = ops.maximum(r1, r0)
    col_count = take_per_sample(col_prefix, r1) - take_per_sample(col_prefix, r0)  # [B, N, W]
    row_count = take_per_sample(row_prefix, c1) - take_per_sample(row_prefix, c0)  # [B, N, H]
    cols = ops.arange(width, dtype="int32")
    rows = ops.arange(height, dtype="int32")
    in_cols = (cols >= c0[..., None]) & (cols < c1[..., None])  # [B, N, W]
    in_rows = (rows >= r0[..., None]) & (rows < r1[..., None])  # [B, N, H]
    col_vis = (col_count > 0.5) & in_cols
    row_vis = (row_count > 0.5) & in_rows
    seen = ops.sum(ops.where(in_cols, col_count, 0.0), axis=-1)
    total = as_float((r1 - r0) * (c1 - c0))
    fraction = seen / ops.maximum(total, 1.0)
    if trim:
        x1 = ops.maximum(x1, as_float(_first_true(col_vis)))
        x2 = ops.minimum(x2, as_float(_last_true(col_vis)) + 1.0)
        y1 = ops.maximum(y1, as_float(_first_true(row_vis)))
        y2 = ops.minimum(y2, as_float(_last_true(row_vis)) + 1.0)
    keep = ((as_float(labels) >= 0) & ops.any(col_vis, axis=-1) & (fraction > min_visibility)
            & (x2 > x1) & (y2 > y1))
    return drop_boxes(ops.stack([x1, y1, x2, y2], axis=-1), labels, keep)


def _first_true(flags):
    """Index of the first True along the last axis (0 when there is none)."""
    return ops.argmax(ops.cast(flags, "int32"), axis=-1)


def _last_true(flags):
    """Index of the last True along the last axis (the last index when there is none)."""
    return ops.shape(flags)[-1] - 1 - _first_true(ops.flip(flags, axis=-1))


def drop_boxes(boxes, labels, keep):
    """Boxes and labels with the rows where `keep` is False set to -1 (padding)."""
    boxes = ops.where(keep[..., None], boxes, -ops.ones_like(boxes))
    return boxes, ops.where(keep, labels, -ops.ones_like(labels))


def clip_boxes_to_rect(boxes, labels, rect, min_visibility=0.0):
    """Clips boxes [B, N, 4] to one rectangle per sample [B, 4] (y0, x0, y1, x1).

    A box keeps its part inside the rectangle; it is dropped when nothing is
    left or the kept share of its area is <= `min_visibility`.
    """
    y0, x0, ry1, rx1 = [t[:, None] for t in ops.unstack(rect, axis=-1)]
    x1, y1, x2, y2 = ops.unstack(boxes, axis=-1)
    area = (x2 - x1) * (y2 - y1)
    cx1 = ops.clip(x1, x0, rx1)
    cx2 = ops.clip(x2, x0, rx1)
    cy1 = ops.clip(y1, y0, ry1)
    cy2 = ops.clip(y2, y0, ry1)
    kept = (cx2 - cx1) * (cy2 - cy1)
    keep = ((as_float(labels) >= 0) & (cx2 > cx1) & (cy2 > cy1)
            & (kept > min_visibility * ops.maximum(area, 0.0)))
    return drop_boxes(ops.stack([cx1, cy1, cx2, cy2], axis=-1), labels, keep)


def hide_keypoints(keypoints, hidden):
    """Keypoints [B, N, 2|3]: points on hidden pixels get visibility 0 (when there is a visibility column)."""
    if keypoints.shape[-1] != 3:
        return keypoints
    _, height, width = ops.shape(hidden)
    x = ops.cast(ops.floor(keypoints[..., 0]), "int32")
    y = ops.cast(ops.floor(keypoints[..., 1]), "int32")
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    flat = ops.reshape(hidden, [ops.shape(hidden)[0], -1])
    index = ops.clip(y, 0, height - 1) * width + ops.clip(x, 0, width - 1)
    covered = take_per_sample(flat, index) & inside
    visibility = ops.where(covered, ops.zeros_like(keypoints[..., 2]), keypoints[..., 2])
    return ops.concatenate([keypoints[..., :2], visibility[..., None]], axis=-1)
