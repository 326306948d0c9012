"""The op table of the automatic policies: names, magnitudes and kernels.

The ops and their meaning follow torchvision's `transforms.autoaugment`
(itself the AutoAugment / RandAugment papers' PIL ops). Each op takes ONE
number, its magnitude, in the op's own units:

  op            kind        magnitude m (signed ops get a random sign)
  identity      -           none
  shear_x       geometric   shear factor s: reads the input at (x + s*y, y), about
                            the top-left corner (PIL's and torchvision's ShearX)
  shear_y       geometric   s: reads the input at (x, y + s*x)
  translate_x   geometric   pixels, truncated toward zero (torchvision's int());
                            positive moves the content right
  translate_y   geometric   pixels; positive moves the content down
  rotate        geometric   degrees about the centre; positive turns the
                            content counter-clockwise (torchvision's F.rotate)
  brightness    colour      enhancement delta d: x * (1 + d)      (PIL ImageEnhance)
  color         colour      d: blend with the gray image by 1 + d
  contrast      colour      d: blend with the mean gray level by 1 + d
  sharpness     colour      d: blend with PIL's SMOOTH-filtered image by 1 + d
  posterize     colour      bits kept, an int in [1, 8]
  solarize      colour      threshold on the 0-255 scale: values >= m are inverted
  autocontrast  colour      none: each channel stretched to the full range
  equalize      colour      none: each channel's histogram equalized (PIL / torchvision)
  invert        colour      none: x -> 255 - x

Colour ops compute on the 0-255 scale of `value_range` (so a (0, 1) image
is scaled by 255 first and back afterwards) and clip to it after each op, as
torchvision does. Float images are not rounded between ops (only the
layer's output is); uint8 images are rounded after color and sharpness
(see `keras_aug.layers.policies.level_tables`), as PIL and torchvision
round after every op.

A `Space` maps a magnitude LEVEL in [0, 1] (a fraction of the strongest
setting; torchvision's bin b of n is level b / (n - 1)) to each op's
magnitude: linear ops m = level * maximum; posterize keeps
8 - round(level * depth) bits; solarize's threshold is 255 * (1 - level).
"""

import dataclasses
import math

from keras_aug.core import dtypes
from keras_aug.core import matrices as mat
from keras_aug.core.backend import ops
from keras_aug.core.fusion import materialized
from keras_aug.layers.photometric import histogram
from keras_aug.layers.photometric.color import GRAY_WEIGHTS
from keras_aug.layers.photometric.filters import smooth
from keras_aug.layers.policies import rows as row_lib

GEOMETRIC_OPS = ("shear_x", "shear_y", "translate_x", "translate_y", "rotate")
ENHANCE_OPS = ("brightness", "color", "contrast", "sharpness")
COLOUR_OPS = ENHANCE_OPS + ("posterize", "solarize", "autocontrast", "equalize", "invert")
# Index 0 is the identity: a slot whose op is 0 does nothing.
OPS = ("identity",) + GEOMETRIC_OPS + COLOUR_OPS
OP_INDEX = {name: i for i, name in enumerate(OPS)}
SIGNED_OPS = GEOMETRIC_OPS + ENHANCE_OPS
WITHOUT_MAGNITUDE = ("identity", "autocontrast", "equalize", "invert")
# Colour ops compute on this scale (see the module docstring).
FULL_SCALE = (0.0, 255.0)
LEVELS = 256  # histogram bins of equalize: one per uint8 level


@dataclasses.dataclass(frozen=True)
class Space:
    """The strongest magnitude of each op (see the module docstring).

    Attributes:
      shear: largest shear factor.
      translate: largest shift, as a fraction of the width (x) / height (y)
        when `translate_relative`, else in pixels.
      translate_relative: whether `translate` is a fraction of the image size.
      rotate: largest angle in degrees.
      enhance: largest enhancement delta (brightness, color, contrast, sharpness).
      posterize_depth: bits removed at the strongest level (8 - depth kept).
    """

    shear: float
    translate: float
    translate_relative: bool
    rotate: float
    enhance: float
    posterize_depth: int

    def magnitude(self, name, level, height, width):
        """Magnitude of op `name` at `level` ([B] float32 in [0, 1]); unsigned."""
        if name in ("shear_x", "shear_y"):
            return level * self.shear
        if name in ("translate_x", "translate_y"):
            if not self.translate_relative:
                return level * self.translate
            size = width if name == "translate_x" else height
            return level * (self.translate * mat.as_float(size))
        if name == "rotate":
            return level * self.rotate
        if name in ENHANCE_OPS:
            return level * self.enhance
        if name == "posterize":
            return 8.0 - ops.round(level * float(self.posterize_depth))
        if name == "solarize":
            return 255.0 * (1.0 - level)
        return ops.zeros_like(level)


