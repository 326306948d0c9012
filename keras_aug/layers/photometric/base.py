"""Shared machinery of the photometric layers.

A photometric layer changes pixel values only: labels, bounding boxes,
segmentation masks and keypoints pass through unchanged (the base class's
identity `apply_*`), and nothing moves.

Every layer here
  * draws one parameter set per sample in `sample` (a dict of `[batch]` or
    `[batch, k]` tensors, see each layer's docstring for the keys), so a batch
    of copies of one image gives different outputs;
  * computes in float32 (float64 inputs in float64) and returns the dtype it
    is given (the layer's compute dtype, or uint8; see `core.structures`):
    uint8 images are rounded half-to-even and clipped to 0..255,
    float16/bfloat16 are computed in float32 and cast back;
  * clips its output to `value_range` where it takes one (the values the
    images are expected to span: (0, 255) or (0, 1) typically);
  * treats channels as follows: 3 channels are RGB; a 4th channel is alpha and
    passes through unchanged; a single channel is a gray image, for which the
    colour-only layers (saturation, hue, grayscale) are the identity. Layers
    that do not mix channels (brightness, contrast, invert, ...) take any other
    channel count too (a 9-band tile), every channel alike; the colour-only
    layers refuse other counts with a ValueError.

Every layer returns, from `identity_params(shape)`, parameters that leave the
image unchanged (delta 0, factor 1, flag False, ...): a policy uses them for
samples where the op was not chosen (`keras_aug.core.base.select_params`).
They are the identity bit for bit on integer images (uint8); on float images
some kernels (contrast, hue, sharpness) compute x - m + m, exact to float
rounding only.
"""

from keras_aug.core import dtypes
# The photometric layers import these parsers from here too.
from keras_aug.core.arguments import _is_number  # noqa: F401
from keras_aug.core.arguments import parse_unit_range  # noqa: F401
from keras_aug.core.arguments import parse_value_range
from keras_aug.core.backend import ops
from keras_aug.core.base import Augmentation
# The photometric layers and the policies import it from here too.
from keras_aug.core.fusion import materialized  # noqa: F401


def per_sample(value, like):
    """Reshapes a `[batch]` (or `[batch, k]`) parameter to broadcast over `[B, H, W, C]`.

    The result has the dtype of the tensor `like`.
    """
    value = ops.cast(value, dtypes.name_of(like))
    if len(value.shape) == 1:
        return value[:, None, None, None]
    return value[:, None, None, :]


def work_dtype(dtype):
    """The dtype a kernel computes in for images of `dtype`: float64 stays, others float32."""
    return "float64" if dtypes.name_of(dtype) == "float64" else "float32"


class PhotometricAugmentation(Augmentation):
    """Base of the photometric layers: per-sample parameters, pure float kernel.

    Subclasses write `sample(shape, draws)` and `transform(images, params)`,
    where `images` are the colour channels (alpha removed) as float32 and the
    result need not be clipped: the base clips to `value_range`, puts alpha
    back and restores the dtype.

    Args:
      value_range: (low, high), the range the input values span, or None for
        layers that need none (no clipping then, except to an integer dtype's
        range).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.
    """

    color_only = False  # identity on single-channel images

    def __init__(self, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.value_range = None if value_range is None else parse_value_range(value_range)

    def transform(self, images, params):
        raise NotImplementedError

    def color_channels(self, channels):
        """Number of channels the kernel sees for an input with `channels`."""
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} needs a static channel count; got images with unknown channels."
            )
        return 3 if channels == 4 else channels

    def needs_color(self):
        """Whether the layer reads channels as RGB (then it needs 1, 3 or 4)."""
        return self.color_only

    def check_channels(self, channels):
        if self.needs_color() and channels not in (1, 3, 4):
            shown = "an unknown number of" if channels is None else channels
            raise ValueError(
                f"{type(self).__name__} reads channels as colours: images must have 1 (gray, left unchanged), "
                f"3 (RGB) or 4 (RGBA) channels, known statically; got {shown} channels. Layers that do not "
                "look at colour (geometric, erasing, mixing, brightness, contrast, ...) take any channel count."
            )

    def apply_images(self, images, params, batch=None):
        dtype = dtypes.name_of(images)
        channels = images.shape[-1]
        self.check_channels(channels)
        if self.color_only and channels == 1:
            return images
        x = ops.cast(images, work_dtype(dtype))
        alpha = None
        if channels == 4:
            x, alpha = x[..., :3], x[..., 3:]
        y = self.transform(x, params)
        if self.value_range is not None:
            y = ops.clip(y, self.value_range[0], self.value_range[1])
        if alpha is not None:
            y = ops.concatenate([y, alpha], axis=-1)
        return dtypes.cast_like(y, dtype)

    def get_config(self):
        config = super().get_config()
        config["value_range"] = None if self.value_range is None else list(self.value_range)
        return config
