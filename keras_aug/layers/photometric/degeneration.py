"""Colour degeneration: a per-sample blend of each image with its grayscale version.

Changes pixel values only: labels, bounding boxes, masks and keypoints pass
through unchanged. See `keras_aug.layers.photometric.base` for the dtype,
clipping and channel conventions shared by every layer.
"""

import keras

from keras_aug.core.backend import ops
from keras_aug.layers.photometric.base import PhotometricAugmentation
from keras_aug.layers.photometric.base import parse_unit_range
from keras_aug.layers.photometric.base import per_sample
from keras_aug.layers.photometric.color import to_grayscale


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomColorDegeneration(PhotometricAugmentation):
    """Moves each image towards its grayscale version by a random per-sample amount.

    Same name, arguments and formula as `keras.layers.RandomColorDegeneration`:
    output = x + f * (gray(x) - x), gray the luma (weights 0.2989, 0.5870,
    0.1140, as Keras) repeated on the 3 channels, f drawn per sample from the
    `factor` range: 0 keeps the image, 1 makes it gray. This is PIL's
    `ImageEnhance.Color(image).enhance(1 - f)` (PIL rounds the gray to an
    integer and truncates the result, so uint8 outputs differ by a level or two).

    Args:
      factor: a number f in [0, 1] (amounts in [0, f]) or a (low, high) pair
        within [0, 1]; (a, a) always uses a.
      value_range: (low, high), the range the input values span; the output
        is clipped to it. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"factor": [B] float32}. Identity: factor 0.

    Targets: images only; labels, boxes, masks and keypoints pass through
    unchanged. Gray (1-channel) images are left unchanged; a 4th channel is
    alpha and passes through. An inverted pair is an error (Keras sorts it).
    """

    color_only = True

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.factor = factor
        self.factor_range = parse_unit_range(factor, "factor")

    def sample(self, shape, draws):
        return {"factor": draws.uniform([shape.batch_size], *self.factor_range)}

    def identity_params(self, shape):
        return {"factor": ops.zeros([shape.batch_size], dtype="float32")}

    def transform(self, images, params):
        return images + per_sample(params["factor"], images) * (to_grayscale(images) - images)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config
