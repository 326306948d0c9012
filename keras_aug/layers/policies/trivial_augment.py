"""TrivialAugmentWide: one op per sample at a strength drawn per sample."""

import keras

from keras_aug.layers.policies import ops as op_table
from keras_aug.layers.policies import selection
from keras_aug.layers.policies.rand_augment import RAND_AUGMENT_OPS


@keras.saving.register_keras_serializable(package="keras_aug")
class TrivialAugmentWide(selection.PolicyAugmentation):
    """TrivialAugment (Müller & Hutter 2021), torchvision's "wide" space, per sample.

    Each sample gets ONE op drawn uniformly from RandAugment's 14 and a
    magnitude bin b drawn uniformly from {0, ..., num_magnitude_bins - 1}
    (level L = b / (num_magnitude_bins - 1)); signed ops get a random sign.

    Magnitude semantics (the wide space, at level L): rotate +-135 L degrees;
    shear_x/shear_y factor +-0.99 L; translate_x/translate_y +-32 L pixels
    (whole pixels); brightness/color/contrast/sharpness factor 1 +- 0.99 L;
    posterize keeps 8 - round(6 L) bits; solarize inverts values >= 255 (1 - L).

    Args:
      value_range: (low, high) the input values span. Default (0, 255).
      num_magnitude_bins: number of magnitude levels, an int >= 1 (31, torchvision's default).
      interpolation, fill_mode, fill_value, mask_fill_value: see `PolicyAugmentation`.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"op": [B, 1] int32, "magnitude": [B, 1] float32}.

    Targets: images; boxes, masks and keypoints follow the geometric ops;
    labels unchanged.
    """

    op_names = RAND_AUGMENT_OPS

    def __init__(self, value_range=(0, 255), num_magnitude_bins=31, interpolation="bilinear", fill_mode="constant",
                 fill_value=0.0, seed=None, data_format=None, **kwargs):
        super().__init__(value_range=value_range, interpolation=interpolation, fill_mode=fill_mode,
                         fill_value=fill_value, seed=seed, data_format=data_format, **kwargs)
        if isinstance(num_magnitude_bins, bool) or not isinstance(num_magnitude_bins, int) or num_magnitude_bins < 1:
            raise ValueError(f"`num_magnitude_bins` must be an int >= 1; got {num_magnitude_bins!r}.")
        self.num_magnitude_bins = num_magnitude_bins

    @property
    def num_slots(self):
        return 1

    def sample(self, shape, draws):
        slots = [shape.batch_size, 1]
        position = draws.integers(slots, 0, len(self.op_names))
        op = selection.ops.take(selection.op_ids(self.op_names), position, axis=0)
        bins = draws.integers(slots, 0, self.num_magnitude_bins)
        level = selection.ops.cast(bins, "float32") / float(max(self.num_magnitude_bins - 1, 1))
        sign = selection.random_sign(draws, slots)
        magnitude = op_table.op_magnitudes(
            op_table.TRIVIAL_WIDE_SPACE, self.op_names, op, level, shape.height, shape.width, sign)
        return {"op": op, "magnitude": magnitude}

    def get_config(self):
        config = super().get_config()
        config["num_magnitude_bins"] = self.num_magnitude_bins
        return config
