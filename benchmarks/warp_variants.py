"""The graph-only route's per-image warp, against cheaper ways to compute the same image.

The graph-only route (`keras_aug.data`, `distributable=True`) resamples each decoded
image once with the library's bilinear warp compiled by XLA
(`keras_aug.data.graph_resample.GraphResampler`). XLA's CPU loops around gathers are
scalar, so this script measures, on the same images and matrices, in a tf.data map as
the route runs it (parallel, batched by 32), process CPU ms per image, paired in rounds:

* `current`: the route's resampler (the image copied into a fixed buffer, the compiled warp);
* `hybrid`: the 4 neighbour indices and the weights computed by XLA (vectorized, from the
  image's height and width only: no buffer), the neighbours read by TF's native gather
  kernel (`tf.gather` of [H*W, C] rows: one slice copy per neighbour, not one scalar
  per channel), the blend (lerp, round) compiled by XLA;
* `hybrid_tf_coords`: the same with the indices and weights in plain TF ops (one XLA call less);
* `pairs`: one XLA function, the buffer read by an XLA gather of 2-pixel slices
  (slice sizes (2, C): the left and right neighbours at once), two per output pixel
  instead of four scalar gathers per channel;
* `flat`: the current math on a flat [Ho * Wo * C] output (XLA's loop nest over
  [Ho, Wo, C] has an innermost loop of C = 3 steps);
* `flat2`: `flat` written for LLVM's vectorizer: no saturating float->int converts (they
  branch), selects instead of XLA's NaN-aware max/min;
* `split`: a first loop per output pixel (coordinates, byte indices, weights: no gathers,
  so it vectorizes) fenced from a second loop per value (gathers and blend);
* `per_pixel`: `split` with the second loop per output pixel (12 byte gathers, the C
  channels packed into one int32 out, split into bytes outside XLA);
* `per_pixel_unpacked`: `per_pixel` with the bytes split inside XLA (a fenced loop of shifts);
* `words`: the buffer viewed as uint64 words; the left and right neighbours (adjacent or
  equal pixels for every fill mode but "wrap") read as two words per row of neighbours,
  so 4 gathers per output pixel, their bytes picked by vectorized shifts.

Every variant but the hybrids gives `current`'s images bit for bit (checked below).
With `--kernel`, each variant's compiled function alone (no buffer copy): a call warping
once against a call warping 8 times (8 matrices, one buffer), so (8x - 1x) / 7 is the
kernel's own CPU per image and 1x what a call costs in all.

It also checks each variant's images against `current` (max difference, share of values
that differ) for every fill mode, on random rotations, zooms and shifts.

    python benchmarks/warp_variants.py
    python benchmarks/warp_variants.py --rounds 3 --images 2000 --variants words,per_pixel
    python benchmarks/warp_variants.py --skip-check --kernel

Run on a shared machine: read the CPU times, compare variants only within a round.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_aug.core import backend  # noqa: E402
from keras_aug.core import dtypes  # noqa: E402
from keras_aug.core import warp  # noqa: E402
from keras_aug.data import graph_resample  # noqa: E402

TARGET = (150, 150)
IMAGE_SIZE = (280, 330)  # a decoded 250-500 px JPEG, as in benchmarks/graph_route_stages.py


def head_matrix(i, count):
    """A rotation (up to ~20 degrees), zoom and shift at the target size, varying with `i` (a tensor)."""
    t = tf.cast(i, tf.float32) / count
    angle = (t - 0.5) * 0.7
    zoom = 0.85 + 0.3 * t
    c, s = tf.cos(angle) * zoom, tf.sin(angle) * zoom
    cx, cy = TARGET[1] / 2, TARGET[0] / 2
    return tf.stack([[c, -s, cx - c * cx + s * cy + 9 * t], [s, c, cy - s * cx - c * cy - 7 * t], [0.0, 0.0, 1.0]])


def neighbours(height, width, head_matrix, target, output_size, fill_mode):
    """The current warp's math up to its gathers: row indices [4, Ho, Wo] and blend weights."""
    th, tw = target
    sx = tf.cast(width, tf.float32) / tw
    sy = tf.cast(height, tf.float32) / th
    matrix = head_matrix * tf.stack([sx, sy, 1.0])[:, None]
    x, y = warp.sample_coordinates(matrix[None], output_size)
    x, y = x[0], y[0]
    x0f = tf.floor(x - 0.5)
    y0f = tf.floor(y - 0.5)
    fx = x - 0.5 - x0f
    fy = y - 0.5 - y0f
    x0, x1, x0_in, x1_in = warp._map_pair(x0f, width, fill_mode)
    y0, y1, y0_in, y1_in = warp._map_pair(y0f, height, fill_mode)
    row0 = y0 * width
    row1 = y1 * width
    index = tf.stack([row0 + x0, row0 + x1, row1 + x0, row1 + x1])
    if fill_mode == "constant":
        weights = tf.stack([tf.where(x0_in, 1.0 - fx, 0.0), tf.where(x1_in, fx, 0.0), tf.where(y0_in, 1.0 - fy, 0.0),
                            tf.where(y1_in, fy, 0.0)])
    else:
        weights = tf.stack([fx, fy])
    return index, weights


