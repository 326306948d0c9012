"""Histogram-based tone layers: auto contrast, equalization and CLAHE.

These layers draw nothing at random: each maps every channel of every sample
through a curve computed from that channel's own values (its range, its
histogram, or the histograms of its tiles). Each still has one per-sample
parameter, the gate `{"active": [B] bool}`: policies (`RandAugment`,
`RandomApply`, ...) switch the op off for some samples with the identity
parameters (`active` False), in the same pass.

Called as layers they apply to every sample, in training AND at inference
(`predict`, `evaluate`, serving): a deterministic tone curve is preprocessing,
and a model trained on equalized images expects equalized images. Keras's
`AutoContrast` and `ContrastLimitedAdaptiveHistogramEqualization` do the same;
its `Equalization` is the identity with `training=False` (a difference).

Values are binned into equal-width bins over `value_range`: with the default
256 bins and (0, 255), an integer value v is bin v, as in PIL and OpenCV.
Channels are processed independently and any channel count is accepted
(a 4th channel is alpha and passes through). See
`keras_aug.layers.photometric.base` for the dtype and clipping conventions.
"""

import numbers

import keras

from keras_aug.core.backend import ops
from keras_aug.core.base import shape_of
from keras_aug.core.fusion import materialized
from keras_aug.layers.photometric.base import PhotometricAugmentation
from keras_aug.layers.photometric.base import _is_number

LEVELS = 256  # grey levels of the tile histograms of CLAHE, as OpenCV's 8-bit CLAHE


# ------------------------------------------------------------------ kernels
def to_levels(images, value_range, bins):
    """Bin index in [0, bins) of each value: equal-width bins over `value_range` (int32)."""
    low, high = value_range
    scaled = ops.floor((images - low) * (bins / (high - low)))
    return ops.cast(ops.clip(scaled, 0.0, bins - 1.0), "int32")


def from_levels(levels, value_range, bins):
    """Values of levels in [0, bins - 1] (float), spread over `value_range`."""
    low, high = value_range
    return low + levels * ((high - low) / (bins - 1))


def histograms(levels, groups, num_groups, bins):
    """Per-group histograms, [num_groups, bins] int32.

    `levels` (int32 in [0, bins)) and `groups` (int32 in [0, num_groups))
    broadcast against each other: each element of the broadcast counts once in
    bin `levels` of group `groups`. A segment sum, so it compiles under XLA on
    every backend.
    """
    ids = ops.reshape(groups * bins + levels, [-1])
    counts = ops.segment_sum(ops.ones_like(ids), ids, num_segments=num_groups * bins)
    return ops.reshape(counts, [num_groups, bins])


def lookup(tables, levels, groups, bins):
    """`tables[groups, levels]` for a [num_groups, bins] table and broadcast index tensors."""
    return ops.take(ops.reshape(tables, [-1]), groups * bins + levels)


def channel_groups(batch_size, channels):
    """Group index b * channels + c of each (sample, channel), shaped [B, 1, 1, C]."""
    b = ops.reshape(ops.arange(batch_size, dtype="int32"), [-1, 1, 1, 1])
    c = ops.reshape(ops.arange(channels, dtype="int32"), [1, 1, 1, -1])
    return b * channels + c


