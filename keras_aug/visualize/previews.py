"""`preview`: each image beside `n` augmented versions of it, from a seed."""

import numpy as np

from keras_aug.core import boxes as box_utils
from keras_aug.core.base import Augmentation
from keras_aug.core.geometric import DEFAULT_MASK_FILL_VALUE
from keras_aug.visualize import grids


def _repeat(samples, n):
    """Every sample of `samples` repeated n times in a row, as the dict a layer takes."""
    inputs = {"images": np.repeat(samples.images, n, axis=0)}
    if samples.boxes is not None:
        inputs["bounding_boxes"] = {
            "boxes": np.repeat(samples.boxes, n, axis=0).astype(np.float32),
            "labels": np.repeat(samples.box_labels, n, axis=0).astype(np.int32),
        }
    if samples.masks is not None:
        inputs["segmentation_masks"] = np.repeat(samples.masks[..., None], n, axis=0)
    if samples.keypoints is not None:
        inputs["keypoints"] = np.repeat(samples.keypoints, n, axis=0).astype(np.float32)
    if samples.labels is not None:
        inputs["labels"] = np.repeat(samples.labels, n, axis=0)
    return inputs


def augment(layer, inputs, seed):
    """Calls `layer` on `inputs` in augmenting mode; keras_aug layers draw from `seed`.

    Other Keras layers are called with `training=True` after `keras.utils.set_random_seed`
    (their repeatability is Keras's: it holds only for layers built after that call).
    """
    if isinstance(layer, Augmentation):
        return layer(inputs, training=True, seed=seed)
    if seed is not None:
        import keras

        keras.utils.set_random_seed(seed)
    return layer(inputs, training=True)


def preview(layer, images, n=4, seed=0, bounding_box_format=None, class_names=None, value_range=None, padding=4,
            mask_alpha=0.5, mask_ignore_value=DEFAULT_MASK_FILL_VALUE, **targets):
    """Each image in a row: the original, then `n` augmented versions of it.

    All `B * n` augmented versions come from one call of `layer` on a batch holding each
    image `n` times, so they show the per-sample randomness; the same `seed` gives the
    same picture.

    Args:
        layer: a keras_aug layer or `Pipeline` (or any Keras layer that takes the
            `images` dict; see `augment` for how it is seeded).
        images: [B, H, W, C] or [H, W, C], or the dict a layer takes (annotations move
            with the images and are drawn); see `grid`.
        n: augmented versions per image, >= 1.
        seed: int seed of the augmentation, or None for a fresh draw every call.
        bounding_box_format: format of the boxes given here; default: the layer's own
            `bounding_box_format`, else "xyxy". They are handed to the layer in its own
            format.
        class_names, value_range, padding, mask_alpha, mask_ignore_value: as in `grid`.
        **targets: `bounding_boxes`, `segmentation_masks`, `keypoints`, `labels` as in `grid`.

    Returns:
        A uint8 [height, width, 3] RGB image: B rows of n + 1 tiles.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"`n` must be an int >= 1; got {n!r}.")
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)):
        raise ValueError(f"`seed` must be an int or None; got {seed!r}.")
    unknown = set(targets) - {"bounding_boxes", "segmentation_masks", "keypoints", "labels"}
    if unknown:
        raise TypeError(f"preview() got unexpected keyword arguments {sorted(unknown)}.")
    layer_format = getattr(layer, "bounding_box_format", None)
    given_format = bounding_box_format or layer_format or "xyxy"
    layer_format = layer_format or given_format
    samples = grids.to_samples(images, bounding_box_format=given_format, **targets)
    inputs = _repeat(samples, n)
    if samples.boxes is not None:
        # The layer reads (and returns) boxes in its own format.
        inputs["bounding_boxes"]["boxes"] = _from_xyxy(inputs["bounding_boxes"]["boxes"], layer_format, samples)
    if set(inputs) == {"images"}:
        inputs = inputs["images"]
    out = augment(layer, inputs, None if seed is None else int(seed))
    augmented = grids.to_samples(out, bounding_box_format=layer_format)
    value_range = grids.default_value_range(samples.images) if value_range is None else tuple(value_range)
    draw_args = dict(value_range=value_range, class_names=class_names, mask_alpha=mask_alpha,
                     mask_ignore_value=mask_ignore_value)
    tiles, captions = [], []
    for b in range(len(samples.images)):
        label = "" if samples.labels is None else " " + grids.label_text(samples.labels[b], class_names)
        tiles.append(grids.render(samples, b, **draw_args))
        captions.append("original" + label)
        for k in range(n):
            i = b * n + k
            tiles.append(grids.render(augmented, i, **draw_args))
            # Mixing layers change labels: show what the model is trained on.
            label = "" if augmented.labels is None else " " + grids.label_text(augmented.labels[i], class_names)
            captions.append(f"#{k + 1}{label}")
    return grids.layout(tiles, captions, cols=n + 1, padding=padding)


def _from_xyxy(boxes, bounding_box_format, samples):
    height, width = samples.images.shape[1:3]
    return box_utils.from_xyxy(boxes, bounding_box_format, height, width).numpy()