# RandAugment and AutoAugment (torchvision's `_augmentation_space`).
RANDAUGMENT_SPACE = Space(shear=0.3, translate=150.0 / 331.0, translate_relative=True, rotate=30.0,
                          enhance=0.9, posterize_depth=4)
# TrivialAugmentWide's wider ranges.
TRIVIAL_WIDE_SPACE = Space(shear=0.99, translate=32.0, translate_relative=False, rotate=135.0,
                           enhance=0.99, posterize_depth=6)


def check_op_names(names, argument):
    unknown = [n for n in names if n not in OP_INDEX]
    if unknown:
        raise ValueError(f"`{argument}` has unknown ops {unknown}; allowed: {list(OPS)}.")


def op_magnitudes(space, names, op, level, height, width, sign):
    """Per-sample signed magnitude of the chosen ops.

    Args:
      space: the `Space` of magnitudes.
      names: the op names the policy can draw (a static tuple).
      op: [B, ...] int32 indices into `OPS`.
      level: [B, ...] float32 levels in [0, 1].
      height, width: image size (ints or scalar tensors).
      sign: [B, ...] float32, +1 or -1, applied to `SIGNED_OPS`.

    Returns:
      [B, ...] float32 magnitudes (0 for ops without one).
    """
    result = ops.zeros_like(level)
    for name in names:
        value = space.magnitude(name, level, height, width)
        if name in SIGNED_OPS:
            value = value * sign
        result = ops.where(op == OP_INDEX[name], value, result)
    if "translate_x" in names or "translate_y" in names:
        # torchvision shifts by int(m) pixels: truncation toward zero.
        translate = (op == OP_INDEX["translate_x"]) | (op == OP_INDEX["translate_y"])
        result = ops.where(translate, ops.sign(result) * ops.floor(ops.abs(result)), result)
    return result


def drew(op, names):
    """[...] bool: whether `op` (int32 indices into `OPS`) is one of `names`."""
    hit = ops.zeros_like(op, dtype="bool")
    for name in names:
        hit = hit | (op == OP_INDEX[name])
    return hit


# ------------------------------------------------------------------ geometry
def slot_matrix(op, magnitude, height, width):
    """Output->input [B, 3, 3] matrices of one slot: the chosen geometric op, else identity.

    Every geometric op is the identity at magnitude 0, so each op's matrix is
    built from the magnitude where the sample chose it and 0 elsewhere, and
    the product of the five is the chosen op's matrix.
    """
    def chosen(name):
        return ops.where(op == OP_INDEX[name], magnitude, ops.zeros_like(magnitude))

    cx, cy = mat.as_float(width) / 2.0, mat.as_float(height) / 2.0
    turn = mat.about(mat.rotation(chosen("rotate") * (math.pi / 180.0)), cx, cy)
    shear = mat.shear(chosen("shear_x"), chosen("shear_y"))
    shift = mat.translation(-chosen("translate_x"), -chosen("translate_y"))
    return mat.chain([turn, shear, shift])


def slots_matrix(op, magnitude, height, width):
    """The one [B, 3, 3] matrix of all slots ([B, S] ops), applied slot 0 first."""
    matrices = [slot_matrix(op[:, s], magnitude[:, s], height, width) for s in range(op.shape[1])]
    return mat.chain(matrices)


# ------------------------------------------------------------------- colour
def gray(v):
    """The gray level (ITU-R 601-2 luma) of `[..., 3]` images, `[..., 1]`; one channel is its own gray."""
    if v.shape[-1] != 3:
        return v
    # Three weighted channel slices, not a sum over the channel axis (as `color.to_grayscale`): XLA on a CPU
    # under `jax.jit` can run that 3-wide reduction as one reduction per output value.
    red, green, blue = (v[..., c:c + 1] * weight for c, weight in enumerate(GRAY_WEIGHTS))
    return red + green + blue


def channel_statistics(v, minimum_maximum, mean):
    """Per-sample, per-channel (min, max, mean) of [B, H, W, C] images, each [B, 1, 1, C] (None where not asked).

    Reduced over rows first ([B, H, W * C] -> [B, W * C]), then over columns:
    XLA:CPU vectorizes the first reduction along the contiguous W * C values,
    where a reduction over (H, W) keeping the innermost C ran value by value
    (min and max of a 224 x 224 x 3 image: 0.42 vs 0.07 CPU ms).
    """
    batch_size, height, width, channels = ops.shape(v)
    rows = ops.reshape(v, [batch_size, height, width * channels])

    def reduce(fn):
        return ops.reshape(fn(ops.reshape(fn(rows, axis=1), [batch_size, width, channels]), axis=1),
                           [batch_size, 1, 1, channels])

    low = reduce(ops.min) if minimum_maximum else None
    high = reduce(ops.max) if minimum_maximum else None
    average = reduce(ops.sum) * (1.0 / (mat.as_float(height) * mat.as_float(width))) if mean else None
    return low, high, average