def equalization_tables(hist):
    """PIL's `ImageOps.equalize` lookup tables of [G, bins] int32 histograms.

    With n bins: step = (pixels - pixels in the last occupied bin) // (n - 1),
    table[i] = min((step // 2 + pixels below bin i) // step, n - 1).
    Returns (tables [G, bins] int32, flat [G] bool): flat channels (one
    occupied bin, or step 0) are left unchanged, as PIL does.
    """
    bins = hist.shape[-1]
    occupied = ops.cast(hist > 0, "int32")
    last = (bins - 1) - ops.argmax(ops.flip(occupied, axis=-1), axis=-1)
    in_last = ops.take_along_axis(hist, ops.cast(last, "int32")[:, None], axis=-1)[:, 0]
    step = (ops.sum(hist, axis=-1) - in_last) // (bins - 1)
    below = ops.cumsum(hist, axis=-1) - hist
    safe_step = ops.maximum(step, 1)[:, None]
    tables = ops.minimum((safe_step // 2 + below) // safe_step, bins - 1)
    return tables, step == 0


def equalize(images, value_range, bins):
    """Histogram equalization of each channel of each sample (float images, [B, H, W, C]).

    The levels and the tables are stored before the lookup reads them: left
    alone, XLA fused the tables' computation (cumulative sums over the
    histogram) and the levels into the gather and redid them for every value
    (one 224 x 224 x 3 image on XLA:CPU: 2.4 CPU ms, 1.0 with both stored).
    """
    batch_size, _, _, channels = ops.shape(images)
    levels = materialized(to_levels(images, value_range, bins))
    groups = channel_groups(batch_size, channels)
    tables, flat = equalization_tables(histograms(levels, groups, batch_size * channels, bins))
    tables = materialized(tables)
    mapped = from_levels(ops.cast(lookup(tables, levels, groups, bins), images.dtype), value_range, bins)
    return ops.where(ops.reshape(flat, [-1, 1, 1, channels]), images, mapped)


def autocontrast(images, value_range):
    """Stretches each channel of each sample linearly from its [min, max] onto `value_range`.

    Constant channels are left unchanged.
    """
    low, high = value_range
    lo = ops.min(images, axis=(1, 2), keepdims=True)
    hi = ops.max(images, axis=(1, 2), keepdims=True)
    spread = hi > lo
    scale = (high - low) / ops.where(spread, hi - lo, ops.ones_like(hi))
    return ops.where(spread, low + (images - lo) * scale, images)


# ---------------------------------------------------------------- CLAHE
def clahe_padding(height, width, grid):
    """Rows and columns OpenCV appends (reflected) before cutting tiles.

    When either side is not a multiple of its tile count, OpenCV pads BOTH
    sides by `tiles - size % tiles` (a full extra tile row when that side
    already divided): kept, so tiles match OpenCV's exactly.
    """
    (grid_h, grid_w) = grid
    if height % grid_h == 0 and width % grid_w == 0:
        return 0, 0
    return grid_h - height % grid_h, grid_w - width % grid_w


def clip_histograms(hist, limit):
    """OpenCV's clip-and-redistribute of [G, 256] int32 tile histograms.

    Counts above `limit` are cut; the excess is spread evenly over all bins,
    and its remainder r adds one to every (256 // r)-th bin from bin 0.
    """
    excess = ops.sum(ops.maximum(hist - limit, 0), axis=-1, keepdims=True)
    per_bin = excess // LEVELS
    residual = excess - per_bin * LEVELS
    stride = ops.maximum(LEVELS // ops.maximum(residual, 1), 1)
    k = ops.arange(LEVELS, dtype="int32")[None, :]
    extra = ops.cast(ops.logical_and(k % stride == 0, k // stride < residual), "int32")
    return ops.minimum(hist, limit) + per_bin + extra


def tile_weights(size, tile, tiles):
    """Per pixel along one axis: the two neighbouring tiles and the weight of the second.

    OpenCV's convention: pixel i sits at tile coordinate i / tile - 0.5.
    """
    position = ops.arange(size, dtype="float32") * (1.0 / ops.cast(tile, "float32")) - 0.5
    first = ops.floor(position)
    weight = position - first
    first = ops.cast(first, "int32")
    return ops.maximum(first, 0), ops.minimum(first + 1, tiles - 1), weight


def clahe_tables(levels, grid, clip_limit):
    """Tile lookup tables [B * gh * gw * C, 256] (float32 levels) of int32 `levels` [B, H, W, C]."""
    batch_size, height, width, channels = ops.shape(levels)
    grid_h, grid_w = grid
    pad_h, pad_w = clahe_padding(height, width, grid)
    padded = ops.pad(levels, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="reflect")
    tile_h, tile_w = (height + pad_h) // grid_h, (width + pad_w) // grid_w
    rows = ops.reshape(ops.arange(height + pad_h, dtype="int32") // tile_h, [1, -1, 1, 1])
    cols = ops.reshape(ops.arange(width + pad_w, dtype="int32") // tile_w, [1, 1, -1, 1])
    samples = ops.reshape(ops.arange(batch_size, dtype="int32"), [-1, 1, 1, 1])
    groups = ((samples * grid_h + rows) * grid_w + cols) * channels + ops.arange(channels, dtype="int32")
    hist = histograms(padded, groups, batch_size * grid_h * grid_w * channels, LEVELS)
    pixels = tile_h * tile_w
    if clip_limit > 0:
        hist = clip_histograms(hist, max(int(clip_limit * pixels / LEVELS), 1))
    scale = (LEVELS - 1.0) / ops.cast(pixels, "float32")
    tables = ops.clip(ops.round(ops.cast(ops.cumsum(hist, axis=-1), "float32") * scale), 0.0, LEVELS - 1.0)
    return tables, (tile_h, tile_w)


def clahe(images, value_range, grid, clip_limit):
    """Contrast-limited adaptive histogram equalization, as OpenCV's `createCLAHE(...).apply`.

    Each channel of each sample is cut into grid[0] x grid[1] tiles; each
    tile's 256-bin histogram is clipped and redistributed, its cumulative sum
    scaled to a lookup table, and each pixel takes the bilinear blend of the
    tables of its four nearest tiles. `images`: float [B, H, W, C] in
    `value_range`; static height and width of at least the grid.
    """
    batch_size, height, width, channels = ops.shape(images)
    levels = to_levels(images, value_range, LEVELS)
    tables, (tile_h, tile_w) = clahe_tables(levels, grid, clip_limit)
    grid_h, grid_w = grid
    y0, y1, wy = tile_weights(height, tile_h, grid_h)
    x0, x1, wx = tile_weights(width, tile_w, grid_w)
    samples = ops.reshape(ops.arange(batch_size, dtype="int32"), [-1, 1, 1, 1])
    c = ops.arange(channels, dtype="int32")

    def table_at(rows, cols):
        groups = ((samples * grid_h + rows[None, :, None, None]) * grid_w + cols[None, None, :, None]) * channels + c
        return lookup(tables, levels, groups, LEVELS)

    wx, wy = wx[None, None, :, None], wy[None, :, None, None]
    top = table_at(y0, x0) * (1.0 - wx) + table_at(y0, x1) * wx
    bottom = table_at(y1, x0) * (1.0 - wx) + table_at(y1, x1) * wx
    result = top * (1.0 - wy) + bottom * wy
    return from_levels(ops.cast(result, images.dtype), value_range, LEVELS)


# ------------------------------------------------------------------ layers
class _GatedToneCurve(PhotometricAugmentation):
    """A deterministic per-channel tone curve with a per-sample on/off gate.

    Subclasses write `curve(images)`. Parameters (`sample`):
    {"active": [B] bool}, all True; identity: all False.
    """

    draws_randomness = False

    def curve(self, images):
        raise NotImplementedError

    def sample(self, shape, draws):
        return {"active": ops.ones([shape.batch_size], dtype="bool")}

    def identity_params(self, shape):
        return {"active": ops.zeros([shape.batch_size], dtype="bool")}

    def transform(self, images, params):
        return ops.where(ops.reshape(params["active"], [-1, 1, 1, 1]), self.curve(images), images)

    def inference(self, batch):
        # Deterministic preprocessing: applied outside training too (see the module docstring).
        return self.apply(batch, self.sample(shape_of(batch), None))


@keras.saving.register_keras_serializable(package="keras_aug")
class AutoContrast(_GatedToneCurve):
    """Stretches each channel of each image to span the whole `value_range`.

    Same name and arguments as `keras.layers.AutoContrast`: per sample and
    channel, output = low + (x - min) * (high - low) / (max - min), min and
    max taken over the channel's pixels; constant channels are unchanged.
    PIL's `ImageOps.autocontrast` (cutoff 0) gives the same curve on uint8
    images, truncated where this rounds (at most one level apart).

    Args:
      value_range: (low, high), the range the input values span. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`
        (the layer draws nothing; `seed` is accepted for uniformity).

    Parameters (`sample`): {"active": [B] bool}, all True. Identity: False.

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    Applied at inference too, as in Keras.
    """

    def curve(self, images):
        return autocontrast(images, self.value_range)


def _parse_bins(bins):
    if not isinstance(bins, numbers.Integral) or isinstance(bins, bool) or not 2 <= bins <= 65536:
        raise ValueError(f"`bins` must be an int in [2, 65536]; got {bins!r}.")
    return int(bins)


@keras.saving.register_keras_serializable(package="keras_aug")
class Equalization(_GatedToneCurve):
    """Histogram equalization of each channel of each image, as PIL's `ImageOps.equalize`.

    Same name and arguments as `keras.layers.Equalization`. Values are binned
    into `bins` equal-width bins over `value_range`; with n bins and step =
    (pixels - pixels in the last occupied bin) // (n - 1), bin i maps to
    level min((step // 2 + pixels below bin i) // step, n - 1), and level l to
    low + l * (high - low) / (n - 1). Channels with a single occupied bin are
    unchanged. With 256 bins this is PIL's algorithm exactly (uint8 results
    are bit-identical to `ImageOps.equalize`).

    Differences from Keras: the histogram is taken per image (Keras pools the
    whole batch into one histogram per channel, so an image's result depends
    on the other images of its batch), the lookup table is PIL's, and the
    layer also applies at inference (Keras's is the identity with
    `training=False`).

    Args:
      value_range: (low, high), the range the input values span. Default (0, 255).
      bins: number of histogram bins, an int in [2, 65536]. Default 256.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"active": [B] bool}, all True. Identity: False.

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    """

    def __init__(self, value_range=(0, 255), bins=256, seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.bins = _parse_bins(bins)

    def curve(self, images):
        return equalize(images, self.value_range, self.bins)

    def get_config(self):
        config = super().get_config()
        config["bins"] = self.bins
        return config


def _parse_grid(tile_grid_size):
    def ok(v):
        return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1

    if isinstance(tile_grid_size, (tuple, list)) and len(tile_grid_size) == 2 and all(map(ok, tile_grid_size)):
        return int(tile_grid_size[0]), int(tile_grid_size[1])
    raise ValueError(
        f"`tile_grid_size` must be a (rows, columns) pair of positive ints such as (8, 8); got {tile_grid_size!r}."
    )


@keras.saving.register_keras_serializable(package="keras_aug")
class ContrastLimitedAdaptiveHistogramEqualization(_GatedToneCurve):
    """Contrast-limited adaptive histogram equalization (CLAHE) of each channel.

    Same name and arguments as `keras.layers.ContrastLimitedAdaptiveHistogramEqualization`;
    the algorithm is OpenCV's `cv2.createCLAHE(clip_limit, tile_grid_size).apply`
    on each channel (uint8 results within one level of OpenCV's, mostly
    equal): values are binned into 256 levels over `value_range`; the image
    is cut into `tile_grid_size` tiles (when a side is not a multiple of its
    tile count, both sides are first extended by reflection, as OpenCV does);
    each tile's histogram is clipped at max(1, int(clip_limit * tile pixels /
    256)) with the excess spread over all bins; its cumulative sum, scaled by
    255 / tile pixels and rounded, is the tile's lookup table; each pixel
    blends the tables of its four nearest tiles bilinearly.

    Differences from Keras: Keras's clip limit is not truncated to an integer,
    it spreads the excess fractionally and normalizes each table by its
    smallest cumulative count, and its images are padded at the end only
    where needed; here OpenCV's definition is followed throughout.

    Args:
      value_range: (low, high), the range the input values span. Default (0, 255).
      clip_limit: a number; histogram counts are clipped at clip_limit times
        the mean count per bin. 0 or less: no clipping (plain adaptive
        equalization). Default 4.0.
      tile_grid_size: (rows, columns) of tiles, positive ints. Default (8, 8).
        Images must be at least this large, with static height and width.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"active": [B] bool}, all True. Identity: False.

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    Applied at inference too, as in Keras.
    """

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        if not _is_number(clip_limit):
            raise ValueError(f"`clip_limit` must be a number (0 or less: no clipping); got {clip_limit!r}.")
        self.clip_limit = float(clip_limit)
        self.tile_grid_size = _parse_grid(tile_grid_size)

    def curve(self, images):
        height, width = images.shape[1], images.shape[2]
        grid_h, grid_w = self.tile_grid_size
        if height is None or width is None:
            raise ValueError(
                f"{type(self).__name__} needs images with a static height and width; got shape {tuple(images.shape)}."
            )
        if height < grid_h or width < grid_w:
            raise ValueError(
                f"{type(self).__name__}: images of {height}x{width} pixels are smaller than "
                f"`tile_grid_size` {self.tile_grid_size}; use a smaller grid."
            )
        return clahe(images, self.value_range, self.tile_grid_size, self.clip_limit)

    def get_config(self):
        config = super().get_config()
        config.update(clip_limit=self.clip_limit, tile_grid_size=list(self.tile_grid_size))
        return config


CLAHE = ContrastLimitedAdaptiveHistogramEqualization
