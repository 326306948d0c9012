"""MaxNumBoundingBoxes: a fixed number of boxes per sample, for batching and models."""

import numbers

import keras

from keras_aug.core.backend import ops
from keras_aug.core.base import Augmentation


def _parse_int(value, name, minimum=None):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or (minimum is not None and value < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise ValueError(f"`{name}` must be an int{bound}; got {value!r}.")
    return int(value)


def pad_or_truncate(values, count, fill_value):
    """`values` [B, N, ...] cut or padded with `fill_value` along axis 1 to exactly `count` rows."""
    have = values.shape[1]
    if have is None:
        raise ValueError("MaxNumBoundingBoxes needs a static number of boxes per sample (the boxes' axis 1).")
    if have >= count:
        return values[:, :count]
    pad = [[0, 0], [0, count - have]] + [[0, 0]] * (len(values.shape) - 2)
    return ops.pad(values, pad, mode="constant", constant_values=ops.cast(fill_value, values.dtype))


@keras.saving.register_keras_serializable(package="keras_aug")
class MaxNumBoundingBoxes(Augmentation):
    """Pads or truncates each sample's boxes (and their labels) to `max_number`.

    Same name and arguments as `keras.layers.MaxNumBoundingBoxes`: the first
    `max_number` boxes are kept; missing rows are added with label
    `fill_value`. Images, masks, keypoints and labels pass unchanged. An input
    without `bounding_boxes` comes back unchanged (as in Keras).

    Unlike the random layers, it acts in training and in inference alike
    (`predict`, `evaluate`, exported models): a fixed box count is a shape
    contract, not an augmentation. Keras's layer does the same.

    Padding rows: as every layer of this library writes them, a row whose
    label is negative carries -1 in all four coordinates. With the default
    `fill_value=-1` the output is Keras's exactly; with another negative
    fill value the labels carry it and the coordinates -1 (Keras writes the
    fill value there too); a fill value >= 0 gives boxes at that coordinate
    value (in xyxy, converted to the layer's box format) with that label.

    Args:
      max_number: the number of boxes per sample in the output (>= 1).
      fill_value: label (and, see above, coordinates) of padding rows. Default -1.
      bounding_box_format: the format of `bounding_boxes["boxes"]` (required
        when boxes are given).
      data_format: see `keras_aug.core.Augmentation`.

    No randomness and no identity: `identity_params` raises, since the layer
    changes the number of boxes whenever it acts (pass it outside policies
    such as `RandomApply`).
    """

    draws_randomness = False

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, data_format=None, **kwargs):
        kwargs.pop("seed", None)  # deterministic: a seed has nothing to seed
        super().__init__(bounding_box_format=bounding_box_format, data_format=data_format, **kwargs)
        self.max_number = _parse_int(max_number, "max_number", minimum=1)
        self.fill_value = _parse_int(fill_value, "fill_value")

    def identity_params(self, shape):
        raise ValueError(
            "MaxNumBoundingBoxes has no identity parameters: it draws nothing and always sets the number of "
            f"boxes to max_number={self.max_number}. Apply it outside per-sample policies."
        )

    def apply(self, batch, params):
        if batch.boxes is None:
            return batch
        boxes = pad_or_truncate(batch.boxes, self.max_number, self.fill_value)
        labels = pad_or_truncate(batch.box_labels, self.max_number, self.fill_value)
        return batch.replace(boxes=boxes, box_labels=labels)

    def inference(self, batch):
        return self.apply(batch, {})

    def get_config(self):
        config = super().get_config()
        config.update(max_number=self.max_number, fill_value=self.fill_value)
        config.pop("seed", None)
        return config
