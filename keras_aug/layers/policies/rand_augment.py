"""RandAugment: `num_ops` ops per sample, uniformly from a fixed list, at one strength."""

import keras

from keras_aug.layers.photometric.base import _is_number
from keras_aug.layers.photometric.base import parse_unit_range
from keras_aug.layers.policies import ops as op_table
from keras_aug.layers.policies import selection

# torchvision's RandAugment list (the paper's 14 ops).
RAND_AUGMENT_OPS = (
    "identity", "shear_x", "shear_y", "translate_x", "translate_y", "rotate", "brightness", "color",
    "contrast", "sharpness", "posterize", "solarize", "autocontrast", "equalize",
)


def parse_level(factor, name="factor"):
    """A fixed level f in [0, 1] -> (f, f); a pair (low, high) within [0, 1] -> itself."""
    return parse_unit_range(factor, name, single="fixed" if _is_number(factor) else "zero_to")


@keras.saving.register_keras_serializable(package="keras_aug")
class RandAugment(selection.PolicyAugmentation):
    """RandAugment (Cubuk et al. 2019) with ops drawn per sample on every call.

    Each sample gets `num_ops` ops, each drawn uniformly (with repetition)
    from torchvision's 14: identity, shear_x, shear_y, translate_x,
    translate_y, rotate, brightness, color, contrast, sharpness, posterize,
    solarize, autocontrast, equalize. Signed ops get a random sign per slot.
    The geometric ops of all slots cost one warp; see
    `keras_aug.layers.policies.selection` for the order (colour, then warp).

    Magnitude semantics. `factor` is the level L in [0, 1], the fraction of
    each op's strongest setting (torchvision's `magnitude=M` with
    `num_magnitude_bins=31` is L = M / 30; its default M = 9 is L = 0.3).
    At level L: rotate +-30 L degrees; shear_x/shear_y factor +-0.3 L;
    translate_x/translate_y +-(150/331) L of the width/height, whole pixels;
    brightness/color/contrast/sharpness enhancement factor 1 +- 0.9 L;
    posterize keeps 8 - round(4 L) bits; solarize inverts values >= 255 (1 - L)
    on the 0-255 scale; autocontrast, equalize and identity have no magnitude.

    Args:
      value_range: (low, high) the input values span. Default (0, 255).
      num_ops: ops per sample, an int >= 0. Default 2.
      factor: the level: a number L in [0, 1] (fixed, as in the paper), or a
        pair (low, high) within [0, 1], drawn uniformly per sample and slot.
        Default 0.5. Difference from Keras: Keras's single number f draws
        from (0, f) (pass the pair (0, f) for that).
      interpolation: "bilinear" (default) or "nearest", for the geometric ops.
      fill_mode, fill_value, mask_fill_value: how the warp fills (default
        constant 0, torchvision's); see `PolicyAugmentation`.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"op": [B, num_ops] int32 indices into
    `keras_aug.layers.policies.ops.OPS`, "magnitude": [B, num_ops] float32,
    in each op's units}. Identity: op 0.

    Targets: images; boxes, masks and keypoints follow the geometric ops;
    labels unchanged.
    """

    op_names = RAND_AUGMENT_OPS

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, fill_mode="constant", fill_value=0.0, **kwargs):
        super().__init__(value_range=value_range, interpolation=interpolation, fill_mode=fill_mode,
                         fill_value=fill_value, seed=seed, data_format=data_format, **kwargs)
        if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"`num_ops` must be an int >= 0; got {num_ops!r}.")
        self.num_ops = num_ops
        self.factor = factor
        self.level_range = parse_level(factor)

    @property
    def num_slots(self):
        return self.num_ops

    def sample(self, shape, draws):
        slots = [shape.batch_size, self.num_ops]
        position = draws.integers(slots, 0, len(self.op_names))
        op = selection.ops.take(selection.op_ids(self.op_names), position, axis=0)
        level = draws.uniform(slots, *self.level_range)
        sign = selection.random_sign(draws, slots)
        magnitude = op_table.op_magnitudes(
            op_table.RANDAUGMENT_SPACE, self.op_names, op, level, shape.height, shape.width, sign)
        return {"op": op, "magnitude": magnitude}

    def apply(self, batch, params):
        if self.num_ops == 0:
            return batch
        return super().apply(batch, params)

    def get_config(self):
        config = super().get_config()
        config.update(num_ops=self.num_ops, factor=self.factor)
        return config
