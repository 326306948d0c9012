"""Layers that set the output size: Resizing, CenterCrop, RandomCrop, RandomResizedCrop.

Each is a matrix that reads a (possibly random) input region onto the output
grid, so inside a `Pipeline` a resize or crop costs nothing extra: it is part
of the run's single resample.

Identity. These layers set the output size, and the samples of one batch
share a size, so no per-sample parameters can switch them off when the input
has another size: `identity_params` then raises a ValueError. When the input
already has the output size (static sizes), it returns the parameters of the
whole image read onto itself, under which the layer is the identity.
"""

import math

import keras

from keras_aug.core import arguments
from keras_aug.core import dtypes
from keras_aug.core import matrices as mat
from keras_aug.core import structures
from keras_aug.core import warp as warp_lib
from keras_aug.core.base import ImageShape
from keras_aug.core.backend import ops
from keras_aug.core.base import constant_params
from keras_aug.core.base import shape_of
from keras_aug.core.geometric import GeometricAugmentation
from keras_aug.core.geometric import move_annotations
from keras_aug.layers._gathers import take_per_sample


_f = mat.as_float


def region_matrix(x0, y0, region_w, region_h, out_w, out_h):
    """Maps the output grid onto the input region [x0, x0+region_w] x [y0, y0+region_h]."""
    sx = _f(region_w) / _f(out_w)
    sy = _f(region_h) / _f(out_h)
    return mat.from_rows(sx + ops.zeros_like(_f(x0)), 0.0, x0, 0.0, sy, y0)


def aspect_crop(height, width, target_h, target_w):
    """Keras's centred crop to the target aspect ratio: (y0, x0, crop_h, crop_w), integers."""
    if isinstance(height, int) and isinstance(width, int):
        crop_h = max(min(height, int(width * target_h / target_w)), 1)
        crop_w = max(min(width, int(height * target_w / target_h)), 1)
        return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w
    h = ops.cast(height, "int32")
    w = ops.cast(width, "int32")
    crop_h = ops.maximum(ops.minimum(h, ops.cast(_f(w) * target_h / target_w, "int32")), 1)
    crop_w = ops.maximum(ops.minimum(w, ops.cast(_f(h) * target_w / target_h, "int32")), 1)
    return (h - crop_h) // 2, (w - crop_w) // 2, crop_h, crop_w


def aspect_pad(height, width, target_h, target_w):
    """Keras's centred pad to the target aspect ratio: (y0, x0, pad_h, pad_w), integers.

    y0, x0 are where the image starts inside the padded canvas.
    """
    if isinstance(height, int) and isinstance(width, int):
        pad_h = max(height, int(width * target_h / target_w))
        pad_w = max(width, int(height * target_w / target_h))
        return (pad_h - height) // 2, (pad_w - width) // 2, pad_h, pad_w
    h = ops.cast(height, "int32")
    w = ops.cast(width, "int32")
    pad_h = ops.maximum(h, ops.cast(_f(w) * target_h / target_w, "int32"))
    pad_w = ops.maximum(w, ops.cast(_f(h) * target_w / target_h, "int32"))
    return (pad_h - h) // 2, (pad_w - w) // 2, pad_h, pad_w


def windows(images, x0, y0, height, width):
    """Per-sample windows of [B, H, W, C] images (static H, W): [B, height, width, C].

    Window b starts at column x0[b] and row y0[b] (int32 [B], inside the
    image). One gather of pixels by integer index: a compiled RandomCrop call
    on 16 images of 224 x 224 cost 0.14 CPU ms per image under TensorFlow/XLA
    and 0.08 under JAX, against 0.27 and 0.18 through the warp's nearest read
    (coordinates computed in float per pixel) and about 1 through its bilinear one.
    """
    image_w = images.shape[2]
    rows = y0[:, None, None] + ops.arange(height, dtype="int32")[None, :, None]
    columns = x0[:, None, None] + ops.arange(width, dtype="int32")[None, None, :]
    index = ops.reshape(rows * image_w + columns, [-1, height * width])
    pixels = ops.reshape(images, [-1, images.shape[1] * image_w, ops.shape(images)[3]])
    return ops.reshape(take_per_sample(pixels, index), [-1, height, width, ops.shape(images)[3]])


