"""`grid`: a batch of images and their annotations as one uint8 RGB picture."""

import dataclasses
import math

import numpy as np

from keras_aug.core import boxes as box_utils
from keras_aug.core.geometric import DEFAULT_MASK_FILL_VALUE
from keras_aug.visualize import draw

_BACKGROUND = 255  # white between tiles
DATA_FORMATS = ("channels_last", "channels_first")


@dataclasses.dataclass
class Samples:
    """A batch in numpy, channels last, boxes absolute xyxy; any target may be None."""

    images: np.ndarray  # [B, H, W, C]
    boxes: np.ndarray = None  # [B, N, 4] xyxy
    box_labels: np.ndarray = None  # [B, N], -1 = padding
    masks: np.ndarray = None  # [B, H, W]
    keypoints: np.ndarray = None  # [B, K, 2|3]
    labels: np.ndarray = None  # [B, ...]


def _array(value, name):
    try:
        return np.asarray(value)
    except Exception as e:  # a symbolic tensor, a ragged structure...
        raise ValueError(f"`{name}` must be an array or an eager tensor; got {type(value).__name__} ({e}).") from e


def _merge_dict(images, given):
    """Splits a layer-style dict (or an (images, labels) tuple) into separate targets."""
    if isinstance(images, tuple) and len(images) in (2, 3):
        images = {"images": images[0], "labels": images[1]}
    if not isinstance(images, dict):
        return images, given
    if "images" not in images:
        raise ValueError(f"A dict passed as `images` must have an 'images' key; got keys {sorted(images)}.")
    merged = dict(given)
    for key in ("bounding_boxes", "segmentation_masks", "keypoints", "labels"):
        if key in images and images[key] is not None:
            if given.get(key) is not None:
                raise ValueError(f"`{key}` was given both in the `images` dict and as an argument; pass it once.")
            merged[key] = images[key]
    return images["images"], merged


def to_samples(images, bounding_boxes=None, segmentation_masks=None, keypoints=None, labels=None,
               bounding_box_format="xyxy", data_format="channels_last"):
    """Normalizes grid inputs (arrays, tensors, a layer-style dict) into a batched `Samples`."""
    if data_format not in DATA_FORMATS:
        raise ValueError(f"`data_format` must be one of {DATA_FORMATS}; got {data_format!r}.")
    given = dict(bounding_boxes=bounding_boxes, segmentation_masks=segmentation_masks,
                 keypoints=keypoints, labels=labels)
    images, given = _merge_dict(images, given)
    images = _array(images, "images")
    if images.ndim not in (3, 4):
        raise ValueError(f"`images` must have rank 3 (one image) or 4 (a batch); got shape {images.shape}.")
    batched = images.ndim == 4
    add_batch = (lambda a: a) if batched else (lambda a: a[None])
    images = add_batch(images)
    if data_format == "channels_first":
        images = np.moveaxis(images, 1, -1)
    if images.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"`images` must have 1, 3 or 4 channels ({data_format}); got shape {images.shape}. Check `data_format`."
        )
    samples = Samples(images=images)
    height, width = images.shape[1:3]
    if given["bounding_boxes"] is not None:
        samples.boxes, samples.box_labels = _boxes(given["bounding_boxes"], add_batch, bounding_box_format,
                                                   height, width)
    if given["segmentation_masks"] is not None:
        masks = add_batch(_array(given["segmentation_masks"], "segmentation_masks"))
        if masks.ndim == 4:
            masks = masks[:, 0] if data_format == "channels_first" else masks[..., 0]
        if masks.shape != images.shape[:3]:
            raise ValueError(
                f"`segmentation_masks` must match the images' batch, height and width {images.shape[:3]}; "
                f"got shape {masks.shape}."
            )
        samples.masks = masks
    if given["keypoints"] is not None:
        points = add_batch(_array(given["keypoints"], "keypoints")).astype(np.float64)
        if points.ndim != 3 or points.shape[-1] not in (2, 3) or len(points) != len(images):
            raise ValueError(f"`keypoints` must have shape [B, K, 2|3] (x, y[, visible]); got {points.shape}.")
        samples.keypoints = points
    if given["labels"] is not None:
        labels = add_batch(_array(given["labels"], "labels"))
        if len(labels) != len(images):
            raise ValueError(f"`labels` must have one entry per image ({len(images)}); got shape {labels.shape}.")
        samples.labels = labels
    return samples


