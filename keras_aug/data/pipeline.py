"""The tf.data machinery shared by `from_directory`, `from_dataframe` and `from_arrays`.

One epoch of a pipeline is built like this:

1. **Epoch key.** `tf.data.Dataset.random(seed, rerandomize_each_iteration=True).take(1)`
   yields one int64 per iteration of the dataset (one per epoch in `model.fit`): the same
   sequence of keys for the same `seed`, a new key for every epoch.
2. **Order.** The permutation of the epoch is a stateless function of (seed, key)
   (`argsort` of stateless uniforms), so shuffling does not depend on buffer sizes or on
   how many threads run. Elements are `(position, index, key)`.
3. **Load** (parallel `map`, `deterministic=True`): read + decode + resize one element.
   The leading run of geometric augmentation is fused with the resize into one resample
   per image (`keras_aug.data.resample`); its matrices are drawn beforehand, vectorized,
   for chunks of the epoch's order, seeded from `(key, chunk)`. Files on that fused path
   are decoded, resampled and labelled in groups, one Python call per group
   (`keras_aug.data.file_groups`), and the epoch is cut into groups chunk by chunk, so
   that no stage before the loader handles single files; otherwise TF decodes each file
   in the graph.
4. **Bad-file net.** A file whose decoding failed (corruption the listing-time probe
   could not see) is reported by path (warning + `bad_files`, or an error with
   `on_bad_file="raise"`) and dropped. A file group reports its failures itself. After
   the graph decoder, `ignore_errors()` drops the element and a `scan` over positions
   spots the gap and looks up the dropped file; a sentinel element at position `n`
   catches gaps at the end.
5. **Batch**, then the non-geometric rest of the augmentation per batch with a seed from
   `(key, batch index)`, then `prefetch`.

Every random draw is a stateless function of (seed, epoch key, position in the epoch), so
the same seed gives bitwise-identical batches at any `num_parallel_calls`, and every epoch
differs.
"""

import dataclasses
import random
from typing import Any
from typing import Callable
from typing import Optional

import numpy as np
import tensorflow as tf

from keras_aug.core.base import ImageShape
from keras_aug.data import decoding
from keras_aug.data import file_groups
from keras_aug.data import resample
from keras_aug.layers import compose

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


# The per-image geometric parameters are drawn for this many images at a time.
HEAD_CHUNK = 1024
# Second seed word of chunk seeds: below every batch seed's (-1 - batch index).
_CHUNK_TAG = -(2**40)


