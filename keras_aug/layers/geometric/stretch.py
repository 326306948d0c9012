"""RandomZoom, RandomTranslation and RandomShear (Keras 3 names and arguments)."""

import keras

from keras_aug.core import arguments
from keras_aug.core import matrices as mat
from keras_aug.core.backend import ops
from keras_aug.core.base import constant_params
from keras_aug.core.geometric import GeometricAugmentation


def _keras_factor(factor, name, maximum=1.0):
    """A zoom or shift factor read as Keras reads it: a single f (of either sign) is (-|f|, |f|)."""
    return arguments.parse_range(factor, name, minimum=-1.0, maximum=maximum, negative_single_is_magnitude=True)


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomZoom(GeometricAugmentation):
    """Zooms each sample in or out about its centre, by its own factors.

    Same name and arguments as `keras.layers.RandomZoom`. Independent height and
    width factors give aspect stretching.

    Args:
      height_factor: a number f means (-|f|, |f|); or a (low, high) pair. The
        vertical zoom is 1 + factor: positive values zoom OUT (content
        shrinks), negative zoom IN. Values must be >= -1.
      width_factor: same for the horizontal axis, drawn independently; None
        (default) uses the vertical zoom, preserving the aspect ratio.
      fill_mode, interpolation, fill_value, mask_fill_value, seed,
      bounding_box_format, data_format: as in `RandomRotation`.

    Parameters (`sample`): {"zoom_x": [B], "zoom_y": [B]} float32 scale
    factors (1 + factor); `identity_params`: both 1.

    Targets: images, masks, boxes, keypoints moved together; labels unchanged.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, mask_fill_value=255, **kwargs):
        super().__init__(interpolation=interpolation, fill_mode=fill_mode, fill_value=fill_value,
                         mask_fill_value=mask_fill_value, seed=seed, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_range = _keras_factor(height_factor, "height_factor", maximum=None)
        self.width_range = None if width_factor is None else _keras_factor(width_factor, "width_factor", maximum=None)

    def sample(self, shape, draws):
        n = [shape.batch_size]
        # The 1 + is folded into the range in Python: left as a tensor op, graph
        # optimizers (Grappler, XLA) reassociate it into the uniform's own
        # addition, and the factors would differ in the last bit between
        # execution modes and backends.
        zy = draws.uniform(n, 1.0 + self.height_range[0], 1.0 + self.height_range[1])
        zx = zy if self.width_range is None else draws.uniform(n, 1.0 + self.width_range[0],
                                                               1.0 + self.width_range[1])
        return {"zoom_x": zx, "zoom_y": zy}

    def identity_params(self, shape):
        one = constant_params(shape.batch_size, 1.0)
        return {"zoom_x": one, "zoom_y": one}

    def matrix(self, params, height, width):
        return mat.about(mat.scaling(params["zoom_x"], params["zoom_y"]), mat.as_float(width) / 2, mat.as_float(height) / 2)

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomTranslation(GeometricAugmentation):
    """Shifts each sample by its own random offset.

    Same name and arguments as `keras.layers.RandomTranslation`.

    Args:
      height_factor: fraction of the height, a number f meaning (-|f|, |f|) or a
        (low, high) pair, within [-1, 1]. Positive values move content down.
      width_factor: same for the width; positive values move content right.
      fill_mode, interpolation, fill_value, mask_fill_value, seed,
      bounding_box_format, data_format: as in `RandomRotation`.

    Parameters (`sample`): {"dy": [B], "dx": [B]} float32 fractions of the
    height and width; `identity_params`: both 0.

    Targets: images, masks, boxes, keypoints moved together; labels unchanged.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, mask_fill_value=255, **kwargs):
        super().__init__(interpolation=interpolation, fill_mode=fill_mode, fill_value=fill_value,
                         mask_fill_value=mask_fill_value, seed=seed, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_range = _keras_factor(height_factor, "height_factor")
        self.width_range = _keras_factor(width_factor, "width_factor")

    def sample(self, shape, draws):
        n = [shape.batch_size]
        return {"dy": draws.uniform(n, *self.height_range), "dx": draws.uniform(n, *self.width_range)}

    def identity_params(self, shape):
        zero = constant_params(shape.batch_size, 0.0)
        return {"dy": zero, "dx": zero}

    def matrix(self, params, height, width):
        return mat.translation(-params["dx"] * mat.as_float(width), -params["dy"] * mat.as_float(height))

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomShear(GeometricAugmentation):
    """Shears each sample along x and/or y by its own random amount.

    Same name, arguments and geometry as `keras.layers.RandomShear`: output
    pixel (x, y) reads input (x + sx * y, y + sy * x) about the top-left pixel
    centre, where sx, sy are drawn from the factor ranges and share one random
    sign per sample.

    Args:
      x_factor: a number f means (0, f); or a (low, high) pair, within [0, 1].
        Fraction of the image's height by which the bottom row moves sideways.
      y_factor: same for the vertical shear.
      interpolation, fill_mode, fill_value, mask_fill_value, seed,
      bounding_box_format, data_format: as in `RandomRotation`.

    Parameters (`sample`): {"shear_x": [B], "shear_y": [B]} float32;
    `identity_params`: both 0.

    Targets: images, masks, boxes, keypoints moved together; labels unchanged.
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, data_format=None, seed=None, mask_fill_value=255, **kwargs):
        super().__init__(interpolation=interpolation, fill_mode=fill_mode, fill_value=fill_value,
                         mask_fill_value=mask_fill_value, seed=seed, data_format=data_format, **kwargs)
        self.x_factor = x_factor
        self.y_factor = y_factor
        self.x_range = arguments.parse_range(x_factor, "x_factor", symmetric=False, minimum=0.0, maximum=1.0)
        self.y_range = arguments.parse_range(y_factor, "y_factor", symmetric=False, minimum=0.0, maximum=1.0)

    def sample(self, shape, draws):
        n = [shape.batch_size]
        sign = ops.where(draws.bernoulli(n, 0.5), -1.0, 1.0)
        return {"shear_x": sign * draws.uniform(n, *self.x_range), "shear_y": sign * draws.uniform(n, *self.y_range)}

    def identity_params(self, shape):
        zero = constant_params(shape.batch_size, 0.0)
        return {"shear_x": zero, "shear_y": zero}

    def matrix(self, params, height, width):
        return mat.about(mat.shear(params["shear_x"], params["shear_y"]), 0.5, 0.5)

    def get_config(self):
        config = super().get_config()
        config.update(x_factor=self.x_factor, y_factor=self.y_factor)
        return config
