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

Every function here is pure and compiles under XLA.
"""

import math
import numbers

import tensorflow as tf

from keras_aug.core import arguments


def f32(x):
    return tf.cast(x, tf.float32)


def cast_like(values, dtype):
    """Casts float `values` to an image dtype; integer types are rounded and clipped."""
    if dtype.is_integer:
        values = tf.clip_by_value(tf.round(values), dtype.min, dtype.max)
    return tf.cast(values, dtype)


# --------------------------------------------------------------- rectangles
def rect_hidden(rects, active, height, width):
    """Union of rectangles as a [B, H, W] bool map.

    Args:
      rects: [B, K, 4] (y0, x0, y1, x1) whole-pixel rectangles.
      active: [B, K] bool; inactive rectangles hide nothing.
    """
    rows = f32(tf.range(height))
    cols = f32(tf.range(width))
    y0, x0, y1, x1 = tf.unstack(rects, axis=-1)
    in_rows = f32((rows >= y0[..., None]) & (rows < y1[..., None]) & active[..., None])  # [B, K, H]
    in_cols = f32((cols >= x0[..., None]) & (cols < x1[..., None]))  # [B, K, W]
    return tf.einsum("bkh,bkw->bhw", in_rows, in_cols) > 0.5


def rect_area(rect):
    y0, x0, y1, x1 = tf.unstack(rect, axis=-1)
    return tf.maximum(y1 - y0, 0.0) * tf.maximum(x1 - x0, 0.0)


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
    aspect = tf.exp(draws.uniform([tries, n, count], math.log(ratio[0]), math.log(ratio[1])))
    rw = tf.round(tf.sqrt(area * aspect))
    rh = tf.round(tf.sqrt(area / aspect))
    ok = (rw >= 1) & (rh >= 1) & (rw <= w) & (rh <= h)
    first = tf.argmax(tf.cast(ok, tf.int32), axis=0, output_type=tf.int32)
    pick = tf.one_hot(first, tries, axis=0)
    rw = tf.reduce_sum(rw * pick, axis=0)
    rh = tf.reduce_sum(rh * pick, axis=0)
    found = tf.reduce_any(ok, axis=0)
    y0 = tf.floor(draws.uniform([n, count]) * (h - rh + 1))
    x0 = tf.floor(draws.uniform([n, count]) * (w - rw + 1))
    rects = tf.stack([y0, x0, y0 + rh, x0 + rw], axis=-1)
    return rects, found


def sample_count_active(draws, n, count, apply):
    """[B, K] bool: rectangle k is used when k < per-sample count and the sample is augmented."""
    low, high = count
    per_sample = draws.integers([n], low, high + 1)
    k = tf.range(high)
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
            return tf.constant(fill_value, tf.float32)
        return tf.constant(fill_value, tf.float32)
    if fill_mode == "mean":
        return tf.reduce_mean(f32(images), axis=[1, 2], keepdims=True)
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
    height = tf.shape(hidden)[1]
    width = tf.shape(hidden)[2]
    visible = 1.0 - f32(hidden)
    zeros_row = tf.zeros_like(visible[:, :1, :])
    zeros_col = tf.zeros_like(visible[:, :, :1])
    col_prefix = tf.concat([zeros_row, tf.cumsum(visible, axis=1)], axis=1)  # [B, H+1, W]
    row_prefix = tf.concat([zeros_col, tf.cumsum(visible, axis=2)], axis=2)  # [B, H, W+1]
    row_prefix = tf.transpose(row_prefix, [0, 2, 1])  # [B, W+1, H]
    x1, y1, x2, y2 = tf.unstack(boxes, axis=-1)
    fw, fh = f32(width), f32(height)
    c0 = tf.cast(tf.clip_by_value(tf.floor(x1), 0.0, fw), tf.int32)
    c1 = tf.cast(tf.clip_by_value(tf.math.ceil(x2), 0.0, fw), tf.int32)
    r0 = tf.cast(tf.clip_by_value(tf.floor(y1), 0.0, fh), tf.int32)
    r1 = tf.cast(tf.clip_by_value(tf.math.ceil(y2), 0.0, fh), tf.int32)
    c1 = tf.maximum(c1, c0)
    r1 = tf.maximum(r1, r0)
    col_count = tf.gather(col_prefix, r1, axis=1, batch_dims=1) - tf.gather(col_prefix, r0, axis=1, batch_dims=1)
    row_count = tf.gather(row_prefix, c1, axis=1, batch_dims=1) - tf.gather(row_prefix, c0, axis=1, batch_dims=1)
    cols = tf.range(width)
    rows = tf.range(height)
    in_cols = (cols >= c0[..., None]) & (cols < c1[..., None])  # [B, N, W]
    in_rows = (rows >= r0[..., None]) & (rows < r1[..., None])  # [B, N, H]
    col_vis = (col_count > 0.5) & in_cols
    row_vis = (row_count > 0.5) & in_rows
    seen = tf.reduce_sum(tf.where(in_cols, col_count, 0.0), axis=-1)
    total = f32((r1 - r0) * (c1 - c0))
    fraction = seen / tf.maximum(total, 1.0)
    if trim:
        first_col = f32(tf.argmax(tf.cast(col_vis, tf.int32), axis=-1, output_type=tf.int32))
        last_col = f32(width - 1 - tf.argmax(tf.cast(tf.reverse(col_vis, [-1]), tf.int32), axis=-1,
                                             output_type=tf.int32))
        first_row = f32(tf.argmax(tf.cast(row_vis, tf.int32), axis=-1, output_type=tf.int32))
        last_row = f32(height - 1 - tf.argmax(tf.cast(tf.reverse(row_vis, [-1]), tf.int32), axis=-1,
                                              output_type=tf.int32))
        x1 = tf.maximum(x1, first_col)
        x2 = tf.minimum(x2, last_col + 1.0)
        y1 = tf.maximum(y1, first_row)
        y2 = tf.minimum(y2, last_row + 1.0)
    keep = ((f32(labels) >= 0) & tf.reduce_any(col_vis, axis=-1) & (fraction > min_visibility)
            & (x2 > x1) & (y2 > y1))
    out = tf.stack([x1, y1, x2, y2], axis=-1)
    out = tf.where(keep[..., None], out, -tf.ones_like(out))
    return out, tf.where(keep, labels, -tf.ones_like(labels))


def clip_boxes_to_rect(boxes, labels, rect, min_visibility=0.0):
    """Clips boxes [B, N, 4] to one rectangle per sample [B, 4] (y0, x0, y1, x1).

    A box keeps its part inside the rectangle; it is dropped when nothing is
    left or the kept share of its area is <= `min_visibility`.
    """
    y0, x0, ry1, rx1 = [t[:, None] for t in tf.unstack(rect, axis=-1)]
    x1, y1, x2, y2 = tf.unstack(boxes, axis=-1)
    area = (x2 - x1) * (y2 - y1)
    cx1 = tf.clip_by_value(x1, x0, rx1)
    cx2 = tf.clip_by_value(x2, x0, rx1)
    cy1 = tf.clip_by_value(y1, y0, ry1)
    cy2 = tf.clip_by_value(y2, y0, ry1)
    kept = (cx2 - cx1) * (cy2 - cy1)
    keep = ((f32(labels) >= 0) & (cx2 > cx1) & (cy2 > cy1)
            & (kept > min_visibility * tf.maximum(area, 0.0)))
    out = tf.stack([cx1, cy1, cx2, cy2], axis=-1)
    out = tf.where(keep[..., None], out, -tf.ones_like(out))
    return out, tf.where(keep, labels, -tf.ones_like(labels))


def gather_samples(tensor, index):
    """tensor[index] along the batch axis (index: [B] int32)."""
    return tf.gather(tensor, index, axis=0)


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
    order = tf.argsort(draws.uniform([batch_size]))  # position -> sample
    position = tf.argsort(order)  # sample -> position
    size = tf.shape(order)[0]
    out = [tf.gather(order, (position + k) % size) for k in range(1, count + 1)]
    return tf.stack(out, axis=0)


# ------------------------------------------------------------------ labels
def prepare_labels(labels, num_classes, layer_name):
    """Labels as float tensors that can be mixed linearly.

    One-hot or soft vectors [B, C] mix directly; float scalars ([B] or [B, 1],
    e.g. binary 0/1) mix as floats; integer class ids ([B] or [B, 1]) are
    one-hot encoded with `num_classes`, which they require.
    """
    labels = tf.convert_to_tensor(labels)
    rank = labels.shape.rank
    scalar = rank == 1 or (rank == 2 and labels.shape[-1] == 1)
    if rank is None or rank == 0:
        raise ValueError(f"{layer_name}: labels must have a leading batch axis ([B], [B, 1] or [B, C]); "
                         f"got shape {labels.shape}.")
    if scalar and num_classes is not None:
        ids = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        return tf.one_hot(ids, num_classes, dtype=tf.float32)
    if scalar and not (labels.dtype.is_floating):
        raise ValueError(
            f"{layer_name} got integer class ids as labels (shape {labels.shape}, dtype {labels.dtype.name}), "
            "which cannot be mixed: pass `num_classes=` to one-hot encode them, pass one-hot labels, or cast "
            "binary 0/1 labels to float."
        )
    if not scalar and num_classes is not None and labels.shape[-1] is not None and labels.shape[-1] != num_classes:
        raise ValueError(f"{layer_name}: labels have {labels.shape[-1]} classes on the last axis but "
                         f"`num_classes` is {num_classes}.")
    if labels.dtype.is_floating:
        return labels
    return tf.cast(labels, tf.float32)


def mix_labels(labels_list, weights):
    """Sum_k weights[k] * labels_list[k]; weights: list of [B] float32 tensors."""
    out = None
    for labels, weight in zip(labels_list, weights):
        w = tf.reshape(tf.cast(weight, labels.dtype), [-1] + [1] * (labels.shape.rank - 1))
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
    height = tf.shape(hidden)[1]
    width = tf.shape(hidden)[2]
    x = tf.cast(tf.floor(keypoints[..., 0]), tf.int32)
    y = tf.cast(tf.floor(keypoints[..., 1]), tf.int32)
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    flat = tf.reshape(hidden, [tf.shape(hidden)[0], -1])
    index = tf.clip_by_value(y, 0, height - 1) * width + tf.clip_by_value(x, 0, width - 1)
    covered = tf.gather(flat, index, axis=1, batch_dims=1) & inside
    visibility = tf.where(covered, tf.zeros_like(keypoints[..., 2]), keypoints[..., 2])
    return tf.concat([keypoints[..., :2], visibility[..., None]], axis=-1)
