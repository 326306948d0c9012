"""AugMix: a per-sample convex mix of several augmentation chains with the original."""

import numbers

import keras

from keras_aug.core import dtypes
from keras_aug.core.backend import ops
from keras_aug.core.fusion import materialized
from keras_aug.core.structures import Batch
from keras_aug.layers.photometric.base import parse_unit_range
from keras_aug.layers.photometric.base import work_dtype
from keras_aug.layers.policies import ops as op_table
from keras_aug.layers.policies import selection
from keras_aug.layers.policies import uint8_chains

# Keras's AugMix lists (the AugMix paper's ops; `all_ops` adds the four enhancers).
AUG_MIX_OPS = ("shear_x", "shear_y", "translate_x", "translate_y", "rotate", "posterize", "solarize",
               "autocontrast", "equalize")
AUG_MIX_ALL_OPS = AUG_MIX_OPS + ("brightness", "color", "contrast", "sharpness")
# The AugMix paper's strongest settings: translate up to a third of the image.
AUG_MIX_SPACE = op_table.Space(shear=0.3, translate=1.0 / 3.0, translate_relative=True, rotate=30.0,
                               enhance=0.9, posterize_depth=4)


def _positive_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}; got {value!r}.")
    return value


def mix_with_original(layer, images, mixed, mix):
    """m * images + (1 - m) * mixed ([B] `mix` = m), clipped to the layer's `value_range`, in `images`' dtype."""
    dtype = work_dtype(dtypes.name_of(images))
    m = ops.cast(mix, dtype)[:, None, None, None]
    out = ops.clip(m * ops.cast(images, dtype) + (1.0 - m) * mixed, layer.value_range[0], layer.value_range[1])
    return dtypes.cast_like(out, dtypes.name_of(images))