def _boxes(bounding_boxes, add_batch, bounding_box_format, height, width):
    if isinstance(bounding_boxes, dict):
        if "boxes" not in bounding_boxes:
            raise ValueError('`bounding_boxes` must be a dict with keys "boxes" and "labels", or a [B, N, 4] array.')
        boxes = add_batch(_array(bounding_boxes["boxes"], "bounding_boxes['boxes']"))
        labels = bounding_boxes.get("labels")
        labels = None if labels is None else add_batch(_array(labels, "bounding_boxes['labels']"))
    else:
        boxes, labels = add_batch(_array(bounding_boxes, "bounding_boxes")), None
    if boxes.ndim != 3 or boxes.shape[-1] != 4:
        raise ValueError(f"`bounding_boxes['boxes']` must have shape [B, N, 4]; got {boxes.shape}.")
    if labels is None:
        labels = np.zeros(boxes.shape[:2], np.int64)
    box_utils.validate_format(bounding_box_format)
    xyxy = box_utils.to_xyxy(boxes.astype(np.float32), bounding_box_format, height, width).numpy()
    return xyxy, np.asarray(labels).astype(np.int64)


def default_value_range(images):
    """(0, 255) for integer images; for floats (0, 1) when every value is in [0, 1], else (0, 255)."""
    if np.issubdtype(images.dtype, np.floating) and images.size:
        finite = images[np.isfinite(images)]
        if finite.size and finite.min() >= 0 and finite.max() <= 1:
            return (0.0, 1.0)
    return (0.0, 255.0)


def label_text(label, class_names=None):
    """A short caption for one sample's label: a class id, a binary probability, or a
    one-hot / soft (MixUp, CutMix) vector."""
    label = np.asarray(label)
    name = (lambda i: class_names[i] if class_names is not None and 0 <= i < len(class_names) else str(i))
    if label.ndim == 0 or label.size == 1:
        value = float(label.reshape(()))
        if value.is_integer():
            return name(int(value))
        return f"{name(1)} {value:.2f}" if class_names is not None and len(class_names) == 2 else f"{value:.2f}"
    order = np.argsort(-label.reshape(-1), kind="stable")
    top = order[0]
    if label.reshape(-1)[top] == 1 and np.count_nonzero(label) == 1:
        return name(int(top))
    return " ".join(f"{name(int(i))} {label.reshape(-1)[i]:.2f}" for i in order[:2] if label.reshape(-1)[i] > 0)


def render(samples, index, value_range, class_names=None, mask_alpha=0.5, mask_ignore_value=DEFAULT_MASK_FILL_VALUE,
           box_thickness=2):
    """Sample `index` of `samples` as a uint8 RGB tile with its annotations drawn."""
    tile = draw.to_rgb_uint8(samples.images[index], value_range)
    if samples.masks is not None:
        draw.overlay_mask(tile, samples.masks[index], mask_alpha, mask_ignore_value)
    boxes_to_name = []
    if samples.boxes is not None:
        for box, label in zip(samples.boxes[index], samples.box_labels[index]):
            if label >= 0:  # -1: padding or a box the augmentation pushed out
                draw.draw_box(tile, box, draw.colour_of(label), box_thickness)
                boxes_to_name.append((box, label))
    if samples.keypoints is not None:
        for k, point in enumerate(samples.keypoints[index]):
            if point.shape[0] == 3 and point[2] <= 0:
                continue  # marked invisible
            draw.draw_keypoint(tile, point[0], point[1], draw.colour_of(k))
    if class_names is not None:
        for box, label in boxes_to_name:
            x = min(max(int(round(box[0])), 0), tile.shape[1] - 1)
            y = min(max(int(round(box[1])), 0), tile.shape[0] - 1)
            draw.draw_text(tile, label_text(label, class_names), x + 2, y + 2, background=draw.colour_of(label))
    return tile


