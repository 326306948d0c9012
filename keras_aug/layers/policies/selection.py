"""Per-sample op selection: the machinery every automatic policy shares.

A policy's `sample` draws, per sample, S op slots: `op` ([B, S] int32
indices into `ops.OPS`, 0 = identity) and `magnitude` ([B, S] float32, in the
op's units, see `keras_aug.layers.policies.ops`). The choice is drawn on
every call from the call's seed, so it differs from sample to sample and
from call to call, eagerly, in tf.data, under `jit_compile=True` and under
`jax.jit` alike (nothing is chosen at trace time).

`apply_slots` then runs all slots in one pass:
  * colour: on uint8 images, slot by slot on per-sample lookup tables
    (`level_tables`: pointwise and histogram ops cost next to nothing per
    slot, statistics and blends are computed only for the samples that drew
    them, and the image is read through its tables once); on other dtypes,
    one pass per slot of per-sample coefficients (`ops.colour_slot`: a
    sample's own op has its coefficients, every other op its identity ones;
    samples that drew a geometric op or the identity keep their pixels),
    sharpness, equalize and the statistics of contrast and autocontrast
    only on the rows that drew them (one row at a time), each slot stored
    before the next reads it;
  * geometry: each slot's matrix is the chosen geometric op's, or the
    identity; the slots' matrices are multiplied into ONE matrix per sample
    and the batch is warped once (boxes, masks and keypoints follow it);
    images alone: only the samples that drew a geometric op are warped,
    written back over their rows (`rows.warp_rows_in_place`); the others
    keep their pixels.
The colour slots run before the warp: pointwise colour ops commute with a
warp, and histogram ops (autocontrast, equalize, contrast's mean) then see
the whole image rather than the fill of an earlier rotate or shear.
"""

from keras_aug.core import arguments
from keras_aug.core import dtypes
from keras_aug.core import warp as warp_lib
from keras_aug.core.backend import ops
from keras_aug.core.base import Augmentation
from keras_aug.core.fusion import materialized
from keras_aug.core.geometric import DEFAULT_MASK_FILL_VALUE
from keras_aug.core.geometric import transform_batch
from keras_aug.layers.photometric.base import parse_value_range
from keras_aug.layers.photometric.base import work_dtype
from keras_aug.layers.policies import level_tables
from keras_aug.layers.policies import ops as op_table
from keras_aug.layers.policies import rows as row_lib


# Float slots run sharpness, equalize and the statistics of contrast and autocontrast on the rows
# that drew them, this many at a time (`rows.update_rows`): one, so no padding row is computed
# (an equalized 224 x 224 x 3 row costs about 2 CPU ms; a loop turn next to nothing), and batches
# of any static size, also under `rows.MIN_COMPACT_BATCH`, compute only the rows that drew them.
FLOAT_ROWS_AT_A_TIME = 1


def categorical(draws, shape, count, probabilities=None):
    """int32 draws in [0, count) of `shape`; uniform, or by `probabilities` (python floats summing to 1)."""
    if probabilities is None:
        return draws.integers(shape, 0, count)
    u = draws.uniform(shape)
    edges, total = [], 0.0
    for p in probabilities[:-1]:
        total += p
        edges.append(total)
    index = ops.zeros(shape, dtype="int32")
    for edge in edges:
        index = index + ops.cast(u >= edge, "int32")
    return index


def random_sign(draws, shape):
    """+1.0 or -1.0 with probability 1/2 each."""
    return ops.where(draws.bernoulli(shape, 0.5), 1.0, -1.0)


def parse_probabilities(probabilities, count, name="probabilities"):
    """None (uniform) or `count` non-negative numbers, normalized to sum to 1."""
    if probabilities is None:
        return None
    values = list(probabilities) if isinstance(probabilities, (tuple, list)) else None
    if values is None or len(values) != count or any(
            isinstance(p, bool) or not isinstance(p, (int, float)) or p < 0 for p in values) or sum(values) <= 0:
        raise ValueError(
            f"`{name}` must be None or {count} non-negative numbers (one per layer) with a positive sum; "
            f"got {probabilities!r}."
        )
    total = float(sum(values))
    return [float(p) / total for p in values]


def _to_levels(images, value_range):
    """Float images on the 0-255 scale of `value_range`."""
    x = ops.cast(images, work_dtype(dtypes.name_of(images)))
    low, high = value_range
    return x if (low, high) == (0.0, 255.0) else (x - low) * (255.0 / (high - low))


def _from_levels(v, value_range):
    low, high = value_range
    return v if (low, high) == (0.0, 255.0) else v * ((high - low) / 255.0) + low


def _uses_level_tables(images, value_range):
    """uint8 images on the 0-255 scale: the colour slots run as lookup tables (`level_tables`)."""
    return dtypes.name_of(images) == "uint8" and tuple(value_range) == op_table.FULL_SCALE