@keras.saving.register_keras_serializable(package="keras_aug")
class AugMix(selection.PolicyAugmentation):
    """AugMix (Hendrycks et al. 2020), every choice drawn per sample on every call.

    Per sample: `num_chains` chains, each of a depth drawn uniformly from
    {1, ..., chain_depth}, each step an op drawn uniformly from the op list
    at a level drawn uniformly from the `factor` range (signed ops get a
    random sign); chain weights w ~ Dirichlet(alpha, ..., alpha) and a mixing
    weight m ~ Beta(alpha, alpha). Output:
    m * image + (1 - m) * sum_k w_k * chain_k(image), clipped to `value_range`.
    The chains run as one batch of `num_chains` x B samples: one colour
    pass (see `keras_aug.layers.policies.level_tables` for uint8 images) and
    one warp for all of them.

    Magnitude semantics at level L (as RandAugment's, but translate up to a
    third of the image as in the AugMix paper): rotate +-30 L degrees,
    shear +-0.3 L, translate +-L/3 of the width/height, enhancers
    1 +- 0.9 L, posterize 8 - round(4 L) bits, solarize threshold 255 (1 - L).

    Args:
      value_range: (low, high) the input values span. Default (0, 255).
      num_chains: number of chains mixed, an int >= 1. Default 3.
      chain_depth: the largest number of ops in a chain, an int >= 1. Default 3.
      factor: levels are drawn per step from (0, f) for a number f in [0, 1]
        (Keras's meaning), or from a (low, high) pair within [0, 1]. Default 0.3.
      alpha: concentration of the Dirichlet and Beta draws, > 0. Default 1.
      all_ops: True (default) adds brightness, color, contrast and sharpness
        to the AugMix paper's nine ops (shear x/y, translate x/y, rotate,
        posterize, solarize, autocontrast, equalize).
      interpolation, fill_mode, fill_value: see `PolicyAugmentation`.
      seed, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"op": [B, chains, depth] int32 (0 past each
    chain's depth), "magnitude": [B, chains, depth] float32, "weights":
    [B, chains], "mix": [B]}.

    Targets: images only; labels pass unchanged. Bounding boxes, masks and
    keypoints are refused with a ValueError: the output blends copies moved
    by different warps, so no single geometry describes it. (Keras returns
    the boxes unmoved and blends the masks.)
    """

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, fill_mode="constant", fill_value=0.0,
                 **kwargs):
        super().__init__(value_range=value_range, interpolation=interpolation, fill_mode=fill_mode,
                         fill_value=fill_value, seed=seed, data_format=data_format, **kwargs)
        self.num_chains = _positive_int(num_chains, "num_chains", 1)
        self.chain_depth = _positive_int(chain_depth, "chain_depth", 1)
        self.factor = factor
        self.level_range = parse_unit_range(factor, "factor")
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or alpha <= 0:
            raise ValueError(f"`alpha` must be a number > 0; got {alpha!r}.")
        self.alpha = float(alpha)
        if not isinstance(all_ops, bool):
            raise ValueError(f"`all_ops` must be True or False; got {all_ops!r}.")
        self.all_ops = all_ops
        self.op_names = ("identity",) + (AUG_MIX_ALL_OPS if all_ops else AUG_MIX_OPS)

    @property
    def num_slots(self):
        return self.chain_depth

    def op_frequency(self, name):
        # Each step draws one of the ops except the identity; a chain fills (depth + 1) / 2 of its slots on average.
        if name not in self.op_names[1:]:
            return 0.0
        return (self.chain_depth + 1) / (2.0 * self.chain_depth) / (len(self.op_names) - 1)

    def identity_params(self, shape):
        n = shape.batch_size
        zeros = ops.zeros([n, self.num_chains, self.chain_depth], dtype="int32")
        return {"op": zeros, "magnitude": ops.cast(zeros, "float32"),
                "weights": ops.ones([n, self.num_chains]) / float(self.num_chains), "mix": ops.ones([n])}

    def sample(self, shape, draws):
        n = shape.batch_size
        steps = [n, self.num_chains, self.chain_depth]
        position = draws.integers(steps, 1, len(self.op_names))
        depth = draws.integers([n, self.num_chains, 1], 1, self.chain_depth + 1)
        within = ops.arange(self.chain_depth, dtype="int32")[None, None, :] < depth
        op = ops.where(within, ops.take(selection.op_ids(self.op_names), position, axis=0), 0)
        level = draws.uniform(steps, *self.level_range)
        sign = selection.random_sign(draws, steps)
        magnitude = op_table.op_magnitudes(AUG_MIX_SPACE, self.op_names, op, level, shape.height, shape.width, sign)
        gammas = draws.gamma([n, self.num_chains], self.alpha)
        weights = gammas / ops.maximum(ops.sum(gammas, axis=1, keepdims=True), 1e-30)
        return {"op": op, "magnitude": magnitude, "weights": weights, "mix": draws.beta([n], self.alpha, self.alpha)}

    def apply(self, batch, params):
        if batch.boxes is not None or batch.masks is not None or batch.keypoints is not None:
            raise ValueError(
                "AugMix takes images (and labels) only: its output blends copies moved by different warps, so "
                "bounding boxes, segmentation masks and keypoints cannot follow it. Apply it to the images alone."
            )
        if dtypes.name_of(batch.images) == "uint8":
            return batch.replace(images=uint8_chains.aug_mix(
                self, batch.images, params, lambda mixed: mix_with_original(self, batch.images, mixed, params["mix"])))
        dtype = work_dtype(dtypes.name_of(batch.images))
        weights = ops.cast(params["weights"], dtype)
        mixed = 0.0
        for k, chain in enumerate(self._chains(batch.images, params)):
            mixed = mixed + weights[:, k, None, None, None] * ops.cast(chain, dtype)
        return batch.replace(images=mix_with_original(self, batch.images, mixed, params["mix"]))

    def _chains(self, images, params):
        """The `num_chains` augmented copies of float `images` (uint8 ones: `uint8_chains`).

        Chain by chain: a float batch three times as large costs more than
        three (its buffers no longer fit the allocator's reuse).
        """
        # Each chain stored before the mix reads it: XLA would otherwise fuse the chains' warps into the
        # mix and evaluate each warp's coordinates and gathers once per channel, not once per pixel.
        return [materialized(selection.apply_slots(self, Batch(images=images), params["op"][:, k],
                                                   params["magnitude"][:, k], float_images=True).images)
                for k in range(self.num_chains)]

    def get_config(self):
        config = super().get_config()
        config.update(num_chains=self.num_chains, chain_depth=self.chain_depth, factor=self.factor,
                      alpha=self.alpha, all_ops=self.all_ops)
        return config
