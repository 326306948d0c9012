"""The tf.data machinery shared by `from_directory`, `from_dataframe` and `from_arrays`.

One epoch of a pipeline is built like this:

1. **Epoch key.** `tf.data.Dataset.random(seed, rerandomize_each_iteration=True).take(1)`
   yields one int64 per iteration of the dataset (one per epoch in `model.fit`): the same
   sequence of keys for the same `seed`, a new key for every epoch.
2. **Order.** The permutation of the epoch is a stateless function of (seed, key)
   (`argsort` of stateless uniforms), so shuffling does not depend on buffer sizes or on
   how many threads run. Elements are `(position, index, key)`.
3. **Load** (parallel `map`, `deterministic=True`): read + decode + resize one element;
   a leading run of geometric augmentation is fused with the resize (one resample) and
   seeded per image from `(key, index)`.
4. **Bad-file net.** `ignore_errors()` drops an element whose decoding failed (corruption
   the listing-time probe could not see); a `scan` over positions spots the gap, looks up
   the dropped file and reports it by path (warning + `bad_files`), or raises with
   `on_bad_file="raise"`. A sentinel element at position `n` catches gaps at the end.
5. **Batch**, then the non-geometric rest of the augmentation per batch with a seed from
   `(key, batch index)`, then `prefetch`.

Every random draw is a stateless function of (seed, epoch key, index), so the same seed
gives bitwise-identical batches at any `num_parallel_calls`, and every epoch differs.
"""

import contextlib
import dataclasses
import random
from typing import Any
from typing import Callable
from typing import Optional

import numpy as np
import tensorflow as tf

from keras_aug.core import warp as warp_lib
from keras_aug.data import decoding

AUTOTUNE = tf.data.AUTOTUNE

# tf.image.resize names for the legacy interpolation names.
_INTERPOLATIONS = {
    "nearest": "nearest",
    "bilinear": "bilinear",
    "bicubic": "bicubic",
    "area": "area",
    "box": "area",
    "lanczos": "lanczos3",
    "lanczos3": "lanczos3",
    "lanczos5": "lanczos5",
    "gaussian": "gaussian",
    "mitchellcubic": "mitchellcubic",
}


def resize_method(interpolation):
    """Maps an interpolation name (legacy or tf.image) to a `tf.image.resize` method."""
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"interpolation must be one of {sorted(_INTERPOLATIONS)}; "
            f"received interpolation={interpolation!r}"
        )
    return _INTERPOLATIONS[interpolation]


def resolve_seed(seed):
    """An int seed: the given one, or a random one (so epochs still differ)."""
    if seed is None:
        return random.randrange(2**31 - 1)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int or None; received seed={seed!r}")
    return int(seed)


def epoch_order(seed, key, n, shuffle):
    """int64 [n] permutation of the epoch: stateless in (seed, key)."""
    if not shuffle:
        return tf.range(n, dtype=tf.int64)
    noise = tf.random.stateless_uniform(
        [n], seed=tf.stack([tf.constant(seed, tf.int64), key]), dtype=tf.float32
    )
    return tf.cast(tf.argsort(noise, stable=True), tf.int64)


def image_seed(key, index):
    """int32 [2] augmentation seed of one image (epoch key, sample index)."""
    return tf.random.stateless_uniform(
        [2], seed=tf.stack([key, tf.cast(index, tf.int64)]), minval=None, maxval=None, dtype=tf.int32
    )


def batch_seed(key, batch_index):
    """int32 [2] augmentation seed of one batch; negative second word: never an image's."""
    return tf.random.stateless_uniform(
        [2],
        seed=tf.stack([key, -1 - tf.cast(batch_index, tf.int64)]),
        minval=None,
        maxval=None,
        dtype=tf.int32,
    )


def split_augment(augment):
    """Splits `augment` into (leading geometric layers, the rest as a callable or None).

    The leading geometric run runs per image before batching (fused with the resize); the
    rest runs per batch. A single layer is all-geometric or all-rest; a Pipeline is split
    at its first non-geometric layer.
    """
    if augment is None:
        return [], None
    layers = getattr(augment, "layers", None)
    if layers is not None and hasattr(augment, "_steps"):  # a keras_aug.Pipeline
        layers = list(layers)
        n = 0
        while n < len(layers) and getattr(layers[n], "is_geometric", False):
            n += 1
        head, tail = layers[:n], layers[n:]
        if not tail:
            return head, None
        if not head:
            return [], augment
        import keras_aug

        return head, keras_aug.Pipeline(tail, seed=getattr(augment, "seed", None))
    if getattr(augment, "is_geometric", False):
        return [augment], None
    if not callable(augment):
        raise ValueError(f"augment must be a keras_aug layer, a keras_aug.Pipeline or None; received {augment!r}")
    return [], augment