def blend(values, weights, fill_mode, fill_value):
    """The current warp's blend of gathered neighbours [4, Ho, Wo, C] (uint8) -> uint8 [Ho, Wo, C]."""
    v00, v01, v10, v11 = (tf.cast(values[k], tf.float32) for k in range(4))
    return _blend_floats(v00, v01, v10, v11, [weights[k][..., None] for k in range(weights.shape[0])], fill_mode,
                         fill_value)


class Hybrid:
    """Indices and weights (XLA or plain TF), TF's native gather of pixel rows, the blend in XLA."""

    def __init__(self, fill_mode, fill_value=0.0, xla_coords=True, channels=3):
        self.fill_mode, self.fill_value, self.channels = fill_mode, float(fill_value), channels
        ho, wo = TARGET
        weights = 4 if fill_mode == "constant" else 2

        def coords(height, width, head):
            with backend.computing_with("tensorflow"):
                return neighbours(height, width, head, TARGET, TARGET, fill_mode)

        def mix(values, w):
            return blend(values, w, fill_mode, self.fill_value)

        self._coords = coords
        if xla_coords:
            self._coords = tf.function(coords, jit_compile=True, autograph=False, input_signature=[
                tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.int32), tf.TensorSpec([3, 3], tf.float32)])
        self._blend = tf.function(mix, jit_compile=True, autograph=False, input_signature=[
            tf.TensorSpec([4, ho, wo, channels], tf.uint8), tf.TensorSpec([weights, ho, wo], tf.float32)])

    def __call__(self, image, head):
        shape = tf.shape(image)
        index, weights = self._coords(shape[0], shape[1], head)
        values = tf.gather(tf.reshape(image, [-1, self.channels]), index)
        return self._blend(values, weights)