def colour_values(images, op, magnitude, names, value_range, frequency):
    """Runs the colour op of every slot ([B, S] `op`) per sample; float values in `value_range`, clipped.

    A 4th (alpha) channel passes unchanged; a single channel is gray (color
    is then the identity). uint8 images on (0, 255) run as lookup tables
    (`level_tables`, `frequency` sizes its gathered rows); others op by op
    on float values (`op_table.colour_slot`).
    """
    channels = images.shape[-1]
    if channels not in (1, 3, 4):
        raise ValueError(
            "The colour ops of the automatic policies read channels as colours: images must have 1, 3 or 4 "
            f"(RGBA) channels, known statically; got {channels}."
        )
    alpha = None
    if _uses_level_tables(images, value_range):
        colours = images[..., :3] if channels == 4 else images
        y = level_tables.colour_values(colours, op, magnitude, names, frequency)
        if channels == 4:
            alpha = ops.cast(images[..., 3:], "float32")
    else:
        v = _to_levels(images, value_range)
        if channels == 4:
            v, alpha = v[..., :3], _from_levels(v[..., 3:], value_range)
        for s in range(op.shape[1]):
            # Each slot stored before the next reads it (several times: gray, statistics, 9 smoothing taps):
            # XLA would otherwise fuse a slot into every read of the next and recompute it there.
            # From the second slot on, the values are clipped to 0-255 (`in_range`).
            v = materialized(op_table.colour_slot(v, op[:, s], magnitude[:, s], names, FLOAT_ROWS_AT_A_TIME,
                                                  in_range=s > 0))
        y = _from_levels(v, value_range)
        if tuple(value_range) != op_table.FULL_SCALE or op.shape[1] == 0:
            # On 0-255 every slot clipped already; a rescaled range may round past its ends.
            y = ops.clip(y, value_range[0], value_range[1])
    return y if alpha is None else ops.concatenate([y, alpha], axis=-1)


def apply_slots(layer, batch, op, magnitude, float_images=False):
    """Applies [B, S] op slots to every target of `batch`: colour per slot, then one warp.

    `layer` is the policy: its `op_names`, `op_frequency`, `value_range`,
    `interpolation`, `fill_mode`, `fill_value` and `mask_fill_value` are used.
    With `float_images` the images come back as float values (not cast back
    to their dtype, so not rounded).
    """
    names = layer.op_names
    dtype = dtypes.name_of(batch.images)
    if any(n in op_table.COLOUR_OPS for n in names):
        values = colour_values(batch.images, op, magnitude, names, layer.value_range, layer.op_frequency)
        batch = batch.replace(images=values if float_images else dtypes.cast_like(values, dtype))
    elif float_images:
        batch = batch.replace(images=ops.cast(batch.images, work_dtype(dtype)))
    if any(n in op_table.GEOMETRIC_OPS for n in names):
        matrix = op_table.slots_matrix(op, magnitude, batch.height, batch.width)
        if batch.boxes is None and batch.masks is None and batch.keypoints is None:
            # Images alone: warp only the samples that drew a geometric op, in place (`rows.warp_rows_in_place`).
            moved = ops.any(op_table.drew(op, op_table.GEOMETRIC_OPS), axis=1)
            images = row_lib.warp_rows_in_place(batch.images, matrix, moved, moving_probability(layer),
                                                layer.interpolation, layer.fill_mode, layer.fill_value)
            return batch.replace(images=images)
        batch = transform_batch(batch, matrix, (batch.height, batch.width), interpolation=layer.interpolation,
                                fill_mode=layer.fill_mode, fill_value=layer.fill_value,
                                mask_fill_value=layer.mask_fill_value)
    return batch


def moving_probability(layer):
    """The chance that a sample draws a geometric op in at least one of the policy's slots (sizes work only)."""
    per_slot = sum(layer.op_frequency(n) for n in layer.op_names if n in op_table.GEOMETRIC_OPS)
    return 1.0 - (1.0 - min(per_slot, 1.0)) ** layer.num_slots


class PolicyAugmentation(Augmentation):
    """Base of the automatic policies: ops drawn per sample, one pass per call.

    Subclasses set `op_names` (the ops they can draw) and write `sample`
    returning {"op": [B, S] int32, "magnitude": [B, S] float32}; `apply`
    runs the slots (`apply_slots`). Not augmenting, a policy is the identity.

    Args (shared):
      value_range: (low, high), the range the input values span; (0, 255)
        or (0, 1) typically. Colour ops compute on its 0-255 scale.
      interpolation: "bilinear" or "nearest", for the warp of the geometric ops.
      fill_mode: how the warp fills pixels read from outside the image:
        "constant" (default, torchvision's), "reflect", "nearest", "wrap", "mirror".
      fill_value: the constant for fill_mode="constant", in the images' units.
      mask_fill_value: what masks read where the image is constant-filled.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.
    """

    op_names = ()

    def __init__(self, value_range=(0, 255), interpolation="bilinear", fill_mode="constant", fill_value=0.0,
                 mask_fill_value=DEFAULT_MASK_FILL_VALUE, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.value_range = parse_value_range(value_range)
        self.interpolation = warp_lib.validate_interpolation(interpolation)
        self.fill_mode = warp_lib.validate_fill_mode(fill_mode)
        self.fill_value = arguments.parse_fill_value(fill_value)
        self.mask_fill_value = arguments.parse_mask_fill_value(mask_fill_value, allow_none=False)

    def identity_params(self, shape):
        zeros = ops.zeros([shape.batch_size, self.num_slots], dtype="int32")
        return {"op": zeros, "magnitude": ops.cast(zeros, "float32")}

    @property
    def num_slots(self):
        raise NotImplementedError

    def op_frequency(self, name):
        """The expected fraction of slots holding op `name` (uniform over `op_names`).

        Only sizes work (see `rows.capacity`); results do not depend on it.
        """
        return 1.0 / len(self.op_names) if name in self.op_names else 0.0

    def apply(self, batch, params):
        return apply_slots(self, batch, params["op"], params["magnitude"])

    def get_config(self):
        config = super().get_config()
        config.update(value_range=list(self.value_range), interpolation=self.interpolation,
                      fill_mode=self.fill_mode, fill_value=self.fill_value, mask_fill_value=self.mask_fill_value)
        return config


def op_ids(names):
    """The `OPS` indices of `names` as an int32 tensor (for a gather by drawn position)."""
    return ops.convert_to_tensor([op_table.OP_INDEX[n] for n in names], "int32")
