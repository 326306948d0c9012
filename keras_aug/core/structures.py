"""Input structures: what a layer accepts and how its output keeps that shape.

A layer accepts
  * an image tensor, HWC or NHWC (CHW / NCHW with data_format="channels_first"),
  * an `(images, labels)` or `(images, labels, sample_weight)` tuple, as tf.data yields it,
  * a dict with Keras's keys: `images`, `labels`, `bounding_boxes`
    (`{"boxes": [N, 4] or [B, N, 4], "labels": [N] or [B, N]}`, padded with label -1),
    `segmentation_masks` ([H, W], [H, W, 1], [B, H, W] or [B, H, W, 1]),
    `keypoints` ([N, 2|3] or [B, N, 2|3]: x, y and optionally visibility).
    Other keys are passed through unchanged.

`unpack` turns any of these into a `Batch` (always batched, channels last,
boxes as absolute xyxy float32), and `Batch.pack` turns a transformed batch
back into the caller's structure, dtype and box format.
"""

import dataclasses

import tensorflow as tf

from keras_aug.core import boxes as box_utils

IMAGE_DTYPES = (tf.uint8, tf.float16, tf.bfloat16, tf.float32, tf.float64)
# Integer images other than uint8 are cast to the layer's compute dtype, as Keras does.
CAST_DTYPES = (tf.int8, tf.int16, tf.int32, tf.int64, tf.uint16, tf.uint32, tf.uint64)
KNOWN_KEYS = ("images", "labels", "bounding_boxes", "segmentation_masks", "keypoints")


@dataclasses.dataclass
class Batch:
    """One batch of samples and their annotations, in the internal layout."""

    images: tf.Tensor  # [B, H, W, C], the caller's dtype
    labels: object = None  # any tensor with a leading batch axis (or None)
    boxes: tf.Tensor = None  # [B, N, 4] absolute xyxy float32
    box_labels: tf.Tensor = None  # [B, N]
    masks: tf.Tensor = None  # [B, H, W, 1]
    keypoints: tf.Tensor = None  # [B, N, 2|3] float32
    # How to restore the caller's structure.
    kind: str = "tensor"  # "tensor" | "tuple" | "dict"
    batched: bool = True
    extras: dict = dataclasses.field(default_factory=dict)
    tuple_rest: tuple = ()
    mask_has_channel: bool = True
    mask_dtype: object = None
    keypoint_dtype: object = None
    box_dtype: object = None
    box_format: str = None
    data_format: str = "channels_last"

    @property
    def height(self):
        return _dim(self.images, 1)

    @property
    def width(self):
        return _dim(self.images, 2)

    @property
    def batch_size(self):
        return _dim(self.images, 0)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def pack(self):
        """Returns the batch in the structure, layout and formats it came in."""
        images = self.images
        if self.data_format == "channels_first":
            images = tf.transpose(images, [0, 3, 1, 2])
        unbatch = (lambda t: t[0]) if not self.batched else (lambda t: t)
        if self.kind == "tensor":
            return unbatch(images)
        labels = None if self.labels is None else tf.nest.map_structure(unbatch, self.labels)
        if self.kind == "tuple":
            return (unbatch(images), labels) + tuple(self.tuple_rest)
        out = dict(self.extras)
        out["images"] = unbatch(images)
        if self.labels is not None:
            out["labels"] = labels
        if self.boxes is not None:
            boxes = box_utils.from_xyxy(self.boxes, self.box_format, self.height, self.width)
            valid = self.box_labels >= 0
            boxes = tf.where(valid[..., None], boxes, -tf.ones_like(boxes))
            out["bounding_boxes"] = {
                "boxes": unbatch(tf.cast(boxes, self.box_dtype)),
                "labels": unbatch(self.box_labels),
            }
        if self.masks is not None:
            masks = self.masks
            if not self.mask_has_channel:
                masks = masks[..., 0]
            if self.data_format == "channels_first" and self.mask_has_channel:
                masks = tf.transpose(masks, [0, 3, 1, 2])
            out["segmentation_masks"] = unbatch(tf.cast(masks, self.mask_dtype))
        if self.keypoints is not None:
            out["keypoints"] = unbatch(tf.cast(self.keypoints, self.keypoint_dtype))
        return out


def resized_shape(input_shape, data_format, height, width):
    """`input_shape` (of images, batched or not) with its spatial size set to (height, width)."""
    shape = list(input_shape)
    if data_format == "channels_last":
        shape[-3], shape[-2] = height, width
    else:
        shape[-2], shape[-1] = height, width
    return tuple(shape)


def _dim(tensor, axis):
    static = tensor.shape[axis]
    return static if static is not None else tf.shape(tensor)[axis]


def _check_images(images):
    if images.shape.rank not in (3, 4):
        raise ValueError(
            "`images` must have rank 3 (HWC) or 4 (NHWC) "
            f"(channel order set by `data_format`); got shape {images.shape}."
        )
    if images.dtype not in IMAGE_DTYPES + CAST_DTYPES:
        raise ValueError(
            f"`images` dtype must be one of {[d.name for d in IMAGE_DTYPES + CAST_DTYPES]}; "
            f"got {images.dtype.name}."
        )


def as_compute_dtype(images, compute_dtype):
    """Keras's dtype convention: float and integer images are computed and
    returned in the layer's compute dtype; uint8 images stay uint8 (on purpose:
    the cheap path for 8-bit data, see the README)."""
    if compute_dtype is None or images.dtype == tf.uint8 or images.dtype == compute_dtype:
        return images
    return tf.cast(images, compute_dtype)