def layout(tiles, captions=None, cols=None, padding=4):
    """Places tiles (uint8 RGB, any sizes) row by row on a white sheet; returns it.

    Each tile is centred in a cell as large as the largest tile; a caption, when given,
    is written under its tile.
    """
    if not tiles:
        raise ValueError("There is nothing to draw: no images were given.")
    cols = min(len(tiles), 8) if cols is None else int(cols)
    if cols < 1:
        raise ValueError(f"`cols` must be a positive int or None; got {cols!r}.")
    rows = math.ceil(len(tiles) / cols)
    cell_h = max(t.shape[0] for t in tiles)
    cell_w = max(t.shape[1] for t in tiles)
    text_h = draw.text_height() if captions and any(captions) else 0
    step_h, step_w = cell_h + text_h + padding, cell_w + padding
    sheet = np.full((rows * step_h + padding, cols * step_w + padding, 3), _BACKGROUND, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        top = padding + r * step_h + (cell_h - tile.shape[0]) // 2
        left = padding + c * step_w + (cell_w - tile.shape[1]) // 2
        sheet[top:top + tile.shape[0], left:left + tile.shape[1]] = tile
        if text_h and captions[i]:
            caption_top = padding + r * step_h + cell_h + 1
            region = sheet[caption_top:caption_top + text_h, padding + c * step_w:padding + c * step_w + cell_w]
            draw.draw_text(region, captions[i], 1, 0)
    return sheet


def grid(images, bounding_boxes=None, segmentation_masks=None, keypoints=None, labels=None, class_names=None,
         captions=None, bounding_box_format="xyxy", value_range=None, cols=None, padding=4, mask_alpha=0.5,
         mask_ignore_value=DEFAULT_MASK_FILL_VALUE, data_format="channels_last"):
    """Draws a batch and its annotations as one uint8 [H, W, 3] RGB image.

    Args:
        images: [B, H, W, C] or [H, W, C] (C in 1, 3, 4; uint8, any int or float), a numpy
            array or an eager tensor; or the dict a keras_aug layer takes (keys `images`,
            `labels`, `bounding_boxes`, `segmentation_masks`, `keypoints`), or an
            `(images, labels)` tuple as tf.data yields it.
        bounding_boxes: {"boxes": [B, N, 4], "labels": [B, N]} (label -1 = padding, not
            drawn) or a [B, N, 4] array; outlined in the colour of their label.
        segmentation_masks: [B, H, W] or [B, H, W, 1] integer class ids; every non-zero
            class is overlaid in its colour, `mask_ignore_value` in grey.
        keypoints: [B, K, 2|3]: x, y in pixels (and a visibility flag: <= 0 is not drawn);
            keypoint k is a square in colour k, ringed in black.
        labels: one label per image (class id, binary probability, one-hot or soft
            vector), written under each tile.
        class_names: list of names for class ids (labels and box labels); box labels are
            written on their boxes only when names are given.
        captions: list of one string per image, written under each tile (instead of labels).
        bounding_box_format: format of the boxes: "xyxy", "xywh", "center_xywh", or one of
            those prefixed "rel_" (fractions of the image size).
        value_range: (low, high) shown as black and white. Default: (0, 255) for integer
            images; for floats (0, 1) when all values lie in [0, 1], else (0, 255).
        cols: tiles per row (default: up to 8).
        padding: pixels of white between tiles.
        mask_alpha: opacity of the mask overlay in [0, 1].
        mask_ignore_value: the mask value drawn in grey (default 255, the layers' fill for
            pixels a warp brings in from outside the image); None to draw it like a class.
        data_format: "channels_last" or "channels_first" (images and 4-D masks).

    Returns:
        A uint8 numpy array [height, width, 3] (save it with `PIL.Image.fromarray(...)`).
    """
    samples = to_samples(images, bounding_boxes, segmentation_masks, keypoints, labels, bounding_box_format,
                         data_format)
    value_range = default_value_range(samples.images) if value_range is None else tuple(value_range)
    if len(value_range) != 2 or not value_range[1] > value_range[0]:
        raise ValueError(f"`value_range` must be (low, high) with high > low; got {value_range!r}.")
    if not 0 <= mask_alpha <= 1:
        raise ValueError(f"`mask_alpha` must be in [0, 1]; got {mask_alpha!r}.")
    count = len(samples.images)
    if captions is not None and len(captions) != count:
        raise ValueError(f"`captions` must have one string per image ({count}); got {len(captions)}.")
    if captions is None and samples.labels is not None:
        captions = [label_text(label, class_names) for label in samples.labels]
    tiles = [render(samples, i, value_range, class_names, mask_alpha, mask_ignore_value) for i in range(count)]
    return layout(tiles, captions, cols, padding)
