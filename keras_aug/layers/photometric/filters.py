"""Sharpness and Gaussian blur.

All layers here change pixel values only: labels, bounding boxes, masks and
keypoints pass through unchanged. See `keras_aug.layers.photometric.base` for
the dtype, clipping and channel conventions shared by every layer.
"""

import numbers

import keras

from keras_aug.core import arguments
from keras_aug.core import dtypes
from keras_aug.core.backend import ops
from keras_aug.core.base import constant_params
from keras_aug.layers.photometric.base import PhotometricAugmentation
from keras_aug.layers.photometric.base import parse_unit_range
from keras_aug.layers.photometric.base import per_sample

# The smallest sigma the blur computes with (Keras adds 1e-6 to every sigma).
_MIN_SIGMA = 1e-6


def smooth(images):
    """PIL's 3x3 SMOOTH filter on `[B, H, W, C]` images; the one-pixel border keeps its input values.

    Shifted sums of the zero-padded images, not a depthwise convolution: XLA's
    CPU depthwise convolution costs about 30x more (13 vs 0.4 CPU ms per
    224 x 224 x 3 image). Any size works (images under 3 x 3 are all border).
    """
    padded = ops.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])
    rows = padded[:, :, :-2] + padded[:, :, 1:-1] + padded[:, :, 2:]
    box = rows[:, :-2] + rows[:, 1:-1] + rows[:, 2:]
    inner = (box + 4.0 * images) * (1.0 / 13.0)
    _, height, width, _ = ops.shape(images)
    rows_in = ops.arange(height, dtype="int32")
    cols_in = ops.arange(width, dtype="int32")
    inside = ((rows_in > 0) & (rows_in < height - 1))[:, None] & ((cols_in > 0) & (cols_in < width - 1))[None, :]
    return ops.where(inside[None, :, :, None], inner, images)


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomSharpness(PhotometricAugmentation):
    """Blends each sample with a smoothed copy by a random per-sample factor.

    Same name, arguments and formula as `keras.layers.RandomSharpness` (PIL's
    `ImageEnhance.Sharpness`): with u drawn per sample from the `factor` range
    and s = 2u, output = smooth + s * (x - smooth), where smooth is PIL's 3x3
    SMOOTH filter. u = 0.5 keeps the image, 0 blurs it, 1 sharpens it.

    Difference from Keras: the one-pixel border is left as it is, as PIL and
    torchvision do (Keras zero-pads, which darkens the border of blurred
    images).

    Args:
      factor: a number f in [0, 1] (u in [0, f]) or a (low, high) pair within
        [0, 1]. Pass (0.5, 0.5) for a no-op.
      value_range: (low, high), the range the input values span; the output is
        clipped to it. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"sharpness": [B] float32, s = 2u};
    `identity_params`: 1.

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.factor = factor
        self.factor_range = parse_unit_range(factor, "factor")

    def sample(self, shape, draws):
        return {"sharpness": 2.0 * draws.uniform([shape.batch_size], *self.factor_range)}

    def identity_params(self, shape):
        return {"sharpness": constant_params(shape.batch_size, 1.0)}

    def transform(self, images, params):
        blurred = smooth(images)
        return blurred + per_sample(params["sharpness"], images) * (images - blurred)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


def _parse_kernel_size(value):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1 and value % 2 == 1:
        return int(value)
    raise ValueError(f"`kernel_size` must be an odd positive int (1, 3, 5, ...); got {value!r}.")


def _blur_axis(images, weights, axis):
    """Per-sample 1-D convolution along `axis` (1: rows, 2: columns), reflect padding.

    weights: [B, K] normalized kernels.
    """
    k = weights.shape[-1]
    radius = k // 2
    if radius == 0:
        return images
    pad = [[0, 0], [0, 0], [0, 0], [0, 0]]
    pad[axis] = [radius, radius]
    padded = ops.pad(images, pad, mode="reflect")
    size = ops.shape(images)[axis]
    out = 0.0
    for i in range(k):
        window = padded[:, i:, :, :] if axis == 1 else padded[:, :, i:, :]
        window = window[:, :size] if axis == 1 else window[:, :, :size]
        out = out + weights[:, i][:, None, None, None] * window
    return out


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomGaussianBlur(PhotometricAugmentation):
    """Blurs samples at random with a Gaussian of random per-sample sigma.

    Same name and arguments as `keras.layers.RandomGaussianBlur`: per sample a
    probability p is drawn from the `factor` range and the image is blurred
    when a uniform draw falls below p; the kernel is `kernel_size` square,
    separable, with independent sigmas along x and y.

    Differences from Keras (on purpose): sigmas are drawn per sample (Keras
    draws one pair per batch); a single `sigma` s is a fixed sigma as Keras
    documents (its code draws from (0, s)) and sigma is not capped at 1;
    borders are reflected (Keras zero-pads, darkening them).

    Args:
      factor: blur probability range: a number f in [0, 1] (p in [0, f]) or a
        (low, high) pair within [0, 1]. Default 1.0 (half the images).
      kernel_size: odd positive int. Default 3.
      sigma: a number s >= 0 or a (low, high) pair, 0 <= low <= high; 0 blurs
        nothing (as in Keras). Default 1.
      value_range: (low, high), the range the input values span. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"active": [B] bool (the sample is blurred),
    "sigma": [B, 2] float32 (y, x)}; `identity_params`: active False (sigma 1).

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.factor = factor
        self.factor_range = parse_unit_range(factor, "factor")
        self.kernel_size = _parse_kernel_size(kernel_size)
        self.sigma = sigma
        if isinstance(sigma, numbers.Real) and not isinstance(sigma, bool):
            if not sigma >= 0:
                raise ValueError(f"`sigma` must be >= 0 (or a (low, high) pair with 0 <= low <= high); got {sigma!r}.")
            self.sigma_range = (float(sigma), float(sigma))
        else:
            self.sigma_range = arguments.parse_range(sigma, "sigma", minimum=0.0)

    def sample(self, shape, draws):
        n = [shape.batch_size]
        p = draws.uniform(n, *self.factor_range)
        active = draws.uniform(n) < p
        return {"active": active, "sigma": draws.uniform(n + [2], *self.sigma_range)}

    def identity_params(self, shape):
        return {"active": constant_params(shape.batch_size, False, "bool"),
                "sigma": constant_params(shape.batch_size, 1.0, trailing=(2,))}

    def transform(self, images, params):
        r = self.kernel_size // 2
        dtype = dtypes.name_of(images)
        offsets = ops.convert_to_tensor([float(i) for i in range(-r, r + 1)], dtype)
        # Sigma 0 is a kernel of one tap (no blur), as in Keras; the floor keeps 0 / 0 out.
        sigma = ops.maximum(ops.cast(params["sigma"], dtype), ops.cast(_MIN_SIGMA, dtype))
        weights = ops.exp(-0.5 * (offsets[None, None, :] / sigma[:, :, None]) ** 2)
        weights = weights / ops.sum(weights, axis=-1, keepdims=True)
        blurred = _blur_axis(_blur_axis(images, weights[:, 0], 1), weights[:, 1], 2)
        return ops.where(params["active"][:, None, None, None], blurred, images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, kernel_size=self.kernel_size, sigma=self.sigma)
        return config
