"""Brightness, contrast, channel shift, saturation, hue, grayscale, colour jitter.

All layers here change pixel values only: labels, bounding boxes, masks and
keypoints pass through unchanged. See `keras_aug.layers.photometric.base` for
the dtype, clipping and channel conventions shared by every layer.
"""

import keras

from keras_aug.core import arguments
from keras_aug.core import dtypes
from keras_aug.core.backend import ops
from keras_aug.core.base import constant_params
from keras_aug.layers.photometric.base import PhotometricAugmentation
from keras_aug.layers.photometric.base import _is_number
from keras_aug.layers.photometric.base import materialized
from keras_aug.layers.photometric.base import parse_unit_range
from keras_aug.layers.photometric.base import per_sample

# ITU-R 601 luma weights, as tf.image.rgb_to_grayscale and Keras use them.
GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)


def rgb_to_hcv(images):
    """Hue in sextants [0, 6), chroma (max - min) and value (max) of RGB images.

    Scale-free: works on any value range measured from its low end.
    """
    r, g, b = images[..., 0], images[..., 1], images[..., 2]
    # Pick the max channel by comparisons, not by equality with a reduced max:
    # XLA may evaluate the two differently by an ulp.
    red = (r >= g) & (r >= b)
    green = ~red & (g >= b)
    v = ops.where(red, r, ops.where(green, g, b))
    chroma = v - ops.minimum(ops.minimum(r, g), b)
    safe = ops.where(chroma > 0, chroma, ops.ones_like(chroma))
    # One division per pixel: the sector's numerator and offset are selected first.
    numerator = ops.where(red, g - b, ops.where(green, b - r, r - g))
    offset = ops.cast(ops.where(red, 0.0, ops.where(green, 2.0, 4.0)), dtypes.name_of(images))
    hue = numerator / safe + offset
    # The hue above lies in [-1, 5): one conditional add is its modulo 6. (XLA on a CPU
    # computes `mod` with a scalar fmod per element, several times this.)
    hue = ops.where(chroma > 0, ops.where(hue < 0.0, hue + 6.0, hue), ops.zeros_like(hue))
    return hue, chroma, v


def hcv_to_rgb(hue, chroma, v):
    """Inverse of `rgb_to_hcv`: channel n is v - chroma * clip(min(k, 4 - k), 0, 1),
    k = (n + hue) mod 6 with n = 5, 3, 1 for R, G, B."""
    hue = hue - 6.0 * ops.floor(hue * (1.0 / 6.0))  # any hue into [0, 6], by one floor, not three fmods
    channels = []
    for n in (5.0, 3.0, 1.0):
        k = n + hue
        k = ops.where(k >= 6.0, k - 6.0, k)  # k < 12: one conditional subtract is its modulo 6
        channels.append(v - chroma * ops.clip(ops.minimum(k, 4.0 - k), 0.0, 1.0))
    return ops.stack(channels, axis=-1)


def to_grayscale(images):
    """Luma of RGB `images`, repeated on 3 channels."""
    # Three weighted channel slices, not a sum over the channel axis: XLA on a
    # CPU under `jax.jit` ran that 3-wide reduction fused per output value,
    # 5.9 instead of 0.2 CPU ms per 224 x 224 x 3 image. The same additions.
    red, green, blue = (images[..., c:c + 1] * weight for c, weight in enumerate(GRAY_WEIGHTS))
    return ops.repeat(red + green + blue, 3, axis=-1)


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomBrightness(PhotometricAugmentation):
    """Adds a random per-sample brightness offset.

    Same name, arguments and formula as `keras.layers.RandomBrightness`:
    output = clip(x + delta * (high - low), low, high) with (low, high) =
    `value_range` and delta drawn per sample from the `factor` range.

    For the legacy `ImageDataGenerator(brightness_range=(a, b))`, which
    multiplies, use `RandomBrightnessScale((a, b))`.

    Args:
      factor: a number f in [-1, 1] means delta in (-|f|, |f|); or a (low, high)
        pair within [-1, 1]. -1 makes the image black, 1 white.
      value_range: (low, high), the range the input values span; the output is
        clipped to it. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"delta": [B] float32, a fraction of the range};
    `identity_params`: delta = 0.

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    Differences from Keras: none in the formula. An inverted pair is an error
    (Keras sorts it).
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.factor = factor
        self.factor_range = arguments.parse_range(factor, "factor", minimum=-1.0, maximum=1.0,
                                                  negative_single_is_magnitude=True)

    def sample(self, shape, draws):
        return {"delta": draws.uniform([shape.batch_size], *self.factor_range)}

    def identity_params(self, shape):
        return {"delta": constant_params(shape.batch_size, 0.0)}

    def transform(self, images, params):
        low, high = self.value_range
        return images + per_sample(params["delta"], images) * (high - low)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomBrightnessScale(PhotometricAugmentation):
    """Multiplies brightness by a random per-sample factor (the legacy brightness).

    output = clip(low + (x - low) * s, low, high): a blend with black, as PIL's
    `ImageEnhance.Brightness` does, which the legacy
    `ImageDataGenerator(brightness_range=(a, b))` applies with s drawn
    uniformly from [a, b] per image. Legacy mapping, one line:
    `brightness_range=(a, b)` -> `RandomBrightnessScale((a, b))`.

    Differences from the legacy generator: it goes through an 8-bit PIL image
    (float inputs are truncated to integers, the result is truncated), here
    floats stay floats and integer outputs are rounded (so uint8 results may
    differ by 1).

    Args:
      factor: a (low, high) pair of multipliers, 0 <= low <= high (1 keeps the
        image, 0 makes it black); or a number f in [0, 1] meaning (1 - f, 1 + f).
      value_range: (low, high), the range the input values span; black is
        `low` and the output is clipped to it. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"scale": [B] float32}; `identity_params`: scale = 1.

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.factor = factor
        if _is_number(factor):
            if not 0.0 <= factor <= 1.0:
                raise ValueError(
                    "`factor` as a single number must be in [0, 1] (it means multipliers in "
                    f"(1 - factor, 1 + factor)); got {factor!r}."
                )
            self.factor_range = (1.0 - factor, 1.0 + factor)
        else:
            self.factor_range = arguments.parse_range(factor, "factor", minimum=0.0)

    def sample(self, shape, draws):
        return {"scale": draws.uniform([shape.batch_size], *self.factor_range)}

    def identity_params(self, shape):
        return {"scale": constant_params(shape.batch_size, 1.0)}

    def transform(self, images, params):
        low = self.value_range[0]
        return low + (images - low) * per_sample(params["scale"], images)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


