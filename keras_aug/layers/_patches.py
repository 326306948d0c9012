"""Rectangle, patch, partner and label math shared by the erasing and mixing layers.

Conventions.
  * A rectangle is `(y0, x0, y1, x1)` in whole pixels (float32 tensors holding
    integers), half-open: it covers pixel rows y0..y1-1 and columns x0..x1-1,
    i.e. the continuous region [x0, x1] x [y0, y1] of box coordinates (pixel i
    spans [i, i + 1]). Its area is exactly (y1 - y0) * (x1 - x0) pixels.
  * A "hidden" map is a [B, H, W] bool tensor: True where a layer replaced the
    sample's own pixels (erased, or pasted over from another sample).
  * Boxes are the core's internal layout: [B, N, 4] absolute xyxy float32 with
    label -1 (and coordinates -1) on padding rows.

Every function here is pure, written on `keras_aug.core.backend.ops` (so it
computes with the backend of the current call, TensorFlow or JAX), and
compiles under XLA and `jax.jit`: no output shape depends on tensor values.
"""

import math
import numbers

from keras_aug.core import arguments
from keras_aug.core import dtypes
from keras_aug.core.backend import dtype_name
from keras_aug.core.backend import ops


def f32(x):
    """`x` (a tensor, a python number or a scalar size) as a float32 tensor."""
    return ops.cast(x, "float32")


def take_per_sample(values, index):
    """values[b, index[b, ...]] along axis 1: [B, R, ...] by [B, N] -> [B, N, ...].

    (TF's `gather(..., axis=1, batch_dims=1)`.) One gather on the flattened
    first two axes: cheaper than `take_along_axis`, which broadcasts the index
    over the trailing axes.
    """
    shape = ops.shape(values)
    rows = shape[1]
    offsets = ops.arange(shape[0], dtype="int32") * ops.cast(rows, "int32")
    flat = ops.reshape(values, [-1] + list(shape[2:]))
    offsets = ops.reshape(offsets, [-1] + [1] * (len(index.shape) - 1))
    return ops.take(flat, ops.cast(index, "int32") + offsets, axis=0)


# --------------------------------------------------------------- rectangles
def rect_hidden(rects, active, height, width):
    """Union of rectangles as a [B, H, W] bool map.

    Args:
      rects: [B, K, 4] (y0, x0, y1, x1) whole-pixel rectangles.
      active: [B, K] bool; inactive rectangles hide nothing.
    """
    rows = f32(ops.arange(height, dtype="int32"))
    cols = f32(ops.arange(width, dtype="int32"))
    y0, x0, y1, x1 = ops.unstack(rects, axis=-1)
    in_rows = f32((rows >= y0[..., None]) & (rows < y1[..., None]) & active[..., None])  # [B, K, H]
    in_cols = f32((cols >= x0[..., None]) & (cols < x1[..., None]))  # [B, K, W]
    return ops.einsum("bkh,bkw->bhw", in_rows, in_cols) > 0.5


def clipped_rects(y0, x0, rect_height, rect_width, height, width):
    """Rectangles (y0, x0, y0 + rect_height, x0 + rect_width) clipped to an image of (height, width).

    Float32 tensors of pixel coordinates; the result stacks them on a new last axis.
    """
    return ops.stack([ops.clip(y0, 0.0, height), ops.clip(x0, 0.0, width),
                      ops.clip(y0 + rect_height, 0.0, height), ops.clip(x0 + rect_width, 0.0, width)], axis=-1)


def rect_area(rect):
    y0, x0, y1, x1 = ops.unstack(rect, axis=-1)
    return ops.maximum(y1 - y0, 0.0) * ops.maximum(x1 - x0, 0.0)


def sample_erasing_rects(draws, shape, count, scale, ratio, tries=10):
    """Zhong et al. rectangles: area ~ U(scale) * H * W, log(w / h) ~ U(log ratio).

    Each of the `count` rectangles per sample gets `tries` proposals; the first
    that fits inside the image is used (integer size, position uniform over
    every place it fits). A rectangle with no fitting proposal is inactive.

    Returns (rects [B, count, 4], found [B, count] bool).
    """
    n = shape.batch_size
    h = f32(shape.height)
    w = f32(shape.width)
    area = draws.uniform([tries, n, count], scale[0], scale[1]) * h * w
    aspect = ops.exp(draws.uniform([tries, n, count], math.log(ratio[0]), math.log(ratio[1])))
    rw = ops.round(ops.sqrt(area * aspect))
    rh = ops.round(ops.sqrt(area / aspect))
    ok = (rw >= 1) & (rh >= 1) & (rw <= w) & (rh <= h)
    first = ops.argmax(ops.cast(ok, "int32"), axis=0)
    pick = ops.one_hot(first, tries, axis=0, dtype="float32")
    rw = ops.sum(rw * pick, axis=0)
    rh = ops.sum(rh * pick, axis=0)
    found = ops.any(ok, axis=0)
    y0 = ops.floor(draws.uniform([n, count]) * (h - rh + 1))
    x0 = ops.floor(draws.uniform([n, count]) * (w - rw + 1))
    rects = ops.stack([y0, x0, y0 + rh, x0 + rw], axis=-1)
    return rects, found


