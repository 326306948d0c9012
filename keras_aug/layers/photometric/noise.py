"""Additive Gaussian noise with per-sample strength.

Changes pixel values only: labels, bounding boxes, masks and keypoints pass
through unchanged. See `keras_aug.layers.photometric.base` for the dtype,
clipping and channel conventions shared by every layer.
"""

import keras

from keras_aug.core import arguments
from keras_aug.core.backend import ops
from keras_aug.layers.photometric.base import PhotometricAugmentation
from keras_aug.layers.photometric.base import _is_number
from keras_aug.layers.photometric.base import parse_value_range
from keras_aug.layers.photometric.base import per_sample


def _parse_amount(value, name, minimum=None):
    """A number (fixed) or a (low, high) pair (drawn per sample) as a (low, high) tuple."""
    if _is_number(value):
        value = (value, value)
    return arguments.parse_range(value, name, minimum=minimum)


@keras.saving.register_keras_serializable(package="keras_aug")
class GaussianNoise(PhotometricAugmentation):
    """Adds Gaussian noise, independent per pixel and channel, with per-sample mean and sigma.

    Like torchvision's `transforms.v2.GaussianNoise(mean, sigma, clip)`:
    output = x + (mean + sigma * z) * (high - low), z standard normal per
    pixel and channel, then clipped to `value_range` when `clip`. mean and
    sigma are fractions of the value range (torchvision's images span
    [0, 1], so its numbers mean the same here). Beyond torchvision, each may
    be a (low, high) pair, drawn uniformly per sample.

    Not Keras's `keras.layers.GaussianNoise(stddev)`, a regularization layer
    with an absolute standard deviation.

    Args:
      mean: a number or a (low, high) pair: the noise mean as a fraction of
        the range. Default 0.
      sigma: a number >= 0 or a (low, high) pair of such: the noise standard
        deviation as a fraction of the range. Default 0.1.
      clip: whether to clip the output to `value_range` (default True).
        Integer images are always clipped to their dtype's range.
      value_range: (low, high), the range the input values span. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"mean": [B], "sigma": [B], "noise": [B, H, W, C]}
    float32, `noise` standard normal (C the colour channels, alpha excluded;
    `Draws.noise_normal`: |z| capped at 4.85, a tail of 1.2e-6 per value).
    Identity: all zeros.

    Targets: images only; labels, boxes, masks and keypoints pass through
    unchanged. Any channel count; a 4th channel is alpha and passes through.
    """

    def __init__(self, mean=0.0, sigma=0.1, clip=True, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        if not isinstance(clip, bool):
            raise ValueError(f"`clip` must be True or False; got {clip!r}.")
        self.mean, self.sigma, self.clip = mean, sigma, clip
        self.mean_range = _parse_amount(mean, "mean")
        self.sigma_range = _parse_amount(sigma, "sigma", minimum=0.0)
        self.noise_range = parse_value_range(value_range)
        if not clip:
            self.value_range = None  # the base clips to `value_range`; the noise scale keeps `noise_range`

    def _noise_shape(self, shape):
        return [shape.batch_size, shape.height, shape.width, self.color_channels(shape.channels)]

    def sample(self, shape, draws):
        n = [shape.batch_size]
        return {"mean": draws.uniform(n, *self.mean_range),
                "sigma": draws.uniform(n, *self.sigma_range),
                "noise": draws.noise_normal(self._noise_shape(shape))}

    def identity_params(self, shape):
        n = [shape.batch_size]
        return {"mean": ops.zeros(n, dtype="float32"), "sigma": ops.zeros(n, dtype="float32"),
                "noise": ops.zeros(self._noise_shape(shape), dtype="float32")}

    def transform(self, images, params):
        low, high = self.noise_range
        noise = per_sample(params["mean"], images) + per_sample(params["sigma"], images) * ops.cast(
            params["noise"], images.dtype)
        return images + noise * (high - low)

    def get_config(self):
        config = super().get_config()
        config.update(mean=self.mean, sigma=self.sigma, clip=self.clip, value_range=list(self.noise_range))
        return config
