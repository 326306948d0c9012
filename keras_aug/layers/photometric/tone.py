"""Inversion, solarization and posterization.

All layers here change pixel values only: labels, bounding boxes, masks and
keypoints pass through unchanged. See `keras_aug.layers.photometric.base` for
the dtype, clipping and channel conventions shared by every layer.
"""

import keras

from keras_aug.core import arguments
from keras_aug.core.backend import ops
from keras_aug.core.base import constant_params
from keras_aug.layers.photometric.base import PhotometricAugmentation
from keras_aug.layers.photometric.base import parse_unit_range
from keras_aug.layers.photometric.base import per_sample


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomInvert(PhotometricAugmentation):
    """Inverts each sample (x -> low + high - x) at random.

    Same name, arguments and sampling as `keras.layers.RandomInvert`: per
    sample a probability p is drawn from the `factor` range and the image is
    inverted when a uniform draw falls below p (so the overall rate is the
    middle of the range: the default factor 1.0, i.e. (0, 1), inverts half).

    Difference from Keras: inversion is low + high - x (Keras computes
    high - x, which differs when `value_range` does not start at 0).

    Args:
      factor: a number f in [0, 1] (p in [0, f]) or a (low, high) pair within
        [0, 1]; (1, 1) always inverts.
      value_range: (low, high), the range the input values span. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"invert": [B] bool}; `identity_params`: False.

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.factor = factor
        self.factor_range = parse_unit_range(factor, "factor")

    def sample(self, shape, draws):
        n = [shape.batch_size]
        p = draws.uniform(n, *self.factor_range)
        return {"invert": draws.uniform(n) < p}

    def identity_params(self, shape):
        return {"invert": constant_params(shape.batch_size, False, "bool")}

    def transform(self, images, params):
        low, high = self.value_range
        return ops.where(params["invert"][:, None, None, None], low + high - images, images)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class Solarization(PhotometricAugmentation):
    """Adds a random offset, then inverts the pixels at or above a random threshold.

    Same name and arguments as `keras.layers.Solarization`: per sample an
    addition a and a threshold t are drawn (fractions of the range), then
    y = clip(x + a * (high - low), low, high) and
    output = y where y < low + t * (high - low), else low + high - y.
    With the defaults (0, 0) every pixel is inverted, as in Keras.

    Difference from Keras: both ends of each range are fractions of the value
    range (Keras scales only the upper end by 255, so a factor (0.5, 0.5)
    draws from [0.5, 127.5] there).

    Args:
      addition_factor: a number f in [0, 1] (a in [0, f]) or a (low, high)
        pair within [0, 1]. Default 0.
      threshold_factor: same for t. Default 0.
      value_range: (low, high), the range the input values span. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"addition": [B], "threshold": [B]} float32
    fractions; `identity_params`: addition 0 and threshold 2 (above 1, so
    no value reaches it).

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.addition_factor = addition_factor
        self.threshold_factor = threshold_factor
        self.addition_range = parse_unit_range(addition_factor, "addition_factor")
        self.threshold_range = parse_unit_range(threshold_factor, "threshold_factor")

    def sample(self, shape, draws):
        n = [shape.batch_size]
        return {"addition": draws.uniform(n, *self.addition_range),
                "threshold": draws.uniform(n, *self.threshold_range)}

    def identity_params(self, shape):
        return {"addition": constant_params(shape.batch_size, 0.0),
                "threshold": constant_params(shape.batch_size, 2.0)}

    def transform(self, images, params):
        low, high = self.value_range
        span = high - low
        y = ops.clip(images + per_sample(params["addition"], images) * span, low, high)
        threshold = low + per_sample(params["threshold"], images) * span
        return ops.where(y < threshold, y, low + high - y)

    def get_config(self):
        config = super().get_config()
        config.update(addition_factor=self.addition_factor, threshold_factor=self.threshold_factor)
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomPosterization(PhotometricAugmentation):
    """Keeps a random per-sample number of bits of each 8-bit channel value.

    Same name and arguments as `keras.layers.RandomPosterization`: values are
    mapped from `value_range` to [0, 255], truncated to integers, their low
    (8 - bits) bits cleared, and mapped back.

    Difference from Keras: a single int b keeps exactly b bits, as Keras
    documents (its code draws from [1, b - 1]); a pair (low, high) draws an
    int from [low, high] inclusive (Keras excludes high).

    Args:
      factor: an int in [1, 8] or a (low, high) pair of such ints.
      value_range: (low, high), the range the input values span. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"bits": [B] int32}; `identity_params`: bits = 8
    (the identity on integer-valued images, e.g. uint8; float values are
    still truncated to integers).

    Targets: images only; labels, boxes, masks and keypoints pass through unchanged.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.factor = factor
        self.bits_range = arguments.parse_int_range(factor, "factor", 1, 8, what="an int number of bits")

    def sample(self, shape, draws):
        return {"bits": draws.integers([shape.batch_size], self.bits_range[0], self.bits_range[1] + 1)}

    def identity_params(self, shape):
        return {"bits": constant_params(shape.batch_size, 8, "int32")}

    def transform(self, images, params):
        low, high = self.value_range
        scaled = (low, high) != (0.0, 255.0)
        x = (images - low) * (255.0 / (high - low)) if scaled else images
        # 2 ** (8 - bits) by an integer shift: exact on every backend (a float
        # power may be off by an ulp, which the floor below would turn into a level).
        bits = ops.cast(params["bits"], "int32")
        step = per_sample(ops.left_shift(ops.ones_like(bits), 8 - bits), images)
        x = ops.floor(ops.floor(ops.clip(x, 0.0, 255.0)) / step) * step
        return x * ((high - low) / 255.0) + low if scaled else x

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config