class Pairs(graph_resample.GraphResampler):
    """The current buffer, read by XLA gathers of 2-pixel slices (left and right neighbour at once)."""

    def _warp_rows(self, values, height, width, head_matrix):
        from tensorflow.compiler.tf2xla.python import xla
        from tensorflow.compiler.xla import xla_data_pb2

        rows = tf.reshape(values, [self.capacity, self.channels])
        with backend.computing_with("tensorflow"):
            index, weights = neighbours(height, width, head_matrix, self.target_size, self.output_size, self.fill_mode)
        x0, x1 = index[0] - index[0] // width * width, index[1] - index[1] // width * width
        row0, row1 = index[0] - x0, index[2] - x0
        # The pair starts at the lower neighbour (they are adjacent or equal for these fill modes).
        start = tf.maximum(tf.minimum(tf.minimum(x0, x1), width - 2), 0)
        starts = tf.stack([row0 + start, row1 + start])[..., None]  # [2, Ho, Wo, 1]
        dims = xla_data_pb2.GatherDimensionNumbers()
        dims.offset_dims.extend([3, 4])
        dims.collapsed_slice_dims.extend([])
        dims.start_index_map.extend([0])
        dims.index_vector_dim = 3
        pairs = xla.gather(rows, starts, dims, [2, self.channels], False)  # [2, Ho, Wo, 2, C]
        pick0 = (x0 - start)[..., None] == 0
        pick1 = (x1 - start)[..., None] == 0
        v00 = tf.where(pick0, pairs[0, :, :, 0], pairs[0, :, :, 1])
        v01 = tf.where(pick1, pairs[0, :, :, 0], pairs[0, :, :, 1])
        v10 = tf.where(pick0, pairs[1, :, :, 0], pairs[1, :, :, 1])
        v11 = tf.where(pick1, pairs[1, :, :, 0], pairs[1, :, :, 1])
        return blend(tf.stack([v00, v01, v10, v11]), weights, self.fill_mode, self.fill_value)


