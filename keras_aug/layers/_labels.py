"""Labels of mixed samples: made mixable (one-hot, float), then mixed linearly.

Written on `keras_aug.core.backend.ops`.
"""

from keras_aug.core import dtypes
from keras_aug.core.backend import dtype_name
from keras_aug.core.backend import ops


def prepare_labels(labels, num_classes, layer_name):
    """Labels as float tensors that can be mixed linearly.

    One-hot or soft vectors [B, C] mix directly; float scalars ([B] or [B, 1],
    e.g. binary 0/1) mix as floats; integer class ids ([B] or [B, 1]) are
    one-hot encoded with `num_classes`, which they require.
    """
    labels = ops.convert_to_tensor(labels)
    rank = len(labels.shape)
    scalar = rank == 1 or (rank == 2 and labels.shape[-1] == 1)
    if rank == 0:
        raise ValueError(f"{layer_name}: labels must have a leading batch axis ([B], [B, 1] or [B, C]); "
                         f"got shape {tuple(labels.shape)}.")
    if scalar and num_classes is not None:
        ids = ops.cast(ops.reshape(labels, [-1]), "int32")
        return ops.one_hot(ids, num_classes, dtype="float32")
    if scalar and not dtypes.is_floating(labels):
        raise ValueError(
            f"{layer_name} got integer class ids as labels (shape {tuple(labels.shape)}, dtype {dtype_name(labels)}), "
            "which cannot be mixed: pass `num_classes=` to one-hot encode them, pass one-hot labels, or cast "
            "binary 0/1 labels to float."
        )
    if not scalar and num_classes is not None and labels.shape[-1] is not None and labels.shape[-1] != num_classes:
        raise ValueError(f"{layer_name}: labels have {labels.shape[-1]} classes on the last axis but "
                         f"`num_classes` is {num_classes}.")
    if dtypes.is_floating(labels):
        return labels
    return ops.cast(labels, "float32")


def mix_labels(labels_list, weights):
    """Sum_k weights[k] * labels_list[k]; weights: list of [B] float32 tensors."""
    out = None
    for labels, weight in zip(labels_list, weights):
        w = ops.reshape(ops.cast(weight, dtype_name(labels)), [-1] + [1] * (len(labels.shape) - 1))
        term = w * labels
        out = term if out is None else out + term
    return out