class _SizedLayer(GeometricAugmentation):
    """A geometric layer with a fixed (height, width) output."""

    def __init__(self, height, width, **kwargs):
        super().__init__(**kwargs)
        self.height = arguments.parse_size(height, "height")
        self.width = arguments.parse_size(width, "width")

    def output_size(self, height, width):
        return self.height, self.width

    def check_keeps_size(self, shape):
        """Raises a ValueError unless `shape` already has the output size (the identity needs it)."""
        name = f"{type(self).__name__}(height={self.height}, width={self.width})"
        if not (isinstance(shape.height, int) and isinstance(shape.width, int)):
            raise ValueError(
                f"{name} has no identity parameters for images whose size is known only at run time: it "
                "may change their size, which cannot differ between the samples of a batch. Give the "
                "images a static size, or switch the layer off for whole batches."
            )
        if (shape.height, shape.width) != (self.height, self.width):
            raise ValueError(
                f"{name} has no identity parameters for {shape.height}x{shape.width} images: it changes "
                "their size, and the samples of a batch must share one size, so it cannot be switched off "
                "per sample. Keep it outside per-sample policies (RandomApply, RandomChoice, ...), or "
                "resize first so the input already has the output size."
            )

    def identity_params(self, shape):
        # The parameters of the layers that sample {"matrix": [B, 3, 3]}.
        self.check_keeps_size(shape)
        return {"matrix": mat.identity(shape.batch_size)}

    def _repeat(self, matrix, shape):
        return ops.tile(matrix, [shape.batch_size, 1, 1]) if matrix.shape[0] == 1 else matrix

    def resize_matrix(self, shape, crop_to_aspect_ratio=True):
        """Keras's inference-time resize: centred crop to the aspect ratio, then resize."""
        if crop_to_aspect_ratio:
            y0, x0, ch, cw = aspect_crop(shape.height, shape.width, self.height, self.width)
        else:
            y0, x0, ch, cw = 0, 0, shape.height, shape.width
        m = region_matrix(ops.reshape(_f(x0), [1]), _f(y0), cw, ch, self.width, self.height)
        return self._repeat(m, shape)

    # Keras resizes a crop or a padded canvas as a separate tensor, so its
    # resize clamps at the region's edges instead of blending in the pixels
    # beside the region (or the fill beyond an unpadded side). For static
    # sizes we do the same: the region is sliced (or padded) first, then
    # resized by the warp with edge clamping. Inside a fused Pipeline run the
    # region is part of the one matrix, which differs only in the border
    # pixels of an upscaled region.
    def static_region(self, height, width, training):
        """(y0, x0, region_h, region_w) the layer resizes for a static size, or None."""
        return None

    def _region_of(self, batch, training):
        if not (isinstance(batch.height, int) and isinstance(batch.width, int)):
            return None
        return self.static_region(batch.height, batch.width, training)

    def apply(self, batch, params):
        region = self._region_of(batch, training=True)
        if region is None:
            return super().apply(batch, params)
        return self._resize_region(batch, region, lambda: self.matrix(params, batch.height, batch.width))

    def inference(self, batch):
        region = self._region_of(batch, training=False)
        if region is None:
            return super().inference(batch)
        return self._resize_region(batch, region, lambda: self.inference_matrix(shape_of(batch)))

    def _resize_region(self, batch, region, matrices):
        """Slices (or pads, with the fill values) a static region, then resizes it to the output size.

        `matrices()` gives the equivalent whole-image matrices; boxes and keypoints move
        by them (computed only when there are some).
        """
        y0, x0, region_h, region_w = region
        height, width = batch.height, batch.width
        size = (self.height, self.width)

        def cut(t, value):
            t = t[:, max(y0, 0): min(y0 + region_h, height), max(x0, 0): min(x0 + region_w, width)]
            pads = [[0, 0], [max(-y0, 0), max(y0 + region_h - height, 0)],
                    [max(-x0, 0), max(x0 + region_w - width, 0)], [0, 0]]
            if any(p for pair in pads for p in pair):
                t = ops.pad(t, pads, constant_values=ops.cast(value, dtypes.name_of(t)))
            return t

        if (region_h, region_w) == size:  # the region is the output: a slice (or pad), no resample
            changes = {"images": cut(batch.images, self.fill_value)}
            if batch.masks is not None:
                changes["masks"] = cut(batch.masks, self.mask_fill_value)
        else:
            local = ops.tile(region_matrix(ops.zeros([1]), 0.0, region_w, region_h, self.width, self.height),
                             [batch.batch_size, 1, 1])
            interpolation = self.interpolation or "bilinear"
            changes = {"images": warp_lib.warp(cut(batch.images, self.fill_value), local, size, interpolation,
                                               "nearest")}
            if batch.masks is not None:
                changes["masks"] = warp_lib.warp(cut(batch.masks, self.mask_fill_value), local, size, "nearest",
                                                 "nearest")
        if batch.boxes is not None or batch.keypoints is not None:
            batch = move_annotations(batch, matrices(), size)
        return batch.replace(**changes)

    def compute_output_shape(self, input_shape):
        return structures.resized_shape(input_shape, self.data_format, self.height, self.width)

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width)
        return config


