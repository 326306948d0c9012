"""AutoAugment: per sample one learned sub-policy of two (op, probability, magnitude) steps."""

import keras

from keras_aug.core.backend import ops
from keras_aug.layers.policies import ops as op_table
from keras_aug.layers.policies import selection

# The learned policies as torchvision ships them: (op, probability, magnitude bin of 10 or None).
POLICIES = {
    "imagenet": (
        (("posterize", 0.4, 8), ("rotate", 0.6, 9)), (("solarize", 0.6, 5), ("autocontrast", 0.6, None)),
        (("equalize", 0.8, None), ("equalize", 0.6, None)), (("posterize", 0.6, 7), ("posterize", 0.6, 6)),
        (("equalize", 0.4, None), ("solarize", 0.2, 4)), (("equalize", 0.4, None), ("rotate", 0.8, 8)),
        (("solarize", 0.6, 3), ("equalize", 0.6, None)), (("posterize", 0.8, 5), ("equalize", 1.0, None)),
        (("rotate", 0.2, 3), ("solarize", 0.6, 8)), (("equalize", 0.6, None), ("posterize", 0.4, 6)),
        (("rotate", 0.8, 8), ("color", 0.4, 0)), (("rotate", 0.4, 9), ("equalize", 0.6, None)),
        (("equalize", 0.0, None), ("equalize", 0.8, None)), (("invert", 0.6, None), ("equalize", 1.0, None)),
        (("color", 0.6, 4), ("contrast", 1.0, 8)), (("rotate", 0.8, 8), ("color", 1.0, 2)),
        (("color", 0.8, 8), ("solarize", 0.8, 7)), (("sharpness", 0.4, 7), ("invert", 0.6, None)),
        (("shear_x", 0.6, 5), ("equalize", 1.0, None)), (("color", 0.4, 0), ("equalize", 0.6, None)),
        (("equalize", 0.4, None), ("solarize", 0.2, 4)), (("solarize", 0.6, 5), ("autocontrast", 0.6, None)),
        (("invert", 0.6, None), ("equalize", 1.0, None)), (("color", 0.6, 4), ("contrast", 1.0, 8)),
        (("equalize", 0.8, None), ("equalize", 0.6, None)),
    ),
    "cifar10": (
        (("invert", 0.1, None), ("contrast", 0.2, 6)), (("rotate", 0.7, 2), ("translate_x", 0.3, 9)),
        (("sharpness", 0.8, 1), ("sharpness", 0.9, 3)), (("shear_y", 0.5, 8), ("translate_y", 0.7, 9)),
        (("autocontrast", 0.5, None), ("equalize", 0.9, None)), (("shear_y", 0.2, 7), ("posterize", 0.3, 7)),
        (("color", 0.4, 3), ("brightness", 0.6, 7)), (("sharpness", 0.3, 9), ("brightness", 0.7, 9)),
        (("equalize", 0.6, None), ("equalize", 0.5, None)), (("contrast", 0.6, 7), ("sharpness", 0.6, 5)),
        (("color", 0.7, 7), ("translate_x", 0.5, 8)), (("equalize", 0.3, None), ("autocontrast", 0.4, None)),
        (("translate_y", 0.4, 3), ("sharpness", 0.2, 6)), (("brightness", 0.9, 6), ("color", 0.2, 8)),
        (("solarize", 0.5, 2), ("invert", 0.0, None)), (("equalize", 0.2, None), ("autocontrast", 0.6, None)),
        (("equalize", 0.2, None), ("equalize", 0.6, None)), (("color", 0.9, 9), ("equalize", 0.6, None)),
        (("autocontrast", 0.8, None), ("solarize", 0.2, 8)), (("brightness", 0.1, 3), ("color", 0.7, 0)),
        (("solarize", 0.4, 5), ("autocontrast", 0.9, None)), (("translate_y", 0.9, 9), ("translate_y", 0.7, 9)),
        (("autocontrast", 0.9, None), ("solarize", 0.8, 3)), (("equalize", 0.8, None), ("invert", 0.1, None)),
        (("translate_y", 0.7, 9), ("autocontrast", 0.9, None)),
    ),
    "svhn": (
        (("shear_x", 0.9, 4), ("invert", 0.2, None)), (("shear_y", 0.9, 8), ("invert", 0.7, None)),
        (("equalize", 0.6, None), ("solarize", 0.6, 6)), (("invert", 0.9, None), ("equalize", 0.6, None)),
        (("equalize", 0.6, None), ("rotate", 0.9, 3)), (("shear_x", 0.9, 4), ("autocontrast", 0.8, None)),
        (("shear_y", 0.9, 8), ("invert", 0.4, None)), (("shear_y", 0.9, 5), ("solarize", 0.2, 6)),
        (("invert", 0.9, None), ("autocontrast", 0.8, None)), (("equalize", 0.6, None), ("rotate", 0.9, 3)),
        (("shear_x", 0.9, 4), ("solarize", 0.3, 3)), (("shear_y", 0.8, 8), ("invert", 0.7, None)),
        (("equalize", 0.9, None), ("translate_y", 0.6, 6)), (("invert", 0.9, None), ("equalize", 0.6, None)),
        (("contrast", 0.3, 3), ("rotate", 0.8, 4)), (("invert", 0.8, None), ("translate_y", 0.0, 2)),
        (("shear_y", 0.7, 6), ("solarize", 0.4, 8)), (("invert", 0.6, None), ("rotate", 0.8, 4)),
        (("shear_y", 0.3, 7), ("translate_x", 0.9, 3)), (("shear_x", 0.1, 6), ("invert", 0.6, None)),
        (("solarize", 0.7, 2), ("translate_y", 0.6, 7)), (("shear_y", 0.8, 4), ("invert", 0.8, None)),
        (("shear_x", 0.7, 9), ("translate_y", 0.8, 3)), (("shear_y", 0.8, 5), ("autocontrast", 0.7, None)),
        (("shear_x", 0.7, 2), ("invert", 0.1, None)),
    ),
}
NUM_BINS = 10


