"""Erasing layers: RandomErasing, RandomCutout, GridMask.

Each samples, per sample, which pixels to hide (a [B, H, W] map built from
the parameters of `sample`), and then every target follows from that map:
  * images: hidden pixels take the fill (a constant, per-pixel random values
    in `value_range`, or the sample's per-channel mean); all other pixels are
    returned bit for bit, in the input dtype;
  * segmentation masks: hidden pixels take `mask_fill_value` (default 255,
    the usual ignore index), or stay as they are with `mask_fill_value=None`;
  * boxes: a box whose visible share of pixels is <= `min_box_visibility`
    is dropped (label -1; a fully hidden box always is); with `trim_boxes`
    the others shrink to the extent of their visible pixels (a hole over the
    left half of a box leaves its right half);
  * keypoints: points on hidden pixels get visibility 0 (when a visibility
    column is given);
  * labels: unchanged.

`identity_params` hides nothing (every rectangle inactive, GridMask's
"apply" False and its square side 0), so every target comes back unchanged.
"""

import math
import numbers

import keras

from keras_aug.core import arguments
from keras_aug.core import dtypes
from keras_aug.core.backend import dtype_name
from keras_aug.core.backend import ops
from keras_aug.core.base import Augmentation
from keras_aug.core.base import constant_params
from keras_aug.layers import _patches as P