class Flat(graph_resample.GraphResampler):
    """The current buffer and math, every loop over the flat [Ho * Wo * C] output (long inner loops).

    XLA:CPU emits a fused loop nest over the output's shape; with [Ho, Wo, C] the innermost
    loop runs C = 3 times, too short to vectorize. Here the output is one flat vector: each
    element finds its pixel and channel by division by constants, its coordinates from
    the pixel, and reads one byte of the flat buffer per neighbour.
    """

    def _warp_rows(self, values, height, width, head_matrix):
        ho, wo = self.output_size
        c = self.channels
        th, tw = self.target_size
        with backend.computing_with("tensorflow"):
            element = tf.range(ho * wo * c)
            channel = element % c
            pixel = element // c
            xs = tf.cast(pixel % wo, tf.float32) + 0.5
            ys = tf.cast(pixel // wo, tf.float32) + 0.5
            sx = tf.cast(width, tf.float32) / tw
            sy = tf.cast(height, tf.float32) / th
            m = head_matrix * tf.stack([sx, sy, 1.0])[:, None]
            x = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
            y = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
            x0f = tf.floor(x - 0.5)
            y0f = tf.floor(y - 0.5)
            fx = x - 0.5 - x0f
            fy = y - 0.5 - y0f
            x0, x1, x0_in, x1_in = warp._map_pair(x0f, width, self.fill_mode)
            y0, y1, y0_in, y1_in = warp._map_pair(y0f, height, self.fill_mode)
            row0 = y0 * width
            row1 = y1 * width

            def take(index):
                return tf.cast(tf.gather(values, index * c + channel), tf.float32)

            if self.fill_mode == "constant":
                weights = (tf.where(x0_in, 1.0 - fx, 0.0), tf.where(x1_in, fx, 0.0), tf.where(y0_in, 1.0 - fy, 0.0),
                           tf.where(y1_in, fy, 0.0))
            else:
                weights = (fx, fy)
            out = _blend_floats(take(row0 + x0), take(row0 + x1), take(row1 + x0), take(row1 + x1), weights,
                                self.fill_mode, self.fill_value)
            return tf.reshape(out, [ho, wo, c])


_MAGIC = 8388608.0  # 2**23: adding it rounds a float in [0, 2**23) to an integer (half to even)


def _exact_int(v):
    """int32 of integer-valued floats in [0, 2**23), without XLA's saturating convert (branches)."""
    return tf.bitcast(v + _MAGIC, tf.int32) - 0x4B000000


def _clip(v, low, high):
    """`clip` with selects: XLA's NaN-aware max/min compile to compares and branches."""
    v = tf.where(v < low, low, v)
    return tf.where(v > high, high, v)


def _pair_float(v, size, fill_mode):
    """`warp._map_pair` in float indices, with selects instead of max/min."""
    if fill_mode in ("constant", "nearest"):
        i0 = _clip(v, 0.0, size - 1.0)
        i1 = _clip(v + 1.0, 0.0, size - 1.0)
        if fill_mode == "nearest":
            return i0, i1, None, None
        return i0, i1, (v >= 0.0) & (v < size), (v >= -1.0) & (v < size - 1.0)
    if fill_mode == "wrap":
        m0 = warp._floormod(v, size)
        m1 = m0 + 1.0
        return m0, tf.where(m1 >= size, m1 - size, m1), None, None
    if fill_mode == "reflect":
        period = 2.0 * size
        m0 = warp._floormod(v, period)
        m1 = m0 + 1.0
        i0 = tf.where(m0 >= size, period - 1.0 - m0, m0)
        i1 = tf.where(m1 >= size, period - 1.0 - m1, m1)
        return i0, tf.where(i1 < 0.0, 0.0, i1), None, None
    period = tf.maximum(2.0 * size - 2.0, 1.0)
    m0 = warp._floormod(v, period)
    m1 = m0 + 1.0
    i0 = tf.where(m0 >= size, period - m0, m0)
    i1 = tf.where(m1 >= size, period - m1, m1)
    return i0, tf.where(i1 < 0.0, 0.0, i1), None, None


class _Points:
    """The current warp's float math for output pixels `pixel` (int32), with selects for min/max.

    Attributes: `w`, `h` (float image size), `x0, x1, y0, y1` (float neighbour indices),
    `fx`, `fy`, and `weights` (the blend's: (fx, fy), or the 4 masked weights of "constant").
    """

    def __init__(self, resampler, pixel, height, width, head_matrix):
        wo = resampler.output_size[1]
        th, tw = resampler.target_size
        xs = tf.cast(pixel % wo, tf.float32) + 0.5
        ys = tf.cast(pixel // wo, tf.float32) + 0.5
        self.w = tf.cast(width, tf.float32)
        self.h = tf.cast(height, tf.float32)
        m = head_matrix * tf.stack([self.w / tw, self.h / th, 1.0])[:, None]
        x = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
        y = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
        x0f = tf.floor(x - 0.5)
        y0f = tf.floor(y - 0.5)
        self.fx = fx = x - 0.5 - x0f
        self.fy = fy = y - 0.5 - y0f
        self.x0, self.x1, x0_in, x1_in = _pair_float(x0f, self.w, resampler.fill_mode)
        self.y0, self.y1, y0_in, y1_in = _pair_float(y0f, self.h, resampler.fill_mode)
        if resampler.fill_mode == "constant":
            self.weights = [tf.where(x0_in, 1.0 - fx, 0.0), tf.where(x1_in, fx, 0.0), tf.where(y0_in, 1.0 - fy, 0.0),
                            tf.where(y1_in, fy, 0.0)]
        else:
            self.weights = [fx, fy]


class Flat2(graph_resample.GraphResampler):
    """`Flat` with code XLA:CPU can vectorize: a flat output, no saturating converts, no max/min."""

    def _warp_rows(self, values, height, width, head_matrix):
        ho, wo = self.output_size
        c = self.channels
        element = tf.range(ho * wo * c)
        channel = tf.cast(element % c, tf.float32)
        p = _Points(self, element // c, height, width, head_matrix)
        row0 = p.y0 * p.w
        row1 = p.y1 * p.w

        def take(index):
            return tf.cast(tf.gather(values, _exact_int(index * c + channel)), tf.float32)

        return _blend_floats(take(row0 + p.x0), take(row0 + p.x1), take(row1 + p.x0), take(row1 + p.x1), p.weights,
                             self.fill_mode, self.fill_value, exact_round=True)

    def __call__(self, image, head_matrix):
        image = self._shrink(image)
        shape = tf.shape(image)
        values = tf.pad(tf.reshape(image, [-1]), [[0, self.channels * (self.capacity - shape[0] * shape[1])]])
        out = self._warp(values, shape[0], shape[1], tf.cast(head_matrix, tf.float32))
        return tf.reshape(out, [*self.output_size, self.channels])


class Split(Flat2):
    """Two loops in one XLA function: per pixel the byte indices of the 4 neighbours and the
    weights (no gathers there, so LLVM can vectorize it), fenced from the per-value loop of
    gathers and blend (`_tf_fast_path.fence`: XLA would fuse the first into the second and
    recompute it per channel; LLVM then computes every gather address in scalar code)."""

    def _warp_rows(self, values, height, width, head_matrix):
        ho, wo = self.output_size
        c = self.channels
        index, weights = self._neighbours(values, height, width, head_matrix)
        channel = tf.range(c)

        def per_value(v):
            return tf.reshape(tf.broadcast_to(v[:, None], [ho * wo, c]), [-1])

        def take(k):
            return tf.cast(tf.gather(values, tf.reshape(index[k][:, None] + channel, [-1])), tf.float32)

        per_value_weights = tuple(per_value(weights[k]) for k in range(weights.shape[0]))
        return _blend_floats(take(0), take(1), take(2), take(3), per_value_weights, self.fill_mode,
                             self.fill_value, exact_round=True)

    def _neighbours(self, values, height, width, head_matrix):
        from keras_aug.core._tf_fast_path import fence

        ho, wo = self.output_size
        p = _Points(self, tf.range(ho * wo), height, width, head_matrix)
        row0 = p.y0 * p.w
        row1 = p.y1 * p.w
        index = _exact_int(tf.stack([row0 + p.x0, row0 + p.x1, row1 + p.x0, row1 + p.x1]) * self.channels)
        return fence(index), fence(tf.stack(p.weights))


class PerPixel(Split):
    """`Split`, with the second loop per output pixel: 12 byte gathers (4 neighbours x 3 channels),
    three blends, one packed int32 out (R | G << 8 | B << 16), split into bytes outside XLA."""

    def _warp_rows(self, values, height, width, head_matrix):
        index, weights = self._neighbours(values, height, width, head_matrix)
        out = 0
        for ch in range(self.channels):
            def take(k):
                return tf.cast(tf.gather(values, index[k] + ch), tf.float32)

            blended = _blend_floats(take(0), take(1), take(2), take(3),
                                    tuple(weights[k] for k in range(weights.shape[0])),
                                    self.fill_mode, self.fill_value, exact_round=True)
            out = out + tf.bitwise.left_shift(tf.cast(blended, tf.int32), 8 * ch)
        return out

    def __call__(self, image, head_matrix):
        image = self._shrink(image)
        shape = tf.shape(image)
        values = tf.pad(tf.reshape(image, [-1]), [[0, self.channels * (self.capacity - shape[0] * shape[1])]])
        packed = self._warp(values, shape[0], shape[1], tf.cast(head_matrix, tf.float32))
        pixels = tf.bitcast(packed, tf.uint8)[:, : self.channels]
        return tf.reshape(pixels, [*self.output_size, self.channels])


class PerPixelUnpacked(PerPixel):
    """`PerPixel` with the packed pixels split into bytes inside XLA (a fenced third loop over
    [Ho, Wo, C]: shifts, no gathers), so the compiled warp returns the image as it is."""

    def _warp_rows(self, values, height, width, head_matrix):
        from keras_aug.core._tf_fast_path import fence

        packed = tf.reshape(fence(super()._warp_rows(values, height, width, head_matrix)), [*self.output_size, 1])
        shifts = tf.range(self.channels) * 8
        return tf.cast(tf.bitwise.bitwise_and(tf.bitwise.right_shift(packed, shifts), 255), tf.uint8)

    def __call__(self, image, head_matrix):
        return graph_resample.GraphResampler.__call__(self, image, head_matrix)


class Words(graph_resample.GraphResampler):
    """Each pair of horizontal neighbours read as 64-bit words: 4 gathers per output pixel.

    The buffer's bytes are viewed as uint64 words (a bitcast, no copy). The left and right
    neighbours of a sample point are adjacent pixels (or one pixel twice) for every fill
    mode but "wrap", so their 2 x C bytes lie in two consecutive words: two gathers per
    row of neighbours, and shifts (vectorized) pick the bytes. A first loop computes, per
    output pixel, the word indices, byte offsets and weights (no gathers in it, so LLVM
    vectorizes it); it is fenced from the second (XLA would recompute it per gather, and
    LLVM computes gather addresses in scalar code). The second loop gathers, blends the
    C channels and writes one int32 per pixel (the C bytes packed), split into bytes
    outside XLA (a bitcast and a slice).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._words = tf.function(self._warp_words, input_signature=[
            tf.TensorSpec([self.capacity * self.channels // 8], tf.uint64), tf.TensorSpec([], tf.int32),
            tf.TensorSpec([], tf.int32), tf.TensorSpec([3, 3], tf.float32)], jit_compile=True, autograph=False)

    def __call__(self, image, head_matrix):
        image = self._shrink(image)
        shape = tf.shape(image)
        values = tf.pad(tf.reshape(image, [-1]), [[0, self.channels * (self.capacity - shape[0] * shape[1])]])
        words = tf.bitcast(tf.reshape(values, [-1, 8]), tf.uint64)
        packed = self._words(words, shape[0], shape[1], tf.cast(head_matrix, tf.float32))
        pixels = tf.bitcast(packed, tf.uint8)[:, : self.channels]
        return tf.reshape(pixels, [*self.output_size, self.channels])

    def _neighbour_words(self, height, width, head_matrix):
        """Per output pixel, 6 int32 [P] (word and byte offset of each row, the two picks) and the weights."""
        from keras_aug.core._tf_fast_path import fence

        ho, wo = self.output_size
        c = self.channels
        p = _Points(self, tf.range(ho * wo), height, width, head_matrix)
        # The pair of pixels read: from the lower neighbour, kept inside the row.
        start = _clip(tf.where(p.x0 < p.x1, p.x0, p.x1), 0.0, tf.maximum(p.w - 2.0, 0.0))
        first_byte = [_exact_int((row * p.w + start) * c) for row in (p.y0, p.y1)]
        ints = [first_byte[0] // 8, first_byte[0] % 8, first_byte[1] // 8, first_byte[1] % 8,
                _exact_int((p.x0 - start) * c), _exact_int((p.x1 - start) * c)]
        weights = p.weights
        # Fenced one by one: fencing them stacked made XLA recompute the coordinates per row.
        return [fence(v) for v in ints], [fence(v) for v in weights]

    def _warp_words(self, words, height, width, head_matrix):
        ints, weights = self._neighbour_words(height, width, head_matrix)
        rows = []
        for r in range(2):
            word = ints[2 * r]
            rows.append((tf.gather(words, word), tf.gather(words, word + 1), ints[2 * r + 1]))
        out = 0
        for ch in range(self.channels):
            def byte(r, pick):
                low, high, offset = rows[r]
                j = offset + ints[4 + pick] + ch  # in [0, 16)
                in_low = j < 8
                shift = tf.cast(tf.where(in_low, j, j - 8) * 8, tf.uint64)
                value = tf.bitwise.right_shift(tf.where(in_low, low, high), shift)
                return tf.cast(tf.cast(tf.bitwise.bitwise_and(value, tf.constant(255, tf.uint64)), tf.int32),
                               tf.float32)

            blended = _blend_floats(byte(0, 0), byte(0, 1), byte(1, 0), byte(1, 1),
                                    tuple(weights[k] for k in range(4 if self.fill_mode == "constant" else 2)),
                                    self.fill_mode, self.fill_value, exact_round=True)
            out = out + tf.bitwise.left_shift(tf.cast(blended, tf.int32), 8 * ch)
        return out


def _blend_floats(v00, v01, v10, v11, weights, fill_mode, fill_value, exact_round=False):
    """The current warp's blend of the 4 neighbours (float32) -> uint8 (`exact_round`: without XLA's
    saturating float->int convert, which branches; same values)."""
    if fill_mode == "constant":
        wx0, wx1, wy0, wy1 = (weights[k] for k in range(4))
        top = v00 * wx0 + v01 * wx1
        bottom = v10 * wx0 + v11 * wx1
        out = top * wy0 + bottom * wy1
        if fill_value != 0:
            out = out + fill_value * (1.0 - (wx0 + wx1) * (wy0 + wy1))
    else:
        fx, fy = weights[0], weights[1]
        top = v00 + (v01 - v00) * fx
        bottom = v10 + (v11 - v10) * fx
        out = top + (bottom - top) * fy
    if exact_round:
        return tf.cast(_exact_int(_clip(out, 0.0, 255.0)), tf.uint8)
    return dtypes.cast_like(out, "uint8")


def variants(fill_mode, fill_value=0.0):
    current = graph_resample.GraphResampler(TARGET, TARGET, 3, fill_mode=fill_mode, fill_value=fill_value)
    found = {
        "current": current,
        "hybrid": Hybrid(fill_mode, fill_value),
        "hybrid_tf_coords": Hybrid(fill_mode, fill_value, xla_coords=False),
    }
    if fill_mode != "wrap":
        found["words"] = Words(TARGET, TARGET, 3, fill_mode=fill_mode, fill_value=fill_value)
    found["per_pixel_unpacked"] = PerPixelUnpacked(TARGET, TARGET, 3, fill_mode=fill_mode, fill_value=fill_value)
    found["per_pixel"] = PerPixel(TARGET, TARGET, 3, fill_mode=fill_mode, fill_value=fill_value)
    found["split"] = Split(TARGET, TARGET, 3, fill_mode=fill_mode, fill_value=fill_value)
    found["flat2"] = Flat2(TARGET, TARGET, 3, fill_mode=fill_mode, fill_value=fill_value)
    found["flat"] = Flat(TARGET, TARGET, 3, fill_mode=fill_mode, fill_value=fill_value)
    if fill_mode != "wrap":  # wrap's neighbours at the seam are not adjacent
        found["pairs"] = Pairs(TARGET, TARGET, 3, fill_mode=fill_mode, fill_value=fill_value)
    return found


def check_equal(image, count=64):
    """Max difference and share of differing values of each variant against `current`, per fill mode."""
    for fill_mode in warp.FILL_MODES:
        found = variants(fill_mode, fill_value=37.0)
        heads = [head_matrix(tf.constant(i), count) for i in range(count)]
        want = np.stack([found["current"](image, h).numpy() for h in heads]).astype(int)
        for name, fn in found.items():
            if name == "current":
                continue
            got = np.stack([fn(image, h).numpy() for h in heads]).astype(int)
            diff = np.abs(got - want)
            print(f"  {fill_mode:8s} {name:18s} max diff {diff.max()}, differing values {np.mean(diff > 0):.2e}",
                  flush=True)


def timed(fn, image, count):
    ds = tf.data.Dataset.range(count).map(lambda i: fn(image, head_matrix(i, count)),
                                          num_parallel_calls=tf.data.AUTOTUNE).batch(32).prefetch(2)
    return ds


def kernel_costs(image, found, rounds, count):
    """Prints each compiled warp's own CPU per image: (8 warps per call - 1) / 7, and a 1-warp call."""
    height, width = IMAGE_SIZE
    parts = {}
    for name, resampler in found.items():
        if not isinstance(resampler, graph_resample.GraphResampler):
            continue  # the hybrids have no single compiled function
        buffer = tf.pad(tf.reshape(image, [-1]), [[0, 3 * (resampler.capacity - height * width)]])
        kernel = resampler._warp_rows
        if isinstance(resampler, Words):
            buffer, kernel = tf.bitcast(tf.reshape(buffer, [-1, 8]), tf.uint64), resampler._warp_words
        for times in (1, 8):
            def warps(values, h, w, head, kernel=kernel, times=times):
                return tf.stack([kernel(values, h, w, head + k * 0.001) for k in range(times)])

            compiled = tf.function(warps, jit_compile=True, autograph=False)
            parts[(name, times)] = tf.data.Dataset.range(count).map(
                lambda i, compiled=compiled, buffer=buffer: tf.reshape(
                    compiled(buffer, height, width, head_matrix(i, count)), [-1])[:1],
                num_parallel_calls=tf.data.AUTOTUNE).batch(32).prefetch(2)
    for ds in parts.values():
        for _ in ds:
            pass
    cpu = {key: [] for key in parts}
    for _ in range(rounds):
        for key, ds in parts.items():
            c0 = time.process_time()
            for _ in ds:
                pass
            cpu[key].append(1000 * (time.process_time() - c0) / count)
    for name in dict(parts):
        if name[1] != 1:
            continue
        name = name[0]
        own = [(b - a) / 7 for a, b in zip(cpu[(name, 1)], cpu[(name, 8)])]
        print(f"{name:18s} kernel alone {np.median(own):.3f} ({min(own):.3f}-{max(own):.3f}) ms/image; a 1-warp "
              f"call {np.median(cpu[(name, 1)]):.3f} ({min(cpu[(name, 1)]):.3f}-{max(cpu[(name, 1)]):.3f})",
              flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--fill-mode", default="reflect")
    parser.add_argument("--skip-check", action="store_true")
    parser.add_argument("--variants", default="", help="comma-separated names to time (default: all)")
    parser.add_argument("--kernel", action="store_true", help="also time each compiled warp alone")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    smooth = np.cumsum(np.cumsum(rng.normal(size=(*IMAGE_SIZE, 3)), axis=0), axis=1)
    image = tf.constant(np.clip((smooth - smooth.min()) / np.ptp(smooth) * 255 + rng.normal(0, 20, smooth.shape), 0,
                                255).astype(np.uint8))
    if not args.skip_check:
        print("# images against `current` (64 matrices, fill_value 37):", flush=True)
        check_equal(image)
    found = variants(args.fill_mode)
    if args.variants:
        found = {name: fn for name, fn in found.items() if name == "current" or name in args.variants.split(",")}
    sets = {name: timed(fn, image, args.images) for name, fn in found.items()}
    for ds in sets.values():  # warm-up: tracing, compiling
        for _ in ds:
            pass
    print(f"# CPU ms per image, {args.images} images of {IMAGE_SIZE} -> {TARGET}, fill {args.fill_mode}; "
          f"load average {os.getloadavg()}", flush=True)
    times = {name: [] for name in sets}
    for r in range(args.rounds):
        for name, ds in sets.items():
            c0 = time.process_time()
            for _ in ds:
                pass
            times[name].append(1000 * (time.process_time() - c0) / args.images)
        print(f"round {r}: " + ", ".join(f"{n} {t[-1]:.3f}" for n, t in times.items()), flush=True)
    for name, t in times.items():
        ratio = [a / b for a, b in zip(t, times["current"])]
        print(f"{name:18s} median {np.median(t):.3f} ({min(t):.3f}-{max(t):.3f}) ms/image; "
              f"paired ratio to current {min(ratio):.2f}-{max(ratio):.2f}", flush=True)
    if args.kernel:
        print(f"# the compiled warps alone, {args.images // 2} calls each, {args.rounds} rounds", flush=True)
        kernel_costs(image, found, args.rounds, args.images // 2)


if __name__ == "__main__":
    main()