@dataclasses.dataclass
class Targets:
    """What the pipeline yields besides images.

    Attributes:
        mode: "categorical" (int `values` -> one-hot over `num_classes`), "multi_hot"
            (float matrix `values`), "scalar" (float vector `values`: binary, sparse),
            "raw" (array `values`, any trailing shape), "multi_output" (list of arrays),
            "input" (the images again), or None (images only).
        values: per-sample label table (row i belongs to sample i), or list of them.
        num_classes: for "categorical".
        sample_weight: optional float per-sample weights; yields (x, y, w).
    """

    mode: Optional[str]
    values: Any = None
    num_classes: int = 0
    sample_weight: Any = None


def _label_fn(targets, dtype):
    """Returns `index -> y` (graph), or None when the pipeline yields no labels."""
    mode = targets.mode
    if mode in (None, "input"):
        return None
    if mode == "multi_output":
        tables = [tf.constant(np.asarray(v)) for v in targets.values]
        return lambda i: tuple(tf.gather(t, i) for t in tables)
    if mode == "categorical":
        table = tf.constant(np.asarray(targets.values, dtype=np.int32))
        k = targets.num_classes
        return lambda i: tf.one_hot(tf.gather(table, i), k, dtype=dtype)
    if mode in ("multi_hot", "scalar"):
        table = tf.constant(np.asarray(targets.values), dtype=dtype)
        return lambda i: tf.gather(table, i)
    if mode == "raw":
        values = np.asarray(targets.values)
        if values.dtype == object:
            raise ValueError(
                "class_mode='raw' needs numeric y_col values (got an object column)."
            )
        table = tf.constant(values)
        return lambda i: tf.gather(table, i)
    raise ValueError(f"unknown targets mode {mode!r}")


@dataclasses.dataclass
class Source:
    """Where samples come from. Exactly one of `probes` (files) or `array` (in memory)."""

    n: int
    probes: Optional[list] = None  # decoding.Probe per sample, all ok
    ratio_index: Optional[np.ndarray] = None
    array: Optional[np.ndarray] = None