def sample_count_active(draws, n, count, apply):
    """[B, K] bool: rectangle k is used when k < per-sample count and the sample is augmented."""
    low, high = count
    per_sample = draws.integers([n], low, high + 1)
    k = ops.arange(high, dtype="int32")
    return (k[None, :] < per_sample[:, None]) & apply[:, None]


# -------------------------------------------------------------- arguments
def parse_count(value, name="count"):
    """An int >= 1 or a (low, high) pair of ints: per-sample number of rectangles."""
    def is_int(v):
        return isinstance(v, numbers.Integral) and not isinstance(v, bool)

    if is_int(value):
        value = (value, value)
    if (not isinstance(value, (tuple, list)) or len(value) != 2 or not all(is_int(v) for v in value)
            or not 1 <= value[0] <= value[1]):
        raise ValueError(f"`{name}` must be an int >= 1 or a (low, high) pair of ints with 1 <= low <= high; "
                         f"got {value!r}.")
    return int(value[0]), int(value[1])


FILL_MODES = ("constant", "random", "mean")


def parse_fill(fill_mode, fill_value, value_range):
    """Validates (fill_mode, fill_value, value_range); returns them normalized."""
    value_range = arguments.parse_range(value_range, "value_range", symmetric=False)
    if value_range[0] >= value_range[1]:
        raise ValueError(f"`value_range` must be (low, high) with low < high; got {value_range!r}.")
    if fill_mode is None:
        fill_mode = "random" if fill_value is None else "constant"
    arguments.parse_choice(fill_mode, "fill_mode", FILL_MODES)
    if fill_mode == "constant":
        if fill_value is None:
            raise ValueError("`fill_value` must be a number or a per-channel list when fill_mode='constant'; "
                             "got None.")
        if isinstance(fill_value, (tuple, list)):
            if not fill_value or not all(arguments._is_number(v) for v in fill_value):
                raise ValueError(f"`fill_value` must be a number or a list of numbers (one per channel); "
                                 f"got {fill_value!r}.")
            fill_value = [float(v) for v in fill_value]
        elif arguments._is_number(fill_value):
            fill_value = float(fill_value)
        else:
            raise ValueError(f"`fill_value` must be a number or a list of numbers (one per channel); "
                             f"got {fill_value!r}.")
    return fill_mode, fill_value, value_range


def parse_mask_fill_value(value):
    if value is not None and (not isinstance(value, numbers.Integral) or isinstance(value, bool)):
        raise ValueError(f"`mask_fill_value` must be an int (a class id, e.g. the ignore value 255) or None "
                         f"(masks stay as they are); got {value!r}.")
    return value


def parse_visibility(value, name="min_box_visibility"):
    if not arguments._is_number(value) or not 0.0 <= value < 1.0:
        raise ValueError(f"`{name}` must be a number in [0, 1): boxes with a visible fraction at or under it "
                         f"are dropped; got {value!r}.")
    return float(value)


def parse_num_classes(value):
    if value is not None and (not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1):
        raise ValueError(f"`num_classes` must be a positive int or None; got {value!r}.")
    return value


def fill_values(images, fill_mode, fill_value, noise, value_range):
    """The float32 values erased pixels take (broadcastable to [B, H, W, C])."""
    channels = images.shape[-1]
    if fill_mode == "constant":
        if isinstance(fill_value, list):
            if channels is not None and len(fill_value) != channels:
                raise ValueError(f"`fill_value` has {len(fill_value)} values but the images have {channels} "
                                 "channels.")
        return ops.convert_to_tensor(fill_value, "float32")
    if fill_mode == "mean":
        return ops.mean(f32(images), axis=(1, 2), keepdims=True)
    return noise  # "random": drawn in `sample`, already in value_range


