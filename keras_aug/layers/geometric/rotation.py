"""RandomRotation (any angle) and RandomRotate90 (exact quarter turns)."""

import math

import keras

from keras_aug.core import arguments
from keras_aug.core import matrices as mat
from keras_aug.core.backend import ops
from keras_aug.core.base import constant_params
from keras_aug.core.geometric import GeometricAugmentation
from keras_aug.core.geometric import exact_index_move


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomRotation(GeometricAugmentation):
    """Rotates each sample by its own random angle about the image centre.

    Same name and arguments as `keras.layers.RandomRotation`.

    Args:
      factor: fraction of a full turn (2*pi). A number f means the range
        (-|f|, |f|) (a negative f too, as in Keras); a pair (low, high) is used as given (low <= high). Positive
        values turn the content counter-clockwise. Example: 15 / 360 is +-15 deg.
      fill_mode: "reflect" (default), "constant", "nearest", "wrap", "mirror".
      interpolation: "bilinear" (default) or "nearest".
      fill_value: constant for fill_mode="constant".
      mask_fill_value: what masks read where the image is constant-filled.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"angle": [B] float32, radians};
    `identity_params`: angle 0.

    Targets: images (warp), masks (nearest), boxes (enclosing box of the
    turned corners, clipped), keypoints (turned); labels unchanged.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, mask_fill_value=255, **kwargs):
        super().__init__(interpolation=interpolation, fill_mode=fill_mode, fill_value=fill_value,
                         mask_fill_value=mask_fill_value, seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.lower, self.upper = arguments.parse_range(factor, "factor", negative_single_is_magnitude=True)

    def sample(self, shape, draws):
        turns = draws.uniform([shape.batch_size], self.lower, self.upper)
        return {"angle": turns * (2.0 * math.pi)}

    def identity_params(self, shape):
        return {"angle": constant_params(shape.batch_size, 0.0)}

    def matrix(self, params, height, width):
        return mat.about(mat.rotation(params["angle"]), mat.as_float(width) / 2, mat.as_float(height) / 2)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomRotate90(GeometricAugmentation):
    """Turns each sample by a random number of quarter turns, exactly.

    Standing alone this is an index move (transpose and reverse), with no
    resampling and no fill. Odd turns swap height and width, which cannot differ
    per sample inside one batch: they need square images (a clear error
    otherwise; use `turns=(0, 2)` for non-square images).

    Args:
      turns: the quarter-turn counts to choose from, uniformly per sample,
        counter-clockwise like `np.rot90`; any subset of (0, 1, 2, 3).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"turns": [B] int32}; `identity_params`: 0 turns
    (also when 0 is not among `turns`).

    Targets: images and masks turned; boxes and keypoints turned with them;
    labels unchanged.
    """

    resample_args = ()

    def __init__(self, turns=(0, 1, 2, 3), seed=None, data_format=None, **kwargs):
        super().__init__(interpolation=None, fill_mode=None, seed=seed, data_format=data_format, **kwargs)
        turns = tuple(turns) if isinstance(turns, (tuple, list)) else (turns,)
        if not turns or any(not isinstance(t, int) or isinstance(t, bool) or t not in (0, 1, 2, 3) for t in turns):
            raise ValueError(f"`turns` must be a non-empty subset of (0, 1, 2, 3); got {turns!r}.")
        self.turns = turns

    def _check_square(self, height, width):
        if any(t % 2 for t in self.turns) and isinstance(height, int) and isinstance(width, int) and height != width:
            raise ValueError(
                f"RandomRotate90 with odd `turns` {self.turns} needs square images; got {height}x{width}. "
                "Use turns=(0, 2), or crop/resize to a square first."
            )

    def sample(self, shape, draws):
        self._check_square(shape.height, shape.width)
        index = draws.integers([shape.batch_size], 0, len(self.turns))
        return {"turns": ops.take(ops.convert_to_tensor(self.turns, "int32"), index, axis=0)}

    def identity_params(self, shape):
        return {"turns": constant_params(shape.batch_size, 0, "int32")}

    def matrix(self, params, height, width):
        return mat.quarter_turns(params["turns"], height, width)

    def apply(self, batch, params):
        if any(t % 2 for t in self.turns):
            self._check_square(batch.height, batch.width)
            if not (isinstance(batch.height, int) and isinstance(batch.width, int)):
                # Sizes known only at run time exist only in TF graphs.
                from keras_aug.core import _tf_fast_path

                batch = batch.replace(images=_tf_fast_path.checked_square(batch.images))
        # Quarter turns map pixel centres onto pixel centres: nearest sampling
        # is an exact index move (one gather), cheaper than transposes + where.
        return exact_index_move(batch, self.matrix(params, batch.height, batch.width))

    def get_config(self):
        config = super().get_config()
        config["turns"] = list(self.turns)
        return config