def unpack(inputs, bounding_box_format=None, data_format="channels_last", compute_dtype=None):
    """Normalizes any accepted input structure into a `Batch`.

    With `compute_dtype`, float and integer (not uint8) images are cast to it.
    """
    kind = "tensor"
    extras = {}
    tuple_rest = ()
    labels = boxes_in = masks = keypoints = None
    if isinstance(inputs, dict):
        kind = "dict"
        if "images" not in inputs:
            raise ValueError(
                f"A dict input must have an `images` key; got keys {sorted(inputs)}. "
                f"Known keys: {KNOWN_KEYS}."
            )
        extras = {k: v for k, v in inputs.items() if k not in KNOWN_KEYS}
        images = inputs["images"]
        labels = inputs.get("labels")
        boxes_in = inputs.get("bounding_boxes")
        masks = inputs.get("segmentation_masks")
        keypoints = inputs.get("keypoints")
    elif isinstance(inputs, (tuple, list)):
        if len(inputs) not in (2, 3):
            raise ValueError(
                "A tuple input must be (images, labels) or (images, labels, sample_weight); "
                f"got {len(inputs)} elements."
            )
        kind = "tuple"
        images, labels = inputs[0], inputs[1]
        tuple_rest = tuple(inputs[2:])
    else:
        images = inputs
    images = tf.convert_to_tensor(images)
    _check_images(images)
    images = as_compute_dtype(images, compute_dtype)
    batched = images.shape.rank == 4
    if not batched:
        images = images[None]
    if data_format == "channels_first":
        images = tf.transpose(images, [0, 2, 3, 1])
    add_batch = (lambda t: t) if batched else (lambda t: tf.convert_to_tensor(t)[None])
    if labels is not None:
        labels = tf.nest.map_structure(lambda t: add_batch(tf.convert_to_tensor(t)), labels)
    batch = Batch(images=images, labels=labels, kind=kind, batched=batched, extras=extras,
                  tuple_rest=tuple_rest, data_format=data_format)
    if boxes_in is not None:
        if bounding_box_format is None:
            raise ValueError(
                "Inputs carry `bounding_boxes` but the layer's `bounding_box_format` is None; "
                f"set it to one of {box_utils.BOX_FORMATS}."
            )
        if not isinstance(boxes_in, dict) or "boxes" not in boxes_in or "labels" not in boxes_in:
            raise ValueError('`bounding_boxes` must be a dict with keys "boxes" and "labels".')
        raw, box_labels = _batched_boxes(boxes_in, batched, batch.batch_size)
        batch.box_dtype = raw.dtype
        batch.boxes = box_utils.to_xyxy(raw, bounding_box_format, batch.height, batch.width)
        batch.box_labels = box_labels
        batch.box_format = bounding_box_format
    if masks is not None:
        masks = add_batch(tf.convert_to_tensor(masks))
        if masks.shape.rank == 3:
            batch.mask_has_channel = False
            masks = masks[..., None]
        elif masks.shape.rank == 4:
            if data_format == "channels_first":
                masks = tf.transpose(masks, [0, 2, 3, 1])
        else:
            raise ValueError(
                "`segmentation_masks` must have shape [H, W], [H, W, 1], [B, H, W] or [B, H, W, 1]; "
                f"got {masks.shape}."
            )
        batch.mask_dtype = masks.dtype
        batch.masks = masks
    if keypoints is not None:
        keypoints = add_batch(tf.convert_to_tensor(keypoints))
        if keypoints.shape.rank != 3 or keypoints.shape[-1] not in (2, 3):
            raise ValueError(
                f"`keypoints` must have shape [N, 2|3] or [B, N, 2|3] (x, y[, visibility]); got {keypoints.shape}."
            )
        batch.keypoint_dtype = keypoints.dtype
        batch.keypoints = tf.cast(keypoints, tf.float32)
    return batch


def _batched_boxes(boxes_in, batched, batch_size):
    """Boxes [B, N, 4] and their labels [B, N].

    One [N, 4] array given with a batch of images applies to every image, as
    in Keras; the output then carries [B, N, 4], since each image's boxes move
    with it.
    """
    raw = tf.convert_to_tensor(boxes_in["boxes"])
    labels = tf.convert_to_tensor(boxes_in["labels"])
    if raw.shape.rank not in (2, 3) or raw.shape[-1] != 4:
        raise ValueError(f"`bounding_boxes['boxes']` must have shape [N, 4] or [B, N, 4]; got {raw.shape}.")
    if labels.shape.rank != raw.shape.rank - 1:
        raise ValueError(
            "`bounding_boxes['labels']` must have one label per box ([N] with [N, 4] boxes, [B, N] with "
            f"[B, N, 4]); got labels of shape {labels.shape} for boxes of shape {raw.shape}."
        )
    if raw.shape.rank == 3 and not batched:
        raise ValueError(
            f"`bounding_boxes['boxes']` of shape {raw.shape} (batched) came with a single image; give [N, 4]."
        )
    if raw.shape.rank == 2:
        if batched:
            return tf.repeat(raw[None], batch_size, axis=0), tf.repeat(labels[None], batch_size, axis=0)
        return raw[None], labels[None]
    return raw, labels
