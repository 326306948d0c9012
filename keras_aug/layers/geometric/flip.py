"""RandomFlip: mirror each sample horizontally and/or vertically."""

import keras

from keras_aug.core import arguments
from keras_aug.core import matrices as mat
from keras_aug.core.backend import ops
from keras_aug.core.base import constant_params
from keras_aug.core.geometric import GeometricAugmentation
from keras_aug.core.geometric import exact_index_move

MODES = ("horizontal", "vertical", "horizontal_and_vertical")


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomFlip(GeometricAugmentation):
    """Flips each sample with probability 1/2 per enabled axis.

    Same name and arguments as `keras.layers.RandomFlip`. With
    "horizontal_and_vertical" each axis is decided independently per sample
    (Keras couples them), so all four flip states occur.

    Standing alone, a flip is an exact index move (no resampling); inside a
    `Pipeline` it folds into the run's single matrix.

    Args:
      mode: "horizontal" (left-right), "vertical" (up-down) or
        "horizontal_and_vertical".
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"horizontal": [B] bool, "vertical": [B] bool};
    `identity_params`: both False.

    Targets: images and masks mirrored; boxes and keypoints mirrored with them;
    labels unchanged.
    """

    resample_args = ()

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(interpolation=None, fill_mode=None, seed=seed, data_format=data_format, **kwargs)
        self.mode = arguments.parse_choice(mode, "mode", MODES)

    def sample(self, shape, draws):
        n = [shape.batch_size]
        horizontal = draws.bernoulli(n, 0.5)
        vertical = draws.bernoulli(n, 0.5)
        if self.mode == "vertical":
            horizontal = ops.zeros_like(horizontal)
        if self.mode == "horizontal":
            vertical = ops.zeros_like(vertical)
        return {"horizontal": horizontal, "vertical": vertical}

    def identity_params(self, shape):
        no = constant_params(shape.batch_size, False, "bool")
        return {"horizontal": no, "vertical": no}

    def matrix(self, params, height, width):
        return mat.multiply(mat.horizontal_flip(params["horizontal"], width),
                            mat.vertical_flip(params["vertical"], height))

    def apply(self, batch, params):
        # Nearest sampling of a mirror matrix reads pixel centres exactly (an
        # index move, no interpolation); one gather is cheaper than where+reverse.
        m = self.matrix(params, batch.height, batch.width)
        return exact_index_move(batch, m)

    def get_config(self):
        config = super().get_config()
        config["mode"] = self.mode
        return config