def drawn_statistics(v, op, names, chunk=None):
    """`channel_statistics` of the samples whose `op` ([B]) needs them; (low, high, means), [B, 1, 1, C] or None.

    Contrast needs the channel means, autocontrast the channel minima and
    maxima (those not in `names` are None). They are computed on the rows of
    the samples that drew one of the two only, `chunk` rows at a time
    (`rows.update_rows`; None: the whole batch): a whole-batch statistic costs
    more than a pass over the batch (0.2 CPU ms per 224 x 224 x 3 image on
    XLA:CPU) where about one sample in seven draws it in a RandAugment slot.
    Other samples get zeros, which their coefficients do not read.
    """
    minimum_maximum, mean = "autocontrast" in names, "contrast" in names
    if not (minimum_maximum or mean):
        return None, None, None
    channels = v.shape[-1]

    def step(rows_v, rows):
        return ops.concatenate([t for t in channel_statistics(rows_v, minimum_maximum, mean) if t is not None], axis=-1)

    width = channels * (2 * minimum_maximum + mean)
    zeros = ops.zeros([ops.shape(v)[0], 1, 1, width], dtype=dtypes.name_of(v))
    stats = row_lib.update_rows(zeros, drew(op, ("autocontrast", "contrast")), chunk, step, source=v)
    pieces = [stats[..., start:start + channels] for start in range(0, width, channels)]
    low, high = (pieces[0], pieces[1]) if minimum_maximum else (None, None)
    return low, high, (pieces[-1] if mean else None)


def _enhance_terms(chosen, factor, names, means):
    """Per-sample coefficients of brightness, color and contrast as out = a * v + b + g * gray(v).

    Each enhance op blends the image with a degenerate one by f = 1 + d:
    brightness with black (a = f), color with the gray image (a = f, g = 1 - f),
    contrast with the mean gray level (a = f, b = (1 - f) mean; `means` are the
    channel means). Returns (a, b, g): [B, 1, 1, 1] tensors, or None for terms
    no op in `names` uses. (Sharpness runs on its rows: `_sharpened`.)
    """
    blends = [n for n in ("brightness", "color", "contrast") if n in names]
    if not blends:
        return None, None, None
    is_blend = chosen(blends[0])
    for name in blends[1:]:
        is_blend = is_blend | chosen(name)
    zero = ops.zeros_like(factor)
    a = ops.where(is_blend, factor, ops.ones_like(factor))
    b = g = None
    if "contrast" in names:
        weights = [1.0] if means.shape[-1] != 3 else list(GRAY_WEIGHTS)
        mean = sum(means[..., c:c + 1] * w for c, w in enumerate(weights))
        b = ops.where(chosen("contrast"), (1.0 - factor) * mean, zero)
    if "color" in names:
        g = ops.where(chosen("color"), 1.0 - factor, zero)
    return a, b, g


def _stretch_terms(chosen, names, low, high, one):
    """Per-sample, per-channel (scale, shift) of out = scale * (v - shift) for invert and autocontrast (else 1, 0).

    Autocontrast stretches each channel from its [min, max] (`low`, `high`)
    onto 0-255 (constant channels unchanged); invert is -(v - 255). None, None
    when `names` has neither. `one`: ones of the images' dtype, [B, 1, 1, 1].
    """
    if "invert" not in names and "autocontrast" not in names:
        return None, None
    scale, shift = one, 0.0 * one
    if "invert" in names:
        scale = ops.where(chosen("invert"), -one, scale)
        shift = ops.where(chosen("invert"), 255.0 * one, shift)
    if "autocontrast" in names:
        stretch = chosen("autocontrast") & (high > low)
        scale = ops.where(stretch, 255.0 / ops.where(high > low, high - low, ops.ones_like(high)), scale)
        shift = ops.where(stretch, low, shift)
    return scale, shift


def _posterize_step(m):
    """The level step 2 ** (8 - bits) of posterize keeping `m` bits (clipped to 1-8), in `m`'s dtype."""
    bits = ops.cast(ops.clip(m, 1.0, 8.0), "int32")
    return ops.cast(ops.left_shift(ops.ones_like(bits), 8 - bits), dtypes.name_of(m))