@keras.saving.register_keras_serializable(package="keras_aug")
class AutoAugment(selection.PolicyAugmentation):
    """AutoAugment (Cubuk et al. 2018) with torchvision's learned policies, per sample.

    Each sample draws one of the policy's 25 sub-policies uniformly; each of
    its two steps (op, probability p, magnitude bin b of 10) is applied when
    a uniform draw falls below p, at level L = b / 9 of RandAugment's
    magnitude space (see `RandAugment`: e.g. rotate bin 9 is +-30 degrees,
    posterize bin 8 keeps 8 - round(4 * 8 / 9) = 4 bits, solarize bin 5 has
    threshold 255 * 4 / 9); signed ops get a random sign per step.

    Args:
      policy: "imagenet" (default), "cifar10" or "svhn".
      value_range: (low, high) the input values span. Default (0, 255).
      interpolation, fill_mode, fill_value, mask_fill_value: see `PolicyAugmentation`.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"op": [B, 2] int32 (0 where a step was not
    applied), "magnitude": [B, 2] float32}.

    Targets: images; boxes, masks and keypoints follow the geometric ops;
    labels unchanged.
    """

    def __init__(self, policy="imagenet", value_range=(0, 255), interpolation="bilinear", fill_mode="constant",
                 fill_value=0.0, seed=None, data_format=None, **kwargs):
        super().__init__(value_range=value_range, interpolation=interpolation, fill_mode=fill_mode,
                         fill_value=fill_value, seed=seed, data_format=data_format, **kwargs)
        if policy not in POLICIES:
            raise ValueError(f"`policy` must be one of {sorted(POLICIES)}; got {policy!r}.")
        self.policy = policy
        steps = [step for sub_policy in POLICIES[policy] for step in sub_policy]
        self.op_names = ("identity",) + tuple(sorted({name for name, _, _ in steps}))

    @property
    def num_slots(self):
        return 2

    def op_frequency(self, name):
        # The larger of the two steps' chances to apply `name` (sizes work only).
        table = POLICIES[self.policy]
        return max(sum(p for op, p, _ in (sub[step] for sub in table) if op == name) / len(table) for step in (0, 1))

    def _table(self, column):
        return [[step[column] for step in sub_policy] for sub_policy in POLICIES[self.policy]]

    def sample(self, shape, draws):
        n = shape.batch_size
        table = POLICIES[self.policy]
        chosen = draws.integers([n], 0, len(table))
        ids = ops.convert_to_tensor([[op_table.OP_INDEX[s[0]] for s in sub] for sub in table], "int32")
        probability = ops.convert_to_tensor(self._table(1), "float32")
        bins = ops.convert_to_tensor([[s[2] or 0 for s in sub] for sub in table], "float32")
        applied = draws.uniform([n, 2]) < ops.take(probability, chosen, axis=0)
        op = ops.where(applied, ops.take(ids, chosen, axis=0), 0)
        level = ops.take(bins, chosen, axis=0) / float(NUM_BINS - 1)
        sign = selection.random_sign(draws, [n, 2])
        magnitude = op_table.op_magnitudes(
            op_table.RANDAUGMENT_SPACE, self.op_names, op, level, shape.height, shape.width, sign)
        return {"op": op, "magnitude": magnitude}

    def get_config(self):
        config = super().get_config()
        config["policy"] = self.policy
        return config