def chunk_seed(key, chunk):
    """int32 [2] seed of the per-image geometric parameters of one chunk of an epoch."""
    return tf.random.stateless_uniform(
        [2], seed=tf.stack([key, _CHUNK_TAG - tf.cast(chunk, tf.int64)]), minval=None, maxval=None,
        dtype=tf.int32,
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
    """Splits `augment` into (its leading run of geometric layers, the rest or None).

    The leading run is what a `Pipeline` would fuse into one resample: consecutive
    geometric layers with compatible interpolation and fill. It is fused with the resize,
    per image, before batching; the rest runs per batch. A single layer is all-geometric
    or all-rest.
    """
    if augment is None:
        return [], None
    if isinstance(augment, compose.Pipeline):
        steps = compose.plan_runs(augment.layers)
        head = list(steps[0][1]) if steps and steps[0][0] == "fused" else []
        tail = augment.layers[len(head):]
        if not tail:
            return head, None
        if not head:
            return [], augment
        return head, compose.Pipeline(tail, seed=augment.seed)
    if getattr(augment, "is_geometric", False) and hasattr(augment, "matrix"):
        return [augment], None
    if not callable(augment):
        raise ValueError(f"augment must be a keras_aug layer, a keras_aug.Pipeline or None; received {augment!r}")
    return [], augment


def head_settings(head):
    """(interpolation, fill_mode, fill_value) of a fused geometric run, defaults filled in."""
    interpolation, fill_mode, fill_value = compose.plan_runs(head)[0][2][:3]
    return interpolation or "bilinear", fill_mode or "nearest", fill_value or 0.0


class HeadSampler:
    """`(count, seed) -> [count, 3, 3]` matrices of a geometric run at `target_size`.

    The sampling graph (one stateless draw per parameter, hundreds of ops) is traced and
    run once here, and tf.data calls it through `tf.py_function`. Placed directly in a
    tf.data function, it was re-optimized by every new iterator, i.e. every epoch of
    `fit`: about 0.3 s per epoch (0.15 CPU ms per image on 2,000 images) for the
    example's four layers.
    """

    def __init__(self, head, target_size, channels):
        height, width = target_size

        def sample(count, seed):
            matrices, _ = compose.run_matrices(head, ImageShape(count, height, width, channels), seed)
            return matrices

        self._sample = tf.function(
            sample,
            input_signature=[tf.TensorSpec([], tf.int32), tf.TensorSpec([2], tf.int32)],
            autograph=False,
        )
        self._sample(tf.constant(1), tf.constant([0, 0]))  # trace and optimize at set-up

    def __call__(self, count, seed):
        matrices = tf.py_function(self._sample, [count, seed], tf.float32)
        matrices.set_shape([None, 3, 3])
        return matrices


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
    batch_fn: Optional[Callable] = None,
    fuse_resize=True,
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
        batch_fn: optional graph function `(images) -> images` applied after the
            per-batch augmentation (rescale and friends).
        fuse_resize: True (default) applies the leading geometric run of `augment` per
            image with OpenCV (`keras_aug.data.resample`), as one resample with the
            resize when `interpolation` is the run's (files are then decoded and
            resampled in groups, `keras_aug.data.file_groups`), else after
            `tf.image.resize`. With False, or settings OpenCV does not cover (more than
            4 channels, integer dtypes other than uint8/uint16/int16), images are
            resized with `tf.image.resize` and the whole augmentation runs per batch.
    """
    if not isinstance(fuse_resize, (bool, np.bool_)):
        raise ValueError(f"fuse_resize must be True or False; received fuse_resize={fuse_resize!r}")
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
                pending[path] = decoding.decode_failure(e)
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
    image_dtype = tf.uint8 if source.probes is not None else tf.as_dtype(source.array.dtype)

    # ---- how the augmentation splits: per image (OpenCV), or all per batch --------------
    # The leading geometric run is resampled per image. When the resize uses the run's
    # interpolation, resize and run are ONE resample; with another resize method (the
    # legacy front end resizes with "nearest" and warps bilinear, as the legacy generator
    # does) `tf.image.resize` goes first and the run is warped at the target size.
    resampler = None
    resize_first = True
    batch_augment = tail
    if head:
        run_interpolation, fill_mode, fill_value = head_settings(head)
        fused = method == run_interpolation
        warped_dtype = image_dtype if fused else dtype
        if fuse_resize and None not in out_shape and resample.supports(
            run_interpolation, fill_mode, warped_dtype, channels
        ):
            resize_first = not fused
            resampler = resample.Resampler(
                target_size if target_size is not None else tuple(source.array.shape[1:3]),
                out_shape[:2],
                keep_aspect_ratio=keep_aspect_ratio and fused,
                interpolation=run_interpolation,
                fill_mode=fill_mode,
                fill_value=fill_value,
            )
        else:
            batch_augment = augment

    group_loader = None
    if resampler is not None:
        resample.use_one_opencv_thread()
        sample_head = HeadSampler(head, resampler.target_size, channels)
        if source.probes is not None and not resize_first:
            group_loader = file_groups.FileGroupLoader(probes, ratios, color_mode, resampler, bad_files.report)

    def head_matrices(chunk, element):
        """Attaches the geometric run's [3, 3] matrix (at the resize size) to each element."""
        position, index, key = element
        return position, index, key, sample_head(tf.shape(position)[0], chunk_seed(key[0], chunk))

    def resize(image):
        if target_size is None:
            return tf.cast(image, dtype)
        if keep_aspect_ratio:
            image = center_crop_to_aspect(image, target_size)
        return tf.cast(tf.image.resize(image, target_size, method=method), dtype)

    # ---- stage 1-2: epoch key and order --------------------------------------------------
    # The datasets built per epoch (inside `flat_map`) hold no function: a function there
    # is instantiated and optimized by tf.data every epoch, 20-40 ms before the first batch.
    # The per-chunk stages run on the epoch's elements outside it.
    def epoch_indices(key):
        """int64 [n + 1]: the epoch's order, then -1 (the end-of-epoch sentinel)."""
        return tf.concat([epoch_order(seed, key, n, shuffle), [-1]], axis=0)

    def epoch(key):
        positions = tf.range(n + 1, dtype=tf.int64)
        return tf.data.Dataset.from_tensor_slices((positions, epoch_indices(key), tf.fill([n + 1], key)))

    def epoch_chunks(key):
        """The epoch's order in chunks of HEAD_CHUNK: `(chunk, indices, count, key)`.

        `indices` is padded with -1 to HEAD_CHUNK; `count` positions are real (the end
        sentinel included, as on the per-image path).
        """
        chunks = -(-(n + 1) // HEAD_CHUNK)
        padded = tf.pad(epoch_indices(key), [[0, chunks * HEAD_CHUNK - (n + 1)]], constant_values=-1)
        counts = tf.minimum(HEAD_CHUNK, (n + 1) - tf.range(chunks) * HEAD_CHUNK)
        return tf.data.Dataset.from_tensor_slices(
            (tf.range(chunks), tf.reshape(padded, [chunks, HEAD_CHUNK]), counts, tf.fill([chunks], key))
        )

    def chunk_groups(chunk, index, count, key):
        """One chunk -> its file groups `(indices [g, G], key [g], matrices [g, G, 3, 3])`.

        The matrices are the per-image path's (same chunks, counts and seeds); the chunk's
        last group is padded with -1.
        """
        group = file_groups.GROUP_SIZE
        matrices = sample_head(count, chunk_seed(key, chunk))
        pad = (-count) % group
        index = tf.reshape(tf.pad(index[:count], [[0, pad]], constant_values=-1), [-1, group])
        matrices = tf.reshape(tf.pad(matrices, [[0, pad], [0, 0], [0, 0]]), [-1, group, 3, 3])
        return index, tf.fill(tf.shape(index)[:1], key), matrices

    def labelled(image, index, key):
        """(image, y, w, key): one element, or a group's (index and key vectors)."""
        y = label_fn(index) if label_fn is not None else None
        w = tf.gather(weights, index) if weights is not None else None
        return image, y, w, key

    keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)

    if group_loader is not None:
        # ---- stage 3-4 on the fused path: file groups --------------------------------
        # Read, decode, resample and label a group of files in one step; the loader drops
        # and reports the files that fail to decode (so no gap net, no ignore_errors).
        def load_group(index, key, matrices):
            # uint8 until batched: unbatch and batch copy a quarter of the bytes (the
            # cast in `finish`; measured 4-5% less CPU per image).
            images, ok = group_loader.in_graph(index, matrices)
            index = tf.boolean_mask(index, ok)
            return labelled(images, index, tf.fill(tf.shape(index), key))

        ds = keys.flat_map(epoch_chunks).map(chunk_groups).unbatch()
        ds = ds.map(load_group, num_parallel_calls=num_parallel_calls, deterministic=True)
        ds = ds.unbatch()
    else:
        ds = keys.flat_map(epoch)
        if resampler is not None:
            ds = ds.batch(HEAD_CHUNK).enumerate().map(head_matrices).unbatch()
        # ---- stage 3a: read + decode (the only stage allowed to fail per file) -----------
        sentinel_shape = [1, 1, channels] if source.probes is not None else list(source.array.shape[1:])

        def decode_one(position, index, key, *head):
            image = tf.cond(index >= 0, lambda: load(index), lambda: tf.zeros(sentinel_shape, image_dtype))
            return (position, index, key, image) + head

        ds = ds.map(decode_one, num_parallel_calls=num_parallel_calls, deterministic=True)

        # ---- stage 4: the bad-file net ---------------------------------------------------
        def report_dropped(dropped):
            for i in dropped.tolist():
                # Warns once per path; with on_bad_file="raise" raises a ValueError naming
                # the file, which stops the iteration as a tf error carrying that message.
                bad_files.report(*describe_failure(i))
            return np.int64(0)

        def watch(last, element):
            position, key = element[0], element[2]

            def on_gap():
                dropped = tf.gather(epoch_order(seed, key, n, shuffle), tf.range(last + 1, position))
                done = tf.numpy_function(report_dropped, [dropped], tf.int64, stateful=True)
                return position + done

            new_last = tf.cond(position > last + 1, on_gap, lambda: position)
            return new_last, element

        # Only decoding sits before ignore_errors: an error in resizing or augmentation is
        # a bug to surface, not a bad file to skip.
        ds = ds.ignore_errors()
        ds = ds.scan(tf.constant(-1, tf.int64), watch)
        ds = ds.filter(lambda position, index, *rest: index >= 0)

        # ---- stage 3b: resize and the geometric run (per image), labels -----------------
        def process_one(position, index, key, image, *head):
            if resize_first:
                image = resize(image)
            if resampler is not None:
                image = resampler.in_graph(image, head[0])
            return labelled(tf.ensure_shape(tf.cast(image, dtype), out_shape), index, key)

        ds = ds.map(process_one, num_parallel_calls=num_parallel_calls, deterministic=True)

    # ---- stage 5: batch, per-batch augmentation ------------------------------------------
    if batch_size is not None:
        ds = ds.batch(batch_size)
    ds = ds.enumerate()

    def finish(b, element):
        images, y, w, key = element
        images = tf.cast(images, dtype)
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