class _Erasing(Augmentation):
    """Shared machinery: subclasses define `sample` and `hidden(params, height, width)`."""

    def __init__(self, fill_mode, fill_value, value_range, mask_fill_value, min_box_visibility, trim_boxes,
                 seed=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(seed=seed, bounding_box_format=bounding_box_format, data_format=data_format, **kwargs)
        self.fill_mode, self.fill_value, self.value_range = P.parse_fill(fill_mode, fill_value, value_range)
        self.mask_fill_value = P.parse_mask_fill_value(mask_fill_value)
        self.min_box_visibility = P.parse_visibility(min_box_visibility)
        self.trim_boxes = bool(trim_boxes)

    def hidden(self, params, height, width):
        raise NotImplementedError

    def sample_noise(self, shape, draws):
        """Per-pixel fill values, drawn only for fill_mode='random'."""
        if self.fill_mode != "random":
            return {}
        size = [shape.batch_size, shape.height, shape.width, shape.channels]
        return {"noise": draws.uniform(size, self.value_range[0], self.value_range[1])}

    def identity_noise(self, shape):
        """The `noise` entry of `identity_params` (any values: nothing is hidden)."""
        if self.fill_mode != "random":
            return {}
        return {"noise": constant_params(shape.batch_size, self.value_range[0],
                                         trailing=(shape.height, shape.width, shape.channels))}

    def identity_rects(self, shape):
        """Rectangle parameters that hide nothing: `count` high empty, inactive rectangles."""
        k = self.count[1]
        return {"rects": constant_params(shape.batch_size, 0.0, trailing=(k, 4)),
                "active": constant_params(shape.batch_size, False, "bool", trailing=(k,)),
                **self.identity_noise(shape)}

    def apply(self, batch, params):
        hidden = self.hidden(params, batch.height, batch.width)
        fill = P.fill_values(batch.images, self.fill_mode, self.fill_value, params.get("noise"), self.value_range)
        fill = dtypes.cast_like(fill, batch.images)
        changes = {"images": ops.where(hidden[..., None], fill, batch.images)}
        if batch.masks is not None and self.mask_fill_value is not None:
            ignore = ops.cast(self.mask_fill_value, dtype_name(batch.masks))
            changes["masks"] = ops.where(hidden[..., None], ignore, batch.masks)
        if batch.boxes is not None:
            changes["boxes"], changes["box_labels"] = P.visible_boxes(
                batch.boxes, batch.box_labels, hidden, self.min_box_visibility, self.trim_boxes)
        if batch.keypoints is not None:
            changes["keypoints"] = P.hide_keypoints(batch.keypoints, hidden)
        return batch.replace(**changes)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(fill_mode=self.fill_mode, fill_value=self.fill_value, value_range=list(self.value_range),
                      mask_fill_value=self.mask_fill_value, min_box_visibility=self.min_box_visibility,
                      trim_boxes=self.trim_boxes)
        return config


_TARGETS_DOC = """
    Targets: images (hidden pixels filled, the rest unchanged, dtype kept);
    segmentation masks (hidden pixels take `mask_fill_value`, or stay with
    None); boxes (dropped when their visible share is <= `min_box_visibility`,
    trimmed to their visible pixels with `trim_boxes`); keypoints (visibility
    0 on hidden pixels when a visibility column is given); labels unchanged.
"""


def _document_targets(cls):
    # A class docstring must be a literal, so the shared paragraph is appended here.
    cls.__doc__ = cls.__doc__.rstrip() + "\n" + _TARGETS_DOC
    return cls


@keras.saving.register_keras_serializable(package="keras_aug")
@_document_targets
class RandomErasing(_Erasing):
    """Random Erasing (Zhong et al., 2017): 1..N random rectangles per sample.

    Same name and arguments as `keras.layers.RandomErasing` (factor, scale,
    fill_value, value_range, seed, data_format), plus the paper's aspect-ratio
    range, several rectangles, the fill modes and annotation handling.

    Each sample is erased with its own probability p ~ U(factor) (so the
    default factor=1.0 erases half the samples, like the paper's p = 0.5).
    Each rectangle has area ~ U(scale) x H x W and aspect ratio width/height
    with log-uniform distribution in `ratio`, integer sides, and a position
    uniform over every place it fits; up to 10 proposals are drawn and a
    rectangle that never fits is skipped (as torchvision does).

    Args:
      factor: probability of erasing a sample, in [0, 1]: a number f draws
        p ~ U(0, f) per sample (Keras's convention), a pair (low, high) draws
        p ~ U(low, high); use (p, p) for an exact probability.
      scale: (low, high) fraction of the image area per rectangle, in [0, 1];
        a single number s means (0, s). Default (0.02, 0.33), the paper's.
      ratio: (low, high) aspect ratio width / height, 0 < low <= high.
        Default (0.3, 1 / 0.3), the paper's.
      count: rectangles per sample: an int >= 1, or (low, high) for a
        per-sample count uniform in low..high. Rectangles may overlap.
      fill_mode: "constant" (fill_value), "random" (per-pixel values uniform
        in value_range, the paper's choice) or "mean" (the sample's own
        per-channel mean). None (default) follows Keras: "random" when
        fill_value is None, else "constant". (Keras's random fill is a
        clipped normal; here it is uniform over value_range.)
      fill_value: number or per-channel list, in the images' units.
      value_range: (low, high) range of the image values, for random fills.
      mask_fill_value: class id erased mask pixels take (default 255, the
        ignore value), or None to leave masks unchanged.
      min_box_visibility: in [0, 1); boxes whose visible share of pixels is
        at or under it are dropped (label -1). Fully hidden boxes are always
        dropped.
      trim_boxes: shrink surviving boxes to the extent of their visible pixels.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), ratio=(0.3, 1 / 0.3), count=1, fill_mode=None,
                 fill_value=None, value_range=(0, 255), mask_fill_value=255, min_box_visibility=0.0,
                 trim_boxes=True, seed=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(fill_mode, fill_value, value_range, mask_fill_value, min_box_visibility, trim_boxes,
                         seed=seed, bounding_box_format=bounding_box_format, data_format=data_format, **kwargs)
        self.factor = arguments.parse_range(factor, "factor", symmetric=False, default_low=0.0, minimum=0.0,
                                            maximum=1.0)
        self.scale = arguments.parse_range(scale, "scale", symmetric=False, default_low=0.0, minimum=0.0,
                                           maximum=1.0)
        self.ratio = arguments.parse_range(ratio, "ratio", symmetric=False)
        if self.ratio[0] <= 0:
            raise ValueError(f"`ratio` must satisfy 0 < low <= high (width / height); got {ratio!r}.")
        self.count = P.parse_count(count)

    def sample(self, shape, draws):
        n = shape.batch_size
        probability = draws.uniform([n], self.factor[0], self.factor[1])
        apply = draws.uniform([n]) < probability
        rects, found = P.sample_erasing_rects(draws, shape, self.count[1], self.scale, self.ratio)
        active = P.sample_count_active(draws, n, self.count, apply) & found
        return {"rects": rects, "active": active, **self.sample_noise(shape, draws)}

    def identity_params(self, shape):
        return self.identity_rects(shape)

    def hidden(self, params, height, width):
        return P.rect_hidden(params["rects"], params["active"], height, width)

    def get_config(self):
        config = super().get_config()
        config.update(factor=list(self.factor), scale=list(self.scale), ratio=list(self.ratio),
                      count=list(self.count))
        return config


def _parse_cutout_size(value):
    def kind(v):
        if isinstance(v, bool):
            return None
        if isinstance(v, numbers.Integral):
            return "pixels" if v >= 1 else None
        if isinstance(v, numbers.Real):
            return "fraction" if 0.0 < v <= 1.0 else None
        return None

    pair = value if isinstance(value, (tuple, list)) else (value, value)
    kinds = {kind(v) for v in pair} if len(pair) == 2 else {None}
    if None in kinds or len(kinds) != 1 or pair[0] > pair[1]:
        raise ValueError(
            "`size` must be an int >= 1 (pixels), a float in (0, 1] (fraction of the shorter image side), or a "
            f"(low, high) pair of one of these kinds with low <= high; got {value!r}."
        )
    unit = kinds.pop()
    cast = int if unit == "pixels" else float
    return (cast(pair[0]), cast(pair[1])), unit


@keras.saving.register_keras_serializable(package="keras_aug")
@_document_targets
class RandomCutout(_Erasing):
    """Cutout (DeVries & Taylor, 2017): square holes of a fixed size or size range.

    As in the paper, each hole's centre is uniform over the image pixels and
    the square is clipped at the borders, so holes near an edge are partly
    outside (smaller erased area).

    Args:
      size: side of each square: an int (pixels) or a float in (0, 1]
        (fraction of the shorter image side), or a (low, high) pair of one
        kind for a per-hole side uniform in that range (whole pixels).
        Default 0.5 (the paper's 16 px holes on 32 px CIFAR images).
      count: holes per sample: an int >= 1 or (low, high), per sample.
      probability: chance that a sample gets its holes, in [0, 1].
      fill_mode: "constant" (default), "random" or "mean" (see RandomErasing).
      fill_value: number or per-channel list (default 0.0).
      value_range, mask_fill_value, min_box_visibility, trim_boxes, seed,
        bounding_box_format, data_format: as in `RandomErasing`.
    """

    def __init__(self, size=0.5, count=1, probability=1.0, fill_mode="constant", fill_value=0.0,
                 value_range=(0, 255), mask_fill_value=255, min_box_visibility=0.0, trim_boxes=True, seed=None,
                 bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(fill_mode, fill_value, value_range, mask_fill_value, min_box_visibility, trim_boxes,
                         seed=seed, bounding_box_format=bounding_box_format, data_format=data_format, **kwargs)
        self.size, self._size_unit = _parse_cutout_size(size)
        self.count = P.parse_count(count)
        self.probability = arguments.parse_probability(probability, "probability")

    def sample(self, shape, draws):
        n = shape.batch_size
        k = self.count[1]
        h = P.f32(shape.height)
        w = P.f32(shape.width)
        low, high = self.size
        if self._size_unit == "fraction":
            short = ops.minimum(h, w)
            low = ops.maximum(ops.round(low * short), 1.0)
            high = ops.maximum(ops.round(high * short), 1.0)
        side = ops.floor(low + draws.uniform([n, k]) * (high - low + 1.0))
        side = ops.minimum(side, high)
        cy = ops.floor(draws.uniform([n, k]) * h)
        cx = ops.floor(draws.uniform([n, k]) * w)
        y0 = cy - ops.floor(side / 2)
        x0 = cx - ops.floor(side / 2)
        rects = P.clipped_rects(y0, x0, side, side, h, w)
        apply = draws.uniform([n]) < self.probability
        active = P.sample_count_active(draws, n, self.count, apply)
        return {"rects": rects, "active": active, **self.sample_noise(shape, draws)}

    def identity_params(self, shape):
        return self.identity_rects(shape)

    def hidden(self, params, height, width):
        return P.rect_hidden(params["rects"], params["active"], height, width)

    def get_config(self):
        config = super().get_config()
        config.update(size=list(self.size), count=list(self.count), probability=self.probability)
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
@_document_targets
class GridMask(_Erasing):
    """GridMask (Chen et al., 2020): a grid of erased squares, per sample.

    Per sample: a grid period d (pixels), the erased square's side r * d, an
    offset (dx, dy) uniform in [0, d)^2, and optionally a rotation of the
    grid about the image centre. A pixel (centre (x + .5, y + .5), taken
    relative to the image centre and turned by the angle to (u, v)) is hidden
    when (u - dx) mod d < r d and (v - dy) mod d < r d, so about r^2 of the
    image is erased.

    Args:
      period: (low, high) grid period as a fraction of the shorter image side,
        in (0, 1] (a number p means (p, p)); the paper's 96..224 px on 224 px
        images is (0.43, 1.0). Default (0.3, 0.7).
      ratio: side of each erased square as a fraction of the period, in
        (0, 1): a number or a (low, high) range drawn per sample. Default 0.5.
      rotation_factor: grid rotation as a fraction of a full turn (Keras's
        RandomRotation convention): a number f draws the angle from
        U(-f, f) x 2 pi, a pair (low, high) from U(low, high) x 2 pi.
        Default 0.0 (axis-aligned grid).
      probability: chance that a sample is masked, in [0, 1].
      fill_mode: "constant" (default), "random" or "mean" (see RandomErasing).
      fill_value: number or per-channel list (default 0.0).
      value_range, mask_fill_value, min_box_visibility, trim_boxes, seed,
        bounding_box_format, data_format: as in `RandomErasing`.
    """

    def __init__(self, period=(0.3, 0.7), ratio=0.5, rotation_factor=0.0, probability=1.0, fill_mode="constant",
                 fill_value=0.0, value_range=(0, 255), mask_fill_value=255, min_box_visibility=0.0,
                 trim_boxes=True, seed=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(fill_mode, fill_value, value_range, mask_fill_value, min_box_visibility, trim_boxes,
                         seed=seed, bounding_box_format=bounding_box_format, data_format=data_format, **kwargs)
        self.period = arguments.parse_range(period, "period", symmetric=False, default_low=period
                                            if arguments._is_number(period) else None, maximum=1.0)
        if self.period[0] <= 0:
            raise ValueError(f"`period` values must be in (0, 1] (fraction of the shorter side); got {period!r}.")
        self.ratio = arguments.parse_range(ratio, "ratio", symmetric=False, default_low=ratio
                                           if arguments._is_number(ratio) else None)
        if not (0.0 < self.ratio[0] and self.ratio[1] < 1.0):
            raise ValueError(f"`ratio` must be in (0, 1) (erased side / period); got {ratio!r}.")
        self.rotation_factor = arguments.parse_range(rotation_factor, "rotation_factor", symmetric=True)
        self.probability = arguments.parse_probability(probability, "probability")

    def sample(self, shape, draws):
        n = shape.batch_size
        short = ops.minimum(P.f32(shape.height), P.f32(shape.width))
        period = ops.maximum(draws.uniform([n], self.period[0], self.period[1]) * short, 2.0)
        ratio = draws.uniform([n], self.ratio[0], self.ratio[1])
        offset = draws.uniform([n, 2]) * period[:, None]
        angle = draws.uniform([n], self.rotation_factor[0], self.rotation_factor[1]) * 2.0 * math.pi
        apply = draws.uniform([n]) < self.probability
        return {"period": period, "side": ratio * period, "offset": offset, "angle": angle, "apply": apply,
                **self.sample_noise(shape, draws)}

    def identity_params(self, shape):
        n = shape.batch_size
        # Period 2 (the smallest drawn) keeps the modulo defined; side 0 hides nothing even when applied.
        return {"period": constant_params(n, 2.0), "side": constant_params(n, 0.0),
                "offset": constant_params(n, 0.0, trailing=(2,)), "angle": constant_params(n, 0.0),
                "apply": constant_params(n, False, "bool"), **self.identity_noise(shape)}

    def hidden(self, params, height, width):
        ys = P.f32(ops.arange(height, dtype="int32")) + 0.5 - P.f32(height) / 2.0
        xs = P.f32(ops.arange(width, dtype="int32")) + 0.5 - P.f32(width) / 2.0
        ys = ys[None, :, None]
        xs = xs[None, None, :]
        angle = params["angle"][:, None, None]
        cos, sin = ops.cos(angle), ops.sin(angle)
        u = cos * xs + sin * ys
        v = -sin * xs + cos * ys
        d = params["period"][:, None, None]
        side = params["side"][:, None, None]
        dx = params["offset"][:, 0, None, None]
        dy = params["offset"][:, 1, None, None]
        inside = (ops.mod(u - dx, d) < side) & (ops.mod(v - dy, d) < side)
        return inside & params["apply"][:, None, None]

    def get_config(self):
        config = super().get_config()
        config.update(period=list(self.period), ratio=list(self.ratio), rotation_factor=list(self.rotation_factor),
                      probability=self.probability)
        return config