def _parse_contrast_factor(factor):
    if _is_number(factor):
        if not 0.0 <= factor <= 1.0:
            raise ValueError(f"`factor` must be a number in [0, 1] or a (lower, upper) pair within [0, 1]; got {factor!r}.")
        return float(factor), float(factor)
    if isinstance(factor, (tuple, list)) and len(factor) == 2 and all(_is_number(v) for v in factor):
        lower, upper = float(factor[0]), float(factor[1])
        if not (0.0 <= lower <= 1.0 and 0.0 <= upper <= 1.0):
            raise ValueError(f"`factor` values (lower, upper) must be in [0, 1]; got ({lower}, {upper}).")
        return lower, upper
    raise ValueError(f"`factor` must be a number in [0, 1] or a (lower, upper) pair within [0, 1]; got {factor!r}.")


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomContrast(PhotometricAugmentation):
    """Scales each channel's deviation from its mean by a random per-sample factor.

    Same name, arguments and formula as `keras.layers.RandomContrast`: for
    each image and channel, output = clip((x - mean) * c + mean, low, high),
    the mean taken over height and width, with c drawn per sample from
    [1 - lower, 1 + upper].

    Difference from Keras (on purpose): Keras's docstring says a single number
    f means lower = upper = f, but its code uses lower = 0, so it only ever
    raises contrast. Here f means c in [1 - f, 1 + f], as documented there.
    A pair (lower, upper) means the same in both.

    Args:
      factor: a number f in [0, 1] (c in [1 - f, 1 + f]) or a pair
        (lower, upper), each in [0, 1] (c in [1 - lower, 1 + upper]).
      value_range: (low, high), the range the input values span; the output is
        clipped to it. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"contrast": [B] float32}; `identity_params`:
    contrast = 1.

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.factor = factor
        self.lower, self.upper = _parse_contrast_factor(factor)

    def sample(self, shape, draws):
        return {"contrast": draws.uniform([shape.batch_size], 1.0 - self.lower, 1.0 + self.upper)}

    def identity_params(self, shape):
        return {"contrast": constant_params(shape.batch_size, 1.0)}

    def transform(self, images, params):
        mean = ops.mean(images, axis=(1, 2), keepdims=True)
        return (images - mean) * per_sample(params["contrast"], images) + mean

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomChannelShift(PhotometricAugmentation):
    """Adds a random per-sample offset to the channels (the legacy channel shift).

    With the defaults this is the legacy `ImageDataGenerator(channel_shift_range=r)`
    (tf_keras `apply_channel_shift`): ONE offset per image, drawn uniformly
    from [-r, r] in pixel units, added to every channel, then clipped to that
    image's own minimum and maximum (over all its pixels and channels).
    Legacy mapping, one line: `channel_shift_range=r` -> `RandomChannelShift(r)`.

    Args:
      intensity: a number r >= 0 (offsets in [-r, r]) or a (low, high) pair,
        in the images' own units (e.g. 0-255), NOT a fraction of the range.
      value_range: (low, high), the range the input values span; the output is
        also clipped to it. Default (0, 255).
      per_channel: False (default, legacy) draws one offset for all channels;
        True draws an independent offset per channel (an "RGB shift").
      clip: "image" (default, legacy) clips to each image's own [min, max]
        before clipping to `value_range`; "value_range" clips to
        `value_range` only.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"shift": [B] float32, or [B, C] with
    `per_channel`, in pixel units}; `identity_params`: shift = 0.

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    A 4th (alpha) channel is neither shifted nor counted in the min/max.
    """

    def __init__(self, intensity, value_range=(0, 255), per_channel=False, clip="image", seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.intensity = intensity
        self.intensity_range = arguments.parse_range(intensity, "intensity")
        if not isinstance(per_channel, bool):
            raise ValueError(f"`per_channel` must be True or False; got {per_channel!r}.")
        self.per_channel = per_channel
        self.clip = arguments.parse_choice(clip, "clip", ("image", "value_range"))

    def sample(self, shape, draws):
        n = [shape.batch_size]
        if self.per_channel:
            n = n + [self.color_channels(shape.channels)]
        return {"shift": draws.uniform(n, *self.intensity_range)}

    def identity_params(self, shape):
        trailing = (self.color_channels(shape.channels),) if self.per_channel else ()
        return {"shift": constant_params(shape.batch_size, 0.0, trailing=trailing)}

    def transform(self, images, params):
        shifted = images + per_sample(params["shift"], images)
        if self.clip == "image":
            low = ops.min(images, axis=(1, 2, 3), keepdims=True)
            high = ops.max(images, axis=(1, 2, 3), keepdims=True)
            shifted = ops.minimum(ops.maximum(shifted, low), high)
        return shifted

    def get_config(self):
        config = super().get_config()
        config.update(intensity=self.intensity, per_channel=self.per_channel, clip=self.clip)
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomSaturation(PhotometricAugmentation):
    """Scales saturation (HSV) by a random per-sample factor.

    Same name, arguments and factor mapping as `keras.layers.RandomSaturation`:
    u is drawn per sample from the `factor` range and HSV saturation is
    multiplied by u / (1 - u + 1e-7): u = 0.5 keeps the image, 0 makes it
    gray, 1 fully saturated. Hue and value (max channel) are unchanged.

    Differences from Keras (on purpose): (1) a single number f draws u from
    [0, f] as Keras documents (Keras's code draws from [-f, f], which turns
    half the images gray); (2) saturation is capped at 1 (Keras clips it to
    `value_range`, so with (0, 255) it can exceed 1 and produce values below
    the range); (3) the output is clipped to `value_range`.

    Args:
      factor: a number f in [0, 1] (u in [0, f]) or a (low, high) pair within
        [0, 1]. Pass (0.5, 0.5) for a no-op, (0, 1) for the full range.
      value_range: (low, high), the range the input values span. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"saturation": [B] float32, the multiplier};
    `identity_params`: saturation = 1.

    Targets: images only (identity on 1-channel images); labels, boxes, masks
    and keypoints pass through unchanged.
    """

    color_only = True

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.factor = factor
        self.factor_range = parse_unit_range(factor, "factor")

    def sample(self, shape, draws):
        u = draws.uniform([shape.batch_size], *self.factor_range)
        return {"saturation": u / (1.0 - u + 1e-7)}

    def identity_params(self, shape):
        return {"saturation": constant_params(shape.batch_size, 1.0)}

    def transform(self, images, params):
        # With hue and value fixed, x = v - chroma * g(hue), so scaling the
        # saturation chroma / v by m scales v - x by m (capped where it hits 1).
        v = ops.max(images, axis=-1, keepdims=True)
        low = self.value_range[0]
        chroma = v - ops.min(images, axis=-1, keepdims=True)
        safe = ops.where(chroma > 0, chroma, ops.ones_like(chroma))
        ratio = ops.minimum(per_sample(params["saturation"], images), (v - low) / safe)
        ratio = ops.where(chroma > 0, ratio, ops.ones_like(ratio))
        return v - (v - images) * ratio

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomHue(PhotometricAugmentation):
    """Rotates hue (HSV) by a random per-sample angle.

    Same name, arguments and mapping as `keras.layers.RandomHue`: a magnitude
    m is drawn per sample from the `factor` range and a random sign s, and the
    hue moves by s * m / 2 turns (factor 1 reaches +-180 degrees).
    Saturation and value are unchanged.

    Args:
      factor: a number f in [0, 1] (m in [0, f]) or a (low, high) pair within
        [0, 1].
      value_range: (low, high), the range the input values span. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"hue": [B] float32, the shift in turns, within
    [-0.5, 0.5]}; `identity_params`: hue = 0.

    Targets: images only (identity on 1-channel images); labels, boxes, masks
    and keypoints pass through unchanged. Output clipped to `value_range`.
    """

    color_only = True

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.factor = factor
        self.factor_range = parse_unit_range(factor, "factor")

    def sample(self, shape, draws):
        n = [shape.batch_size]
        sign = ops.where(draws.bernoulli(n, 0.5), -1.0, 1.0)
        return {"hue": sign * draws.uniform(n, *self.factor_range) * 0.5}

    def identity_params(self, shape):
        return {"hue": constant_params(shape.batch_size, 0.0)}

    def transform(self, images, params):
        low = self.value_range[0]
        # Stored first: XLA fused uint8 images' cast into the conversion's channel reads
        # and ran 14x slower (7.2 against 0.6 CPU ms per 224 x 224 x 3 image).
        hue, chroma, v = rgb_to_hcv(materialized(images) - low)
        shift = ops.cast(params["hue"], dtypes.name_of(images))[:, None, None] * 6.0
        return hcv_to_rgb(hue + shift, chroma, v) + low

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomGrayscale(PhotometricAugmentation):
    """Turns each sample to grayscale with probability `factor`.

    Same name, arguments and weights as `keras.layers.RandomGrayscale`: luma
    0.2989 R + 0.5870 G + 0.1140 B, repeated on the 3 channels (the channel
    count is kept).

    Args:
      factor: the probability, in [0, 1]. Default 0.5.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"grayscale": [B] bool}; `identity_params`: False.

    Targets: images only (identity on 1-channel images; alpha kept); labels,
    boxes, masks and keypoints pass through unchanged.
    """

    color_only = True

    def __init__(self, factor=0.5, seed=None, **kwargs):
        kwargs.pop("value_range", None)
        super().__init__(value_range=None, seed=seed, **kwargs)
        self.factor = arguments.parse_probability(factor, "factor")

    def sample(self, shape, draws):
        return {"grayscale": draws.bernoulli([shape.batch_size], self.factor)}

    def identity_params(self, shape):
        return {"grayscale": constant_params(shape.batch_size, False, "bool")}

    def transform(self, images, params):
        return ops.where(params["grayscale"][:, None, None, None], to_grayscale(images), images)

    def get_config(self):
        config = super().get_config()
        config.pop("value_range", None)
        config["factor"] = self.factor
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomColorJitter(PhotometricAugmentation):
    """Brightness, contrast, saturation and hue, in that order, per sample.

    Same name, arguments and order as `keras.layers.RandomColorJitter`; each
    factor means what it means in `RandomBrightness`, `RandomContrast`,
    `RandomSaturation` and `RandomHue` (None skips that step). The steps run
    in float without intermediate rounding; each clips to `value_range`.

    Args:
      value_range: (low, high) range of the image values, default (0, 255).
      brightness_factor, contrast_factor, saturation_factor, hue_factor: the
        `factor` of `RandomBrightness`, `RandomContrast`, `RandomSaturation`
        and `RandomHue`, with their units and ranges; None (default) skips
        that step.
      seed: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): the parameters of each step, keys prefixed
    "brightness_", "contrast_", "saturation_", "hue_"; `identity_params`:
    each step's identity parameters, prefixed the same way.

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        vr = self.value_range
        steps = []
        if brightness_factor is not None:
            steps.append(("brightness", RandomBrightness(brightness_factor, value_range=vr)))
        if contrast_factor is not None:
            steps.append(("contrast", RandomContrast(contrast_factor, value_range=vr)))
        if saturation_factor is not None:
            steps.append(("saturation", RandomSaturation(saturation_factor, value_range=vr)))
        if hue_factor is not None:
            steps.append(("hue", RandomHue(hue_factor, value_range=vr)))
        self._steps = steps

    def needs_color(self):
        return any(layer.color_only for _, layer in self._steps)

    def sample(self, shape, draws):
        return self._prefixed(lambda layer: layer.sample(shape, draws))

    def identity_params(self, shape):
        return self._prefixed(lambda layer: layer.identity_params(shape))

    def _prefixed(self, params_of):
        """`params_of(step)` of every step, merged with keys prefixed by the step's name."""
        params = {}
        for name, layer in self._steps:
            for key, value in params_of(layer).items():
                params[f"{name}_{key}"] = value
        return params

    def transform(self, images, params):
        for name, layer in self._steps:
            if layer.color_only and images.shape[-1] == 1:
                continue
            prefix = name + "_"
            own = {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}
            # Stored between steps: fused, each step recomputed the previous one per channel.
            images = materialized(ops.clip(layer.transform(images, own), *self.value_range))
        return images

    def get_config(self):
        config = super().get_config()
        config.update(
            brightness_factor=self.brightness_factor, contrast_factor=self.contrast_factor,
            saturation_factor=self.saturation_factor, hue_factor=self.hue_factor,
        )
        return config