def build(
    source,
    targets,
    *,
    target_size,
    color_mode="rgb",
    batch_size=32,
    shuffle=True,
    seed=None,
    interpolation="bilinear",
    keep_aspect_ratio=False,
    augment=None,
    bad_files=None,
    num_parallel_calls=AUTOTUNE,
    dtype="float32",
    image_fn: Optional[Callable] = None,
    batch_fn: Optional[Callable] = None,
    fuse_resize="auto",
):
    """Builds the dataset; see the module docstring for the stages.

    Args:
        source: a `Source`.
        targets: a `Targets`.
        target_size: (height, width) of output images; None keeps array sizes (arrays
            only).
        color_mode: "grayscale", "rgb" or "rgba" (files).
        batch_size: int >= 1, or None for unbatched elements.
        shuffle: reshuffle every epoch.
        seed: int or None (random); fixes order and augmentation.
        interpolation: resize interpolation name.
        keep_aspect_ratio: centre-crop to the target aspect ratio before resizing.
        augment: a keras_aug layer / Pipeline, or None.
        bad_files: a `decoding.BadFileLog` that runtime decoding failures go to.
        num_parallel_calls: parallelism of the load map (AUTOTUNE or int).
        dtype: float dtype of images and labels.
        image_fn: optional graph function applied to each float image after the
            per-image stage (legacy per-image standardisation).
        batch_fn: optional graph function `(images) -> images` applied after the
            per-batch augmentation (rescale and friends).
        fuse_resize: True fuses the resize into the leading geometric run (one
            resample); False resizes with `tf.image.resize` first, then warps at the
            target size; "auto" fuses when the decoded images come in at most
            `MAX_FUSED_SHAPES` distinct sizes (see `decoded_shapes`).
    """
    seed = resolve_seed(seed)
    dtype = tf.as_dtype(dtype)
    n = int(source.n)
    method = resize_method(interpolation)
    head, tail = split_augment(augment)
    label_fn = _label_fn(targets, dtype)
    weights = (
        tf.constant(np.asarray(targets.sample_weight), dtype=dtype)
        if targets.sample_weight is not None
        else None
    )
    if bad_files is None:
        bad_files = decoding.BadFileLog("warn")

    # The fused per-image stage: Resizing + the leading geometric layers as ONE resample.
    # The warp has nearest/bilinear only; other filters resize with tf.image.resize first
    # and then warp (two resamples).
    per_image = None
    fused_resize = False
    batch_augment = tail
    if head:
        import keras_aug

        if fuse_resize == "auto":
            fuse_resize = len(decoded_shapes(source)) <= MAX_FUSED_SHAPES
        if target_size is not None and method in ("nearest", "bilinear") and fuse_resize:
            per_image = keras_aug.Pipeline(
                [
                    keras_aug.Resizing(
                        target_size[0],
                        target_size[1],
                        interpolation=method,
                        crop_to_aspect_ratio=keep_aspect_ratio,
                    )
                ]
                + list(head)
            )
            fused_resize = True
        else:
            # Images of many sizes: resize each to the fixed target, then run the
            # whole augmentation per batch, where every shape is static and the warp
            # compiles once (measured on 250-500 px JPEGs: 1.4 CPU ms per image for a
            # per-image warp at dynamic shapes, far more than a batched compiled one).
            batch_augment = augment

    def resize(image):
        if target_size is None:
            return tf.cast(image, dtype)
        if keep_aspect_ratio:
            image = center_crop_to_aspect(image, target_size)
        return tf.cast(tf.image.resize(image, target_size, method=method), dtype)

    # ---- the decoder of one sample -------------------------------------------------------
    if source.probes is not None:
        probes = source.probes
        paths = tf.constant([p.path for p in probes], dtype=tf.string)
        routes = tf.constant([p.route for p in probes], tf.int32)
        orientations = tf.constant([p.orientation for p in probes], tf.int32)
        ratio_index = tf.constant(source.ratio_index, tf.int32)
        ratios = [1 << int(r) for r in source.ratio_index]
        pending = {}  # path -> reason from the PIL route, reported by the gap net

        def pil_loader(index):
            i = int(index)
            path = probes[i].path
            try:
                return decoding.pil_decode(path, color_mode, ratios[i])
            except Exception as e:  # reported by the gap net, with this reason
                pending[path] = f"cannot decode ({type(e).__name__}: {e})"
                raise

        decode = decoding.make_graph_decoder(
            color_mode,
            pil_loader,
            routes={p.route for p in probes},
            ratio_indices={int(r) for r in source.ratio_index},
            orientations=any(p.orientation != 1 for p in probes if p.route != decoding.ROUTE_PIL),
        )

        def load(index):
            return decode(
                tf.gather(paths, index),
                tf.gather(routes, index),
                tf.gather(ratio_index, index),
                tf.gather(orientations, index),
                index,
            )

        def describe_failure(index):
            path = probes[index].path
            reason = pending.pop(path, None)
            if reason is None:
                reason = _diagnose(path)
            return path, reason

        channels = decoding.CHANNELS[color_mode]
    else:
        array = tf.constant(source.array)

        def load(index):
            return tf.gather(array, index)

        def describe_failure(index):  # pragma: no cover - arrays do not fail to load
            return f"<array index {index}>", "failed to load"

        channels = source.array.shape[-1]

    out_shape = _output_shape(target_size, source, channels, head)

    # ---- stage 1-2: epoch key and order --------------------------------------------------
    def epoch(key):
        order = epoch_order(seed, key, n, shuffle)
        positions = tf.range(n + 1, dtype=tf.int64)
        indices = tf.concat([order, [-1]], axis=0)  # -1: the end-of-epoch sentinel
        keys = tf.fill([n + 1], key)
        return tf.data.Dataset.from_tensor_slices((positions, indices, keys))

    # ---- stage 3a: read + decode (the only stage allowed to fail per file) ---------------
    sentinel_shape = [1, 1, channels] if source.probes is not None else list(source.array.shape[1:])
    sentinel_dtype = tf.uint8 if source.probes is not None else tf.as_dtype(source.array.dtype)

    def decode_one(position, index, key):
        image = tf.cond(index >= 0, lambda: load(index), lambda: tf.zeros(sentinel_shape, sentinel_dtype))
        return position, index, key, image

    keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    ds = keys.flat_map(epoch)
    ds = ds.map(decode_one, num_parallel_calls=num_parallel_calls, deterministic=True)

    # ---- stage 4: the bad-file net -------------------------------------------------------
    def report_dropped(dropped):
        for i in dropped.tolist():
            # Warns once per path; with on_bad_file="raise" raises a ValueError naming the
            # file, which stops the iteration as a tf error carrying that message.
            bad_files.report(*describe_failure(i))
        return np.int64(0)

    def watch(last, element):
        position, index, key, image = element

        def on_gap():
            dropped = tf.gather(epoch_order(seed, key, n, shuffle), tf.range(last + 1, position))
            done = tf.numpy_function(report_dropped, [dropped], tf.int64, stateful=True)
            return position + done

        new_last = tf.cond(position > last + 1, on_gap, lambda: position)
        return new_last, element

    # Only decoding sits before ignore_errors: an error in resizing or augmentation is a
    # bug to surface, not a bad file to skip.
    ds = ds.ignore_errors()
    ds = ds.scan(tf.constant(-1, tf.int64), watch)
    ds = ds.filter(lambda position, index, key, image: index >= 0)

    # ---- stage 3b: resize (+ fused geometric augmentation), labels ----------------------
    def process_one(position, index, key, image):
        if not fused_resize:
            image = resize(image)
        if per_image is not None:
            image = per_image(tf.cast(image, tf.float32), training=True, seed=image_seed(key, index))
        if image_fn is not None:
            image = image_fn(image)
        image = tf.ensure_shape(tf.cast(image, dtype), out_shape)
        y = label_fn(index) if label_fn is not None else None
        w = tf.gather(weights, index) if weights is not None else None
        return image, y, w, key

    # Few decoded sizes (the "auto" fusion rule): the fused warp may compile
    # once per size with XLA. Many sizes keep it op by op (no recompiles).
    with warp_lib.allow_shape_specialization() if fused_resize else contextlib.nullcontext():
        ds = ds.map(process_one, num_parallel_calls=num_parallel_calls, deterministic=True)

    # ---- stage 5: labels, batch, per-batch augmentation ---------------------------------
    if batch_size is not None:
        ds = ds.batch(batch_size)
    ds = ds.enumerate()
    def finish(b, element):
        images, y, w, key = element
        if batch_augment is not None:
            first_key = key[0] if batch_size is not None else key
            s = batch_seed(first_key, b)
            if targets.mode in ("categorical", "multi_hot") and y is not None:
                out = batch_augment({"images": images, "labels": y}, training=True, seed=s)
                images, y = tf.cast(out["images"], dtype), tf.cast(out["labels"], dtype)
            else:
                images = tf.cast(batch_augment(images, training=True, seed=s), dtype)
        if batch_fn is not None:
            images = batch_fn(images)
        if targets.mode is None:
            return images
        if targets.mode == "input":
            y = images
        if w is not None:
            return images, y, w
        return images, y

    ds = ds.map(finish, num_parallel_calls=num_parallel_calls, deterministic=True)
    return ds.prefetch(AUTOTUNE)


