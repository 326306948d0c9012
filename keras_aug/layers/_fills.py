"""The values erased pixels take: a constant, per-pixel noise, or the sample's mean.

The fill modes are validated by `keras_aug.core.arguments.parse_fill`.
"""

from keras_aug.core.backend import ops
from keras_aug.core.matrices import as_float


def fill_values(images, fill_mode, fill_value, noise):
    """The float32 values erased pixels take (broadcastable to [B, H, W, C])."""
    channels = images.shape[-1]
    if fill_mode == "constant":
        if isinstance(fill_value, list):
            if channels is not None and len(fill_value) != channels:
                raise ValueError(f"`fill_value` has {len(fill_value)} values but the images have {channels} "
                                 "channels.")
        return ops.convert_to_tensor(fill_value, "float32")
    if fill_mode == "mean":
        return ops.mean(as_float(images), axis=(1, 2), keepdims=True)
    return noise  # "random": drawn in `sample`, already in value_range
