"""Automatic augmentation policies, with the op choice drawn per sample on every call.

`RandAugment`, `TrivialAugmentWide`, `AutoAugment` and `AugMix` share one op
table (`ops`) and one per-sample selection machinery (`selection`): the
geometric ops a sample draws fold into one warp, the colour ops run once per
slot for the batch with each sample keeping its own op's result.
"""

from keras_aug.layers.policies.aug_mix import AugMix
from keras_aug.layers.policies.auto_augment import AutoAugment
from keras_aug.layers.policies.rand_augment import RandAugment
from keras_aug.layers.policies.trivial_augment import TrivialAugmentWide

__all__ = ["AugMix", "AutoAugment", "RandAugment", "TrivialAugmentWide"]