# The warp compiles with XLA, and XLA compiles once per distinct input shape: a fused
# resize+warp on images of many sizes recompiles for every new size (measured: 60 PNGs of
# 60 different sizes, first epoch 21.7 s with fusion vs 0.55 s without; later epochs are
# fast). Above this many distinct decoded sizes, "auto" resizes first (one fixed shape).
MAX_FUSED_SHAPES = 8


def decoded_shapes(source):
    """The set of (height, width) the decoder will produce (after DCT scale, orientation)."""
    if source.probes is None:
        return {tuple(source.array.shape[1:3])}
    shapes = set()
    for probe, r in zip(source.probes, source.ratio_index):
        ratio = 1 << int(r)
        h, w = probe.display_size
        shapes.add((-(-h // ratio), -(-w // ratio)))
    return shapes


def _output_shape(target_size, source, channels, head):
    """Static [H, W, C] of one processed image (None for a size no one can know)."""
    if target_size is not None:
        height, width = target_size
    elif source.array is not None:
        height, width = source.array.shape[1:3]
    else:
        height = width = None
    for layer in head:  # crops and resizes in the fused run change the size
        if height is None or not hasattr(layer, "output_size"):
            break
        size = layer.output_size(height, width)
        try:
            height, width = int(size[0]), int(size[1])
        except (TypeError, ValueError):
            height = width = None
    return [height, width, channels]


def center_crop_to_aspect(image, target_size):
    """Centre-crops an HWC image to the aspect ratio of `target_size` (legacy rule)."""
    th, tw = target_size
    shape = tf.shape(image)
    h, w = shape[0], shape[1]
    # Legacy `load_img(keep_aspect_ratio=True)`: crop_height = (width * th) // tw.
    crop_h = tf.minimum(h, (w * th) // tw)
    crop_w = tf.minimum(w, (h * tw) // th)
    crop_h = tf.maximum(crop_h, 1)
    crop_w = tf.maximum(crop_w, 1)
    top = (h - crop_h) // 2
    left = (w - crop_w) // 2
    return image[top : top + crop_h, left : left + crop_w]


def _diagnose(path):
    """A readable reason for a file the graph failed to decode (rare: Python is fine)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.load()
    except Exception as e:
        return f"corrupt image data ({type(e).__name__}: {e})"
    return "failed to decode in the tf.data pipeline (corrupt or unsupported data)"


def attach(ds, **attributes):
    """Sets metadata attributes on a dataset (lost by later `.map` etc., as in Keras)."""
    for name, value in attributes.items():
        setattr(ds, name, value)
    return ds
