"""JPEG compression artefacts: encode and decode each image at a random per-sample quality.

TensorFlow compute path only. No Keras backend op encodes JPEG, so the layer
uses `tf.image.adjust_jpeg_quality`, one image at a time: it runs in a tf.data
`map` (under any Keras backend, JAX included) and in `tf.function`, but not
under XLA (`jit_compile=True`: TensorFlow has no XLA kernel for JPEG coding)
nor on JAX arrays, where it raises a ValueError saying so.

Changes pixel values only: labels, bounding boxes, masks and keypoints pass
through unchanged. See `keras_aug.layers.photometric.base` for the dtype and
channel conventions shared by every layer.
"""

import keras

from keras_aug.core import arguments
from keras_aug.core import backend
from keras_aug.core.backend import ops
from keras_aug.layers.photometric.base import PhotometricAugmentation

NEEDS_TENSORFLOW = (
    "JPEG encodes with TensorFlow (`tf.image.adjust_jpeg_quality`; no Keras backend op encodes JPEG): "
    "use it in a tf.data `map` or a `tf.function` without `jit_compile`, under any Keras backend."
)


def jpeg_round_trip(images, quality, active):
    """Each uint8 image [B, H, W, C] (C 1 or 3) through JPEG at its quality where `active`.

    TensorFlow only; inactive samples are not encoded.
    """
    import tensorflow as tf

    from keras_aug.core import _tf_fast_path

    if _tf_fast_path.in_xla_context():
        raise ValueError(f"JPEG cannot run under XLA (jit_compile=True). {NEEDS_TENSORFLOW}")

    def one(args):
        image, q, on = args
        coded = tf.cond(on, lambda: tf.image.adjust_jpeg_quality(image, q), lambda: image)
        return tf.ensure_shape(coded, image.shape)

    return tf.map_fn(one, (images, quality, active), fn_output_signature=tf.uint8)


@keras.saving.register_keras_serializable(package="keras_aug")
class JPEG(PhotometricAugmentation):
    """Compresses each image as JPEG at a random per-sample quality and decodes it.

    Like torchvision's `transforms.v2.JPEG(quality)`, with the quality drawn
    per sample (torchvision draws one per call). Values are mapped from
    `value_range` to 8-bit levels (rounded), coded with
    `tf.image.adjust_jpeg_quality` (4:2:0 chroma subsampling) and mapped back.

    TensorFlow compute path only (see the module docstring): tf.data `map`
    or `tf.function`, not `jit_compile=True`, not on JAX arrays. The layer
    reports `supports_jit = False`, so Keras compiles a model holding it
    without XLA.

    Args:
      quality: an int in [1, 100] or a (low, high) pair of such ints, drawn
        uniformly per sample (both ends included). 100 is the least lossy
        (still not the identity).
      value_range: (low, high), the range the input values span. Default (0, 255).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"quality": [B] int32, "active": [B] bool (all
    True)}. Identity: active False (JPEG at any quality changes an image).

    Targets: images only; labels, boxes, masks and keypoints pass through
    unchanged. Images must have 1 (gray), 3 (RGB) or 4 (RGBA, alpha passes
    through) channels.
    """

    def __init__(self, quality, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.quality = quality
        self.quality_range = arguments.parse_int_range(quality, "quality", 1, 100)
        self.supports_jit = False

    def needs_color(self):
        return True  # JPEG codes 1 or 3 channels

    def sample(self, shape, draws):
        low, high = self.quality_range
        n = [shape.batch_size]
        return {"quality": draws.integers(n, low, high + 1), "active": ops.ones(n, dtype="bool")}

    def identity_params(self, shape):
        n = [shape.batch_size]
        return {"quality": ops.full(n, 100, dtype="int32"), "active": ops.zeros(n, dtype="bool")}

    def transform(self, images, params):
        if backend.current() != "tensorflow":
            raise ValueError(f"JPEG got images computed with {backend.current()}. {NEEDS_TENSORFLOW}")
        low, high = self.value_range
        levels = ops.cast(ops.clip(ops.round((images - low) * (255.0 / (high - low))), 0.0, 255.0), "uint8")
        coded = jpeg_round_trip(levels, ops.cast(params["quality"], "int32"), params["active"])
        # Inactive samples return their input exactly (not its 8-bit levels).
        out = low + ops.cast(coded, images.dtype) * ((high - low) / 255.0)
        return ops.where(ops.reshape(params["active"], [-1, 1, 1, 1]), out, images)

    def get_config(self):
        config = super().get_config()
        config["quality"] = self.quality
        return config