# ----------------------------------------------------------------- boxes
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
    visible = 1.0 - f32(hidden)
    zeros_row = ops.zeros_like(visible[:, :1, :])
    zeros_col = ops.zeros_like(visible[:, :, :1])
    col_prefix = ops.concatenate([zeros_row, ops.cumsum(visible, axis=1)], axis=1)  # [B, H+1, W]
    row_prefix = ops.concatenate([zeros_col, ops.cumsum(visible, axis=2)], axis=2)  # [B, H, W+1]
    row_prefix = ops.transpose(row_prefix, [0, 2, 1])  # [B, W+1, H]
    x1, y1, x2, y2 = ops.unstack(boxes, axis=-1)
    fw, fh = f32(width), f32(height)
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
    total = f32((r1 - r0) * (c1 - c0))
    fraction = seen / ops.maximum(total, 1.0)
    if trim:
        x1 = ops.maximum(x1, f32(_first_true(col_vis)))
        x2 = ops.minimum(x2, f32(_last_true(col_vis)) + 1.0)
        y1 = ops.maximum(y1, f32(_first_true(row_vis)))
        y2 = ops.minimum(y2, f32(_last_true(row_vis)) + 1.0)
    keep = ((f32(labels) >= 0) & ops.any(col_vis, axis=-1) & (fraction > min_visibility)
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
    keep = ((f32(labels) >= 0) & (cx2 > cx1) & (cy2 > cy1)
            & (kept > min_visibility * ops.maximum(area, 0.0)))
    return drop_boxes(ops.stack([cx1, cy1, cx2, cy2], axis=-1), labels, keep)


def gather_samples(tensor, index):
    """tensor[index] along the batch axis (index: [B] int32)."""
    return ops.take(tensor, index, axis=0)


# -------------------------------------------------------------- partners
def partners(draws, batch_size, count=1):
    """`count` partner indices per sample, [count, B] int32, from one random permutation.

    Samples are put in a random cyclic order (argsort of stateless uniforms);
    partner k of a sample is the one k + 1 places after it. So each partner map
    is a random permutation that never maps a sample to itself when B > 1, each
    sample's partner is uniform over the others, and with B > count the
    `count` partners of a sample are distinct. With B == 1 the partner is the
    sample itself.
    """
    order = ops.argsort(draws.uniform([batch_size]))  # position -> sample
    position = ops.argsort(order)  # sample -> position
    size = ops.shape(order)[0]
    out = [ops.take(order, (position + k) % size, axis=0) for k in range(1, count + 1)]
    return ops.stack(out, axis=0)


# ------------------------------------------------------------------ labels
def prepare_labels(labels, num_classes, layer_name):
    """Labels as float tensors that can be mixed linearly.

    One-hot or soft vectors [B, C] mix directly; float scalars ([B] or [B, 1],
    e.g. binary 0/1) mix as floats; integer class ids ([B] or [B, 1]) are
    one-hot encoded with `num_classes`, which they require.
    """
    labels = ops.convert_to_tensor(labels)
    rank = len(labels.shape)
    scalar = rank == 1 or (rank == 2 and labels.shape[-1] == 1)
    if rank == 0:
        raise ValueError(f"{layer_name}: labels must have a leading batch axis ([B], [B, 1] or [B, C]); "
                         f"got shape {tuple(labels.shape)}.")
    if scalar and num_classes is not None:
        ids = ops.cast(ops.reshape(labels, [-1]), "int32")
        return ops.one_hot(ids, num_classes, dtype="float32")
    if scalar and not dtypes.is_floating(labels):
        raise ValueError(
            f"{layer_name} got integer class ids as labels (shape {tuple(labels.shape)}, dtype {dtype_name(labels)}), "
            "which cannot be mixed: pass `num_classes=` to one-hot encode them, pass one-hot labels, or cast "
            "binary 0/1 labels to float."
        )
    if not scalar and num_classes is not None and labels.shape[-1] is not None and labels.shape[-1] != num_classes:
        raise ValueError(f"{layer_name}: labels have {labels.shape[-1]} classes on the last axis but "
                         f"`num_classes` is {num_classes}.")
    if dtypes.is_floating(labels):
        return labels
    return ops.cast(labels, "float32")


def mix_labels(labels_list, weights):
    """Sum_k weights[k] * labels_list[k]; weights: list of [B] float32 tensors."""
    out = None
    for labels, weight in zip(labels_list, weights):
        w = ops.reshape(ops.cast(weight, dtype_name(labels)), [-1] + [1] * (len(labels.shape) - 1))
        term = w * labels
        out = term if out is None else out + term
    return out


def refuse_keypoints(batch, layer_name):
    if batch.keypoints is not None:
        raise ValueError(
            f"{layer_name} does not support `keypoints`: points of different samples cannot be merged into "
            "one fixed-size set meaningfully. Remove the `keypoints` key before this layer."
        )


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
