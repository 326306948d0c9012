"""Whole-pixel rectangles: sampling them, their area, and the pixels they cover.

A rectangle is `(y0, x0, y1, x1)` in whole pixels (float32 tensors holding
integers), half-open: it covers pixel rows y0..y1-1 and columns x0..x1-1,
i.e. the continuous region [x0, x1] x [y0, y1] of box coordinates (pixel i
spans [i, i + 1]). Its area is exactly (y1 - y0) * (x1 - x0) pixels. The
pixels a layer replaces form a "hidden" map: a [B, H, W] bool tensor.

Written on `keras_aug.core.backend.ops`; compiles under XLA and `jax.jit`
(no output shape depends on tensor values).
"""

import math

from keras_aug.core.backend import ops
from keras_aug.core.matrices import as_float


def rect_hidden(rects, used, height, width):
    """Union of rectangles as a [B, H, W] bool map.

    Args:
      rects: [B, K, 4] (y0, x0, y1, x1) whole-pixel rectangles.
      used: [B, K] bool; unused rectangles hide nothing.
    """
    rows = as_float(ops.arange(height, dtype="int32"))
    cols = as_float(ops.arange(width, dtype="int32"))
    y0, x0, y1, x1 = ops.unstack(rects, axis=-1)
    in_rows = as_float((rows >= y0[..., None]) & (rows < y1[..., None]) & used[..., None])  # [B, K, H]
    in_cols = as_float((cols >= x0[..., None]) & (cols < x1[..., None]))  # [B, K, W]
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
    every place it fits). A rectangle with no fitting proposal is unused.

    Returns (rects [B, count, 4], found [B, count] bool).
    """
    n = shape.batch_size
    h = as_float(shape.height)
    w = as_float(shape.width)
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


def sample_count_used(draws, n, count):
    """[B, K] bool: rectangle k is used when k < the sample's count, drawn uniformly from `count` (low, high)."""
    low, high = count
    per_sample = draws.integers([n], low, high + 1)
    k = ops.arange(high, dtype="int32")
    return k[None, :] < per_sample[:, None]