def _pointwise_terms(v, op, m, names, chunk=None):
    """The per-sample coefficients of one slot's pointwise ops, each [B, 1, 1, 1 or C], computed once.

    Keys (those `names` use): "scale", "shift" (`_stretch_terms`), "a", "b",
    "g" (`_enhance_terms`), "threshold" (solarize: values >= it are
    inverted; +inf where the sample did not draw solarize) and "step"
    (posterize's level step; 0 where the sample did not draw posterize).

    They are packed into one small tensor that is materialized before the
    pixel pass reads it: left alone, XLA fuses their computation (the op
    choice, the magnitude and the random draws behind them, about 350
    instructions) into the pass and redoes it for every value of the batch.
    """
    def chosen(name):
        return ops.reshape(op == OP_INDEX[name], [-1, 1, 1, 1])

    low, high, means = drawn_statistics(v, op, names, chunk)
    a, b, g = _enhance_terms(chosen, 1.0 + m, names, means)
    scale, shift = _stretch_terms(chosen, names, low, high, ops.ones_like(m))
    terms = {"scale": scale, "shift": shift, "a": a, "b": b, "g": g}
    if "solarize" in names:
        terms["threshold"] = ops.where(chosen("solarize"), m, ops.full_like(m, float("inf")))
    if "posterize" in names:
        terms["step"] = ops.where(chosen("posterize"), _posterize_step(m), ops.zeros_like(m))
    terms = {k: t for k, t in terms.items() if t is not None}
    if not terms:
        return terms
    batch_size = ops.shape(m)[0]
    widths = {k: t.shape[-1] for k, t in terms.items()}
    packed = materialized(ops.concatenate(
        [ops.broadcast_to(t, [batch_size, 1, 1, widths[k]]) for k, t in terms.items()], axis=-1))
    start, unpacked = 0, {}
    for k in terms:
        unpacked[k] = packed[..., start:start + widths[k]]
        start += widths[k]
    return unpacked


def _equalized(v, rows):
    return ops.clip(histogram.equalize(v, FULL_SCALE, LEVELS), 0.0, 255.0)


def _sharpened(factor):
    """Sharpness on gathered rows: the blend with PIL's smoothed image by `factor` ([B, 1, 1, 1]), clipped."""
    def step(v, rows):
        f = ops.take(factor, rows, axis=0)
        degenerate = smooth(v)
        return ops.clip(degenerate + f * (v - degenerate), 0.0, 255.0)

    return step


def colour_slot(v, op, magnitude, names, chunk=None, in_range=False):
    """Applies one slot's colour op per sample to 0-255 float images `v`.

    `op` and `magnitude` are [B]; samples whose op is not a colour op pass
    unchanged. Only ops in `names` (static) are computed. Brightness, color,
    contrast, invert, autocontrast, solarize and posterize are per-sample
    coefficients of ONE pass over the batch (`_pointwise_terms`: a sample's
    own op has its coefficients, every other op its identity ones), where
    computing each op for the batch and selecting cost a pass over the
    images per op. Equalize and sharpness (a histogram, a 3x3 blur), and
    the image statistics of contrast and autocontrast, are computed on the
    rows that drew them only, `chunk` rows at a time (`rows.update_rows`;
    None: the whole batch), and written in place over the pass's output.

    `in_range` (static): `v` is known to lie within 0-255 (an earlier slot's
    clipped output). The pass leaves such values unchanged on the rows that
    drew equalize or sharpness (their coefficients are the identity ones), so
    those ops then read their rows from the pass's output, and `v` is not
    kept alive beside it (on XLA:CPU, a batch of temporaries fewer).
    """
    m = ops.reshape(ops.cast(magnitude, dtypes.name_of(v)), [-1, 1, 1, 1])
    t = _pointwise_terms(v, op, m, names, chunk)
    out = v if "scale" not in t else t["scale"] * (v - t["shift"])
    out = out if "a" not in t else t["a"] * out
    out = out if "b" not in t else out + t["b"]
    out = out if "g" not in t else out + t["g"] * gray(v)
    if "threshold" in t:
        out = ops.where(v >= t["threshold"], 255.0 - v, out)
    if "step" in t:
        step = ops.maximum(t["step"], 1.0)
        out = ops.where(t["step"] > 0.0, ops.floor(ops.floor(v) / step) * step, out)
    out = ops.clip(out, 0.0, 255.0)
    source = None if in_range else v
    if "sharpness" in names:
        out = row_lib.update_rows(out, op == OP_INDEX["sharpness"], chunk, _sharpened(1.0 + m), source=source)
    if "equalize" in names:
        out = row_lib.update_rows(out, op == OP_INDEX["equalize"], chunk, _equalized, source=source)
    return out