class _FixedLayer(_SizedLayer):
    """A sizing layer with no randomness: the same `fixed_matrix` in training and inference."""

    draws_randomness = False

    def fixed_matrix(self, shape):
        raise NotImplementedError

    def sample(self, shape, draws):
        return {"matrix": self.fixed_matrix(shape)}

    def matrix(self, params, height, width):
        return params["matrix"]

    def inference_matrix(self, shape):
        return self.fixed_matrix(shape)

    def augment(self, batch, seed):
        # Nothing is drawn, so `seed` is unused (None from the eager route), and
        # a static region needs its matrices only to move boxes and keypoints.
        region = self._region_of(batch, training=True)
        if region is None:
            return self.apply(batch, self.sample(shape_of(batch), None))
        return self._resize_region(batch, region, lambda: self.fixed_matrix(shape_of(batch)))

    def only_moves_memory(self, images):
        """Whether a call on `images` (static sizes) is a slice or pad of a region of the output size."""
        height, width = images.shape[-3:-1] if self.data_format == "channels_last" else images.shape[-2:]
        region = self.static_region(height, width, training=True)
        return region is not None and (region[2], region[3]) == (self.height, self.width)


@keras.saving.register_keras_serializable(package="keras_aug")
class Resizing(_FixedLayer):
    """Resizes images to (height, width), in training and inference alike.

    Same name and arguments as `keras.layers.Resizing` (bilinear without
    antialiasing matches `tf.image.resize`). Inside a `Pipeline` the resize
    fuses with neighbouring geometric layers into one resample.

    Args:
      height, width: output size in pixels.
      interpolation: "bilinear" (default) or "nearest".
      crop_to_aspect_ratio: crop the largest centred region of the target
        aspect ratio first, so the content is not stretched.
      pad_to_aspect_ratio: pad (centred, with fill_value) to the target aspect
        ratio first instead. At most one of the two may be True.
      fill_mode: "constant" only matters with padding.
      fill_value: padding value.
      antialias: not supported by the single-warp design (a blur before
        downsampling cannot fold into a matrix); must be False.
      mask_fill_value, bounding_box_format, data_format: as in `RandomRotation`.

    Targets: images (warp), masks (nearest), boxes and keypoints scaled.
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, mask_fill_value=255, **kwargs):
        if antialias:
            raise ValueError(
                "`antialias=True` is not supported: keras_aug resizes inside its single warp, which "
                "cannot blur before sampling. Use antialias=False, or keras.layers.Resizing(antialias=True)."
            )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True.")
        if fill_mode != "constant":
            raise ValueError(f"`fill_mode` must be 'constant' (it applies to padding only); got {fill_mode!r}.")
        # Without padding nothing is read outside the image except at the
        # borders of an upscale, where the edge is clamped like tf.image.resize.
        super().__init__(height, width, interpolation=interpolation,
                         fill_mode="constant" if pad_to_aspect_ratio else None,
                         fill_value=fill_value, mask_fill_value=mask_fill_value, data_format=data_format,
                         **kwargs)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.antialias = False

    def static_region(self, height, width, training):
        if self.pad_to_aspect_ratio:
            y0, x0, ph, pw = aspect_pad(height, width, self.height, self.width)
            return -y0, -x0, ph, pw
        if self.crop_to_aspect_ratio:
            return aspect_crop(height, width, self.height, self.width)
        return None

    def fixed_matrix(self, shape):
        if self.pad_to_aspect_ratio:
            y0, x0, ph, pw = aspect_pad(shape.height, shape.width, self.height, self.width)
            m = region_matrix(ops.reshape(-_f(x0), [1]), -_f(y0), pw, ph, self.width, self.height)
            return self._repeat(m, shape)
        return self.resize_matrix(shape, crop_to_aspect_ratio=self.crop_to_aspect_ratio)

    def get_config(self):
        config = super().get_config()
        config.update(crop_to_aspect_ratio=self.crop_to_aspect_ratio, pad_to_aspect_ratio=self.pad_to_aspect_ratio,
                      fill_mode="constant", antialias=False)
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class CenterCrop(_FixedLayer):
    """Crops the centre (height, width) region, in training and inference alike.

    Same name and arguments as `keras.layers.CenterCrop`: an input smaller than
    the target is first cropped to the target aspect ratio, then resized, as
    `keras.utils.smart_resize` (identical for static sizes; inside a fused
    `Pipeline` run, or with dynamic sizes, the resize may blend in the pixels
    just outside the crop at its border).

    Args:
      height, width: output size in pixels, ints >= 1.
      mask_fill_value, bounding_box_format, data_format: as in `RandomRotation`.

    Targets: images, masks, boxes (clipped; boxes outside get label -1),
    keypoints; labels unchanged.
    """

    resample_args = ("mask_fill_value",)

    def __init__(self, height, width, data_format=None, mask_fill_value=255, **kwargs):
        super().__init__(height, width, interpolation="bilinear", fill_mode=None,
                         mask_fill_value=mask_fill_value, data_format=data_format, **kwargs)

    def static_region(self, height, width, training):
        if height >= self.height and width >= self.width:
            return (height - self.height) // 2, (width - self.width) // 2, self.height, self.width  # a slice
        return aspect_crop(height, width, self.height, self.width)

    def fixed_matrix(self, shape):
        h, w = shape.height, shape.width
        if isinstance(h, int) and isinstance(w, int):
            if h >= self.height and w >= self.width:
                m = region_matrix(ops.convert_to_tensor([float((w - self.width) // 2)]), float((h - self.height) // 2),
                                  self.width, self.height, self.width, self.height)
                return self._repeat(m, shape)
            return self.resize_matrix(shape)
        crop = region_matrix(ops.reshape(_f((w - self.width) // 2), [1]), _f((h - self.height) // 2),
                             self.width, self.height, self.width, self.height)
        fits = ops.logical_and(h >= self.height, w >= self.width)
        return self._repeat(ops.where(fits, crop, self.resize_matrix(ImageShape(1, h, w, None))), shape)


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomCrop(_SizedLayer):
    """Crops a random (height, width) region, at a different offset per sample.

    Same name and arguments as `keras.layers.RandomCrop` (which draws one
    offset per batch). Inputs smaller than the target on either side, and
    every input when not augmenting, are centre-cropped to the target aspect
    ratio and resized, exactly as `keras.utils.smart_resize` and `CenterCrop`.
    Keras 3's RandomCrop differs there: for a smaller input in training it
    slices a target-sized window from the aspect-crop start, clipped by the
    image, and stretches it (the aspect ratio is lost); with training=False
    it returns the input unchanged, not at the target size.

    Args:
      height, width: output size in pixels, ints >= 1.
      seed, mask_fill_value, bounding_box_format, data_format: as in
        `RandomRotation`.

    Targets: images, masks, boxes (clipped; boxes outside get label -1),
    keypoints; labels unchanged.
    """

    resample_args = ("mask_fill_value",)

    def __init__(self, height, width, seed=None, data_format=None, mask_fill_value=255, **kwargs):
        super().__init__(height, width, interpolation="bilinear", fill_mode=None, seed=seed,
                         mask_fill_value=mask_fill_value, data_format=data_format, **kwargs)

    def static_region(self, height, width, training):
        if training and height >= self.height and width >= self.width:
            return None  # a random window per sample: `apply` moves its pixels by index
        return aspect_crop(height, width, self.height, self.width)

    def apply(self, batch, params):
        static = isinstance(batch.height, int) and isinstance(batch.width, int)
        if not (static and batch.height >= self.height and batch.width >= self.width):
            return super().apply(batch, params)
        # Whole-pixel windows: copied by index, the values the bilinear warp
        # reads (its weights are 1 and 0) at a third of its cost or less.
        matrices = params["matrix"]
        x0, y0 = (ops.cast(ops.round(matrices[:, row, 2]), "int32") for row in (0, 1))
        changes = {"images": windows(batch.images, x0, y0, self.height, self.width)}
        if batch.masks is not None:
            changes["masks"] = windows(batch.masks, x0, y0, self.height, self.width)
        return move_annotations(batch, matrices, (self.height, self.width)).replace(**changes)

    def sample(self, shape, draws):
        n = [shape.batch_size]
        # Integer offsets, uniform over every position: exact pixel copies.
        room_y = ops.maximum(ops.cast(shape.height, "int32") - self.height, 0)
        room_x = ops.maximum(ops.cast(shape.width, "int32") - self.width, 0)
        y0 = ops.cast(ops.floor(draws.uniform(n) * _f(room_y + 1)), "int32")
        x0 = ops.cast(ops.floor(draws.uniform(n) * _f(room_x + 1)), "int32")
        crop = region_matrix(_f(x0), _f(y0), self.width, self.height, self.width, self.height)
        fits = ops.logical_and(ops.cast(shape.height, "int32") >= self.height,
                               ops.cast(shape.width, "int32") >= self.width)
        return {"matrix": ops.where(fits, crop, self.resize_matrix(shape))}

    def matrix(self, params, height, width):
        return params["matrix"]

    def inference_matrix(self, shape):
        return self.resize_matrix(shape)


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomResizedCrop(_SizedLayer):
    """Inception-style crop: random area and aspect ratio per sample, resized.

    As torchvision's `RandomResizedCrop`: up to 10 proposals per sample with
    area fraction ~ U(scale) and log aspect ratio ~ U(log ratio); the first
    that fits is used (integer sizes and offsets); if none fits, the centre
    crop with the aspect ratio clamped to `ratio`. When not augmenting: centre
    crop to the target aspect ratio, then resize.

    Args:
      height, width: output size in pixels.
      scale: (low, high) fraction of the input area, 0 < low <= high <= 1.
      ratio: (low, high) aspect ratio width / height, 0 < low <= high.
      interpolation: "bilinear" or "nearest".
      seed, mask_fill_value, bounding_box_format, data_format: as elsewhere.

    Targets: images, masks, boxes (clipped; boxes outside get label -1),
    keypoints; labels unchanged.
    """

    resample_args = ("interpolation", "mask_fill_value")

    def __init__(self, height, width, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), interpolation="bilinear",
                 seed=None, data_format=None, mask_fill_value=255, **kwargs):
        super().__init__(height, width, interpolation=interpolation, fill_mode=None, seed=seed,
                         mask_fill_value=mask_fill_value, data_format=data_format, **kwargs)
        self.scale = arguments.parse_range(scale, "scale", symmetric=False)
        if not 0.0 < self.scale[0] or self.scale[1] > 1.0:
            raise ValueError(f"`scale` must satisfy 0 < low <= high <= 1; got {scale!r}.")
        self.ratio = arguments.parse_range(ratio, "ratio", symmetric=False)
        if not self.ratio[0] > 0.0:
            raise ValueError(f"`ratio` must satisfy 0 < low <= high; got {ratio!r}.")

    def sample(self, shape, draws):
        tries = 10
        n = shape.batch_size
        h = _f(shape.height)
        w = _f(shape.width)
        area = h * w * draws.uniform([tries, n], *self.scale)
        log_ratio = draws.uniform([tries, n], math.log(self.ratio[0]), math.log(self.ratio[1]))
        aspect = ops.exp(log_ratio)
        cw = ops.round(ops.sqrt(area * aspect))
        ch = ops.round(ops.sqrt(area / aspect))
        ok = ops.logical_and(ops.logical_and(cw > 0, cw <= w), ops.logical_and(ch > 0, ch <= h))
        first = ops.argmax(ops.cast(ok, "int32"), axis=0)
        pick = ops.one_hot(first, tries, axis=0, dtype="float32")
        cw_pick = ops.sum(cw * pick, axis=0)
        ch_pick = ops.sum(ch * pick, axis=0)
        y0 = ops.floor(draws.uniform([n]) * (h - ch_pick + 1))
        x0 = ops.floor(draws.uniform([n]) * (w - cw_pick + 1))
        # Fallback: centre crop with the aspect ratio clamped to `ratio`.
        in_ratio = w / h
        fb_w = ops.where(in_ratio < self.ratio[0], w,
                         ops.where(in_ratio > self.ratio[1], ops.round(h * self.ratio[1]), w))
        fb_h = ops.where(in_ratio < self.ratio[0], ops.round(w / self.ratio[0]), h)
        any_ok = ops.any(ok, axis=0)
        cw_pick = ops.where(any_ok, cw_pick, fb_w)
        ch_pick = ops.where(any_ok, ch_pick, fb_h)
        x0 = ops.where(any_ok, x0, ops.floor((w - fb_w) / 2))
        y0 = ops.where(any_ok, y0, ops.floor((h - fb_h) / 2))
        return {"x0": x0, "y0": y0, "crop_w": cw_pick, "crop_h": ch_pick}

    def identity_params(self, shape):
        self.check_keeps_size(shape)
        zero = constant_params(shape.batch_size, 0.0)
        return {"x0": zero, "y0": zero, "crop_w": zero + float(self.width), "crop_h": zero + float(self.height)}

    def matrix(self, params, height, width):
        sx = params["crop_w"] / self.width
        sy = params["crop_h"] / self.height
        return mat.from_rows(sx, 0.0, params["x0"], 0.0, sy, params["y0"])

    def inference_matrix(self, shape):
        return self.resize_matrix(shape)

    def get_config(self):
        config = super().get_config()
        config.update(scale=list(self.scale), ratio=list(self.ratio))
        return config
