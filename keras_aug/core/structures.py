"""Input structures: what a layer accepts and how its output keeps that shape.

A layer accepts
  * an image tensor, HWC or NHWC (CHW / NCHW with data_format="channels_first"),
  * an `(images, labels)` or `(images, labels, sample_weight)` tuple, as tf.data yields it,
  * a dict with Keras's keys: `images`, `labels`, `bounding_boxes`
    (`{"boxes": [N, 4] or [B, N, 4], "labels": [N] or [B, N]}`, padded with label -1;
    `[1, N]` labels with `[N, 4]` boxes, as Keras's tests give them, come back as `[1, N]`),
    `segmentation_masks` ([H, W], [H, W, 1], [B, H, W] or [B, H, W, 1]),
    `keypoints` ([N, 2|3] or [B, N, 2|3]: x, y and optionally visibility).
    Other keys are passed through unchanged.

`unpack` turns any of these into a `Batch` (always batched, channels last,
boxes as absolute xyxy float32), and `Batch.pack` turns a transformed batch
back into the caller's structure, dtype and box format.
"""

import dataclasses

from keras import tree

from keras_aug.core import boxes as box_utils
from keras_aug.core import dtypes
from keras_aug.core.backend import ops

IMAGE_DTYPES = ("uint8", "float16", "bfloat16", "float32", "float64")
# Integer images other than uint8 are cast to the layer's compute dtype, as Keras does.
CAST_DTYPES = ("int8", "int16", "int32", "int64", "uint16", "uint32", "uint64")
KNOWN_KEYS = ("images", "labels", "bounding_boxes", "segmentation_masks", "keypoints")


@dataclasses.dataclass
class Batch:
    """One batch of samples and their annotations, in the internal layout."""

    images: object  # [B, H, W, C], the caller's dtype
    labels: object = None  # any tensor with a leading batch axis (or None)
    boxes: object = None  # [B, N, 4] absolute xyxy float32
    box_labels: object = None  # [B, N]
    masks: object = None  # [B, H, W, 1]
    keypoints: object = None  # [B, N, 2|3] float32
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
    # One [N, 4] box array given with a batch (tiled to [B, N, 4] on unpack): when
    # no layer touched the boxes, `pack` gives the array back as it came, as Keras does.
    shared_boxes: object = None  # (boxes, box_labels) as unpacked, or None
    box_labels_leading_one: bool = False  # labels came as [1, N] with [N, 4] boxes
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

    def _pack_box_arrays(self, boxes, labels):
        """`{"boxes", "labels"}` in the shapes they came in (see `shared_boxes`)."""
        untouched = self.shared_boxes is not None and (
            self.shared_boxes[0] is self.boxes and self.shared_boxes[1] is self.box_labels
        )
        if not self.batched or untouched:
            boxes = boxes[0]
            labels = labels[:1] if self.box_labels_leading_one else labels[0]
        return {"boxes": boxes, "labels": labels}

    def pack(self):
        """Returns the batch in the structure, layout and formats it came in."""
        images = self.images
        if self.data_format == "channels_first":
            images = ops.transpose(images, [0, 3, 1, 2])
        unbatch = (lambda t: t[0]) if not self.batched else (lambda t: t)
        if self.kind == "tensor":
            return unbatch(images)
        labels = None if self.labels is None else tree.map_structure(unbatch, self.labels)
        if self.kind == "tuple":
            return (unbatch(images), labels) + tuple(self.tuple_rest)
        out = dict(self.extras)
        out["images"] = unbatch(images)
        if self.labels is not None:
            out["labels"] = labels
        if self.boxes is not None:
            boxes = box_utils.from_xyxy(self.boxes, self.box_format, self.height, self.width)
            valid = self.box_labels >= 0
            boxes = ops.where(valid[..., None], boxes, -ops.ones_like(boxes))
            out["bounding_boxes"] = self._pack_box_arrays(ops.cast(boxes, self.box_dtype), self.box_labels)
        if self.masks is not None:
            masks = self.masks
            if not self.mask_has_channel:
                masks = masks[..., 0]
            if self.data_format == "channels_first" and self.mask_has_channel:
                masks = ops.transpose(masks, [0, 3, 1, 2])
            out["segmentation_masks"] = unbatch(ops.cast(masks, self.mask_dtype))
        if self.keypoints is not None:
            out["keypoints"] = unbatch(ops.cast(self.keypoints, self.keypoint_dtype))
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
    return static if static is not None else ops.shape(tensor)[axis]


def _check_images(images):
    if len(images.shape) not in (3, 4):
        raise ValueError(
            "Expected the input image to be rank 3 or 4: `images` must be HWC or NHWC "
            f"(channel order set by `data_format`); got shape {images.shape}."
        )
    dtype = dtypes.name_of(images)
    if dtype not in IMAGE_DTYPES + CAST_DTYPES:
        raise ValueError(f"`images` dtype must be one of {list(IMAGE_DTYPES + CAST_DTYPES)}; got {dtype}.")


def as_compute_dtype(images, compute_dtype):
    """Keras's dtype convention: float and integer images are computed and
    returned in the layer's compute dtype; uint8 images stay uint8 (on purpose:
    the cheap path for 8-bit data, see the README)."""
    dtype = dtypes.name_of(images)
    if compute_dtype is None or dtype == "uint8" or dtype == dtypes.name_of(compute_dtype):
        return images
    return ops.cast(images, compute_dtype)


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
    images = _as_tensor(images)
    _check_images(images)
    images = as_compute_dtype(images, compute_dtype)
    batched = len(images.shape) == 4
    if not batched:
        images = images[None]
    if data_format == "channels_first":
        images = ops.transpose(images, [0, 2, 3, 1])
    add_batch = (lambda t: t) if batched else (lambda t: _as_tensor(t)[None])
    if labels is not None:
        labels = tree.map_structure(lambda t: add_batch(_as_tensor(t)), labels)
    batch = Batch(images=images, labels=labels, kind=kind, batched=batched, extras=extras,
                  tuple_rest=tuple_rest, data_format=data_format)
    if boxes_in is not None:
        _add_boxes(batch, boxes_in, bounding_box_format)
    if masks is not None:
        _add_masks(batch, add_batch(_as_tensor(masks)), data_format)
    if keypoints is not None:
        _add_keypoints(batch, add_batch(_as_tensor(keypoints)))
    return batch


def _add_masks(batch, masks, data_format):
    """Sets `batch.masks` ([B, H, W, 1]) from batched masks of rank 3 or 4."""
    if len(masks.shape) == 3:
        batch.mask_has_channel = False
        masks = masks[..., None]
    elif len(masks.shape) == 4:
        if data_format == "channels_first":
            masks = ops.transpose(masks, [0, 2, 3, 1])
    else:
        raise ValueError(
            "`segmentation_masks` must have shape [H, W], [H, W, 1], [B, H, W] or [B, H, W, 1]; "
            f"got {masks.shape}."
        )
    batch.mask_dtype = dtypes.name_of(masks)
    batch.masks = masks


def _add_keypoints(batch, keypoints):
    """Sets `batch.keypoints` ([B, N, 2|3] float32) from batched keypoints."""
    if len(keypoints.shape) != 3 or keypoints.shape[-1] not in (2, 3):
        raise ValueError(
            f"`keypoints` must have shape [N, 2|3] or [B, N, 2|3] (x, y[, visibility]); got {keypoints.shape}."
        )
    batch.keypoint_dtype = dtypes.name_of(keypoints)
    batch.keypoints = ops.cast(keypoints, "float32")


def _as_tensor(value):
    """A tensor of the current backend; arrays keep their dtype (python floats are float32)."""
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        return ops.convert_to_tensor(value, dtypes.name_of(value))
    return ops.convert_to_tensor(value)


def _add_boxes(batch, boxes_in, bounding_box_format):
    """Sets `batch.boxes` (absolute xyxy, [B, N, 4]) and `batch.box_labels` ([B, N]).

    One [N, 4] array given with a batch of images applies to every image, as
    in Keras: it is tiled here, and comes back as given when no layer moved it
    (else as [B, N, 4], since each image's boxes move with it).
    """
    if bounding_box_format is None:
        raise ValueError(
            "Inputs carry `bounding_boxes` but the layer's `bounding_box_format` is None; "
            f"set it to one of {box_utils.BOX_FORMATS}."
        )
    if not isinstance(boxes_in, dict) or "boxes" not in boxes_in or "labels" not in boxes_in:
        raise ValueError('`bounding_boxes` must be a dict with keys "boxes" and "labels".')
    raw = _as_tensor(boxes_in["boxes"])
    labels = _as_tensor(boxes_in["labels"])
    # Keras's tests give one image's box labels as [1, N] beside [N, 4] boxes.
    batch.box_labels_leading_one = len(raw.shape) == 2 and len(labels.shape) == 2 and labels.shape[0] == 1
    if batch.box_labels_leading_one:
        labels = labels[0]
    _check_box_shapes(raw, labels, batch.batched)
    # Integer boxes come back float32 (as in Keras): moved coordinates are fractional.
    batch.box_dtype = "float32" if dtypes.is_integer(raw) else dtypes.name_of(raw)
    shared = len(raw.shape) == 2 and batch.batched
    if len(raw.shape) == 2:
        raw, labels = raw[None], labels[None]
    if shared:
        raw = ops.repeat(raw, batch.batch_size, axis=0)
        labels = ops.repeat(labels, batch.batch_size, axis=0)
    batch.boxes = box_utils.to_xyxy(raw, bounding_box_format, batch.height, batch.width)
    batch.box_labels = labels
    batch.box_format = bounding_box_format
    if shared:
        batch.shared_boxes = (batch.boxes, batch.box_labels)


def _check_box_shapes(raw, labels, batched):
    if len(raw.shape) not in (2, 3) or raw.shape[-1] != 4:
        raise ValueError(f"`bounding_boxes['boxes']` must have shape [N, 4] or [B, N, 4]; got {raw.shape}.")
    if len(labels.shape) != len(raw.shape) - 1:
        raise ValueError(
            "`bounding_boxes['labels']` must have one label per box ([N] or [1, N] with [N, 4] boxes, [B, N] "
            f"with [B, N, 4]); got labels of shape {labels.shape} for boxes of shape {raw.shape}."
        )
    if len(raw.shape) == 3 and not batched:
        raise ValueError(
            f"`bounding_boxes['boxes']` of shape {raw.shape} (batched) came with a single image; give [N, 4]."
        )
