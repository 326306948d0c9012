"""The tf.data machinery shared by `from_directory`, `from_dataframe` and `from_arrays`.

A dataset is built in three parts:

1. **The epoch** (`keras_aug.data.epochs`): one key per iteration of the dataset, the
   epoch's order and every seed are stateless functions of (seed, key, position), so the
   same seed gives bitwise-identical batches at any `num_parallel_calls`, every epoch
   differs, and a checkpointed iterator resumes with the same draws.
2. **A route** (`keras_aug.data.routes`, one module each, chosen by `routes.choose`):
   read, decode, resize (fused with the leading geometric augmentation when it can be)
   and label each sample. Every route yields exactly n elements per epoch: a file that
   fails while decoding is reported and replaced by a stand-in from the same epoch.
3. **Batches** (here): batch, the rest of the augmentation per batch with a seed from
   (key, batch index), `batch_fn`, the known cardinality (`len(ds)` = batches per
   epoch), prefetch.

The dataset says which route it took and why: `ds.route` (a `routes.RouteInfo`) and
its repr.
"""

import dataclasses
from typing import Any
from typing import Callable
from typing import Optional

import numpy as np
import tensorflow as tf

from keras_aug.core.base import ImageShape
from keras_aug.data import decoding
from keras_aug.data import epochs
from keras_aug.data import exit_guard
from keras_aug.data import graph_header
from keras_aug.data import graph_resample
from keras_aug.data import lazy_probes
from keras_aug.data import native
from keras_aug.data import resample
from keras_aug.data import routes
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


def split_augment(augment):
    """Splits `augment` into (its leading run of geometric layers, the rest or None).

    The leading run is what a `Pipeline` would fuse into one resample: consecutive
    geometric layers with compatible interpolation and fill. It is fused with the resize,
    per image, before batching; the rest runs per batch. A single layer is all-geometric
    or all-rest. Projective layers (RandomPerspective) and what follows them stay out of
    the head: the OpenCV resample is `warpAffine`, which drops a homography's last row.
    """
    if augment is None:
        return [], None
    if isinstance(augment, compose.Pipeline):
        steps = compose.plan_runs(augment.layers)
        head = list(steps[0][1]) if steps and steps[0][0] == "fused" else []
        head = head[:next((i for i, layer in enumerate(head) if getattr(layer, "projective", False)), len(head))]
        tail = augment.layers[len(head):]
        if not tail:
            return head, None
        if not head:
            return [], augment
        return head, compose.Pipeline(tail, seed=augment.seed)
    if getattr(augment, "is_geometric", False) and hasattr(augment, "matrix") \
            and not getattr(augment, "projective", False):
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

    With `in_graph=True` (the graph-only route, where no Python may run) the same
    function is called as a graph function instead (traced with the dataset, not run
    at set-up; tf.data optimizes it with the dataset's functions, per iterator).
    """

    def __init__(self, head, target_size, channels, in_graph=False):
        self._in_graph = in_graph
        height, width = target_size

        def sample(count, seed):
            matrices, _ = compose.run_matrices(head, ImageShape(count, height, width, channels), seed)
            return matrices

        self._sample = tf.function(
            sample,
            input_signature=[tf.TensorSpec([], tf.int32), tf.TensorSpec([2], tf.int32)],
            autograph=False,
        )
        if not in_graph:
            self._sample(tf.constant(1), tf.constant([0, 0]))  # trace and optimize at set-up

    def __call__(self, count, seed):
        if self._in_graph:
            return self._sample(count, seed)
        matrices = exit_guard.py_function(self._sample, [count, seed], tf.float32)
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
    """Where samples come from. Exactly one of `probes` (files) or `array` (in memory).

    `probes` is a `lazy_probes.LazyProbes` of every listed file: none of them has been
    opened yet.
    """

    n: int
    probes: Optional[lazy_probes.LazyProbes] = None
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
    distributable=False,
    graph_resampler="auto",
):
    """Builds the dataset; see the module docstring for the parts.

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
        num_parallel_calls: parallelism of the per-element maps (AUTOTUNE or int).
        dtype: float dtype of images and labels.
        batch_fn: optional graph function `(images) -> images` applied after the
            per-batch augmentation (rescale and friends).
        fuse_resize: True (default) lets the leading geometric run of `augment` be
            resampled per image with OpenCV, together with the resize when
            `interpolation` is the run's ("opencv_groups" / "opencv_per_image" routes).
            False resizes with `tf.image.resize` and runs the whole augmentation per
            batch ("graph").
        distributable: True takes the "graph_only" route: no Python callbacks, so the
            dataset runs on tf.data service workers and under `tf.distribute`.
        graph_resampler: the graph-only route's fused resample: "auto", "native" or
            "xla" (`graph_resample.choose`).

    Returns:
        The dataset, with `route` (a `routes.RouteInfo`) set and shown in its repr.
    """
    for name, flag in (("fuse_resize", fuse_resize), ("distributable", distributable)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValueError(f"{name} must be True or False; received {name}={flag!r}")
    graph_resample.validate_resampler(graph_resampler)
    seed = epochs.resolve_seed(seed)
    dtype = tf.as_dtype(dtype)
    method = resize_method(interpolation)
    callbacks_before = exit_guard.GATE.callbacks_made
    head, tail = split_augment(augment)
    files = source.probes is not None
    channels = decoding.CHANNELS[color_mode] if files else source.array.shape[-1]
    out_shape = _output_shape(target_size, source, channels, head)
    image_dtype = tf.uint8 if files else tf.as_dtype(source.array.dtype)
    # The leading geometric run is resampled per image. When the resize uses the run's
    # interpolation, resize and run are ONE resample; with another resize method (the
    # legacy front end resizes with "nearest" and warps bilinear, as the legacy generator
    # does) `tf.image.resize` goes first and the run is warped at the target size.
    same_interpolation = opencv_covers = False
    if head:
        run_interpolation, fill_mode, fill_value = head_settings(head)
        same_interpolation = method == run_interpolation
        opencv_covers = None not in out_shape and resample.supports(
            run_interpolation, fill_mode, image_dtype if same_interpolation else dtype, channels
        )
    route, reason = routes.choose(
        files=files, head=head, same_interpolation=same_interpolation, opencv_covers=opencv_covers,
        fuse_resize=bool(fuse_resize), distributable=bool(distributable),
    )
    if bad_files is None:
        bad_files = decoding.BadFileLog("warn")
    plan = _plan(source, targets, route, seed=seed, shuffle=shuffle, dtype=dtype, out_shape=out_shape,
                 image_dtype=image_dtype, target_size=target_size, method=method,
                 keep_aspect_ratio=keep_aspect_ratio, color_mode=color_mode, bad_files=bad_files,
                 num_parallel_calls=num_parallel_calls)
    if _resamples_head(plan, route, head, source=source, target_size=target_size, out_shape=out_shape,
                       channels=channels, same_interpolation=same_interpolation,
                       keep_aspect_ratio=keep_aspect_ratio, files=files, graph_resampler=graph_resampler):
        augment = tail
        if route is routes.graph_only:
            reason += f"; resampled by {plan.resampler.why}"
    ds = route.elements(plan)
    ds = _batches(ds, targets, batch_size, augment, batch_fn, dtype, num_parallel_calls)
    batches = plan.n if batch_size is None else -(-plan.n // batch_size)
    ds = ds.apply(tf.data.experimental.assert_cardinality(batches)).prefetch(AUTOTUNE)
    graph_resampler_used = plan.resampler.resampler if route is routes.graph_only and plan.resampler else None
    info = routes.RouteInfo(route.NAME, reason, python_callbacks=route is not routes.graph_only and (
        files or plan.resampler is not None), resampler=graph_resampler_used)
    if info.python_callbacks or exit_guard.GATE.callbacks_made > callbacks_before:
        # The Python callbacks (OpenCV, PIL, the bad-file log, a legacy
        # `preprocessing_function`) and their exit gate hold no state that changes the
        # elements, so iterators checkpoint without it.
        options = tf.data.Options()
        options.experimental_external_state_policy = tf.data.experimental.ExternalStatePolicy.IGNORE
        ds = ds.with_options(options)
    return with_route(ds, info)


def _resamples_head(plan, route, head, *, source, target_size, out_shape, channels, same_interpolation,
                    keep_aspect_ratio, files, graph_resampler):
    """Gives `plan` the per-image resampler and matrix sampler of the leading geometric run
    `head`, on the routes that resample it per image; returns whether it did (the rest of
    `augment` then runs per batch)."""
    if route in (routes.opencv_groups, routes.opencv_per_image):
        run_interpolation, fill_mode, fill_value = head_settings(head)
        plan.resize_first = not same_interpolation
        plan.resampler = resample.Resampler(
            target_size if target_size is not None else tuple(source.array.shape[1:3]),
            out_shape[:2],
            keep_aspect_ratio=keep_aspect_ratio and same_interpolation,
            interpolation=run_interpolation,
            fill_mode=fill_mode,
            fill_value=fill_value,
        )
        resample.use_one_opencv_thread()
        plan.sample_head = HeadSampler(head, plan.resampler.target_size, channels)
        return True
    if route is routes.graph_only and routes.graph_only.fuses(
            files=files, head=head, same_interpolation=same_interpolation):
        run_interpolation, fill_mode, fill_value = head_settings(head)
        kind, why = graph_resample.choose(graph_resampler)
        plan.resampler = graph_resample.GraphResampler(
            target_size, out_shape[:2], channels, keep_aspect_ratio=keep_aspect_ratio,
            interpolation=run_interpolation, fill_mode=fill_mode, fill_value=fill_value, resampler=kind, why=why,
        )
        plan.sample_head = HeadSampler(head, target_size, channels, in_graph=True)
        return True
    return False


def _plan(source, targets, route, *, seed, shuffle, dtype, out_shape, image_dtype, target_size, method,
          keep_aspect_ratio, color_mode, bad_files, num_parallel_calls):
    """The `routes.Plan` of a source: its loader, labels and resize."""
    label_fn = _label_fn(targets, dtype)
    weights = (
        tf.constant(np.asarray(targets.sample_weight), dtype=dtype) if targets.sample_weight is not None else None
    )

    def labelled(image, index, key):
        """(image, y, w, key): one element, or a group's (index and key vectors)."""
        y = label_fn(index) if label_fn is not None else None
        w = tf.gather(weights, index) if weights is not None else None
        return image, y, w, key

    def resize(image):
        if target_size is None:
            return tf.cast(image, dtype)
        if keep_aspect_ratio:
            image = center_crop_to_aspect(image, target_size)
        return tf.cast(tf.image.resize(image, target_size, method=method), dtype)

    plan = routes.Plan(
        seed=seed, n=int(source.n), shuffle=shuffle, dtype=dtype, out_shape=out_shape, image_dtype=image_dtype,
        load=None, can_fail=source.probes is not None, labelled=labelled, resize=resize,
        num_parallel_calls=num_parallel_calls, color_mode=color_mode, bad_files=bad_files,
        on_bad_file=bad_files.on_bad_file,
    )
    if source.probes is None:
        array = tf.constant(source.array)
        plan.load = lambda index, facts=None: tf.gather(array, index)
        return plan
    plan.probes = source.probes
    plan.paths = tf.constant(source.probes.paths, dtype=tf.string)
    if route is routes.graph_only:
        _refuse_pil_extensions(source.probes.paths)
        plan.load = _graph_only_loader(plan, color_mode, target_size, keep_aspect_ratio)
    else:
        plan.load, plan.report_dropped = _file_loader(plan, color_mode)
        plan.file_facts = source.probes.facts_in_graph
    return plan


def _file_loader(plan, color_mode):
    """(`(index, facts) -> uint8 image` in the graph, `report_dropped`) for files.

    The facts (decoder branch, orientation) come from the lazy header probe
    (`plan.file_facts`); files TF cannot decode go through PIL in Python. The sentinel
    (index -1) has branch `decoding.BRANCH_NONE`: a 1x1 zero image, no file opened.
    """
    probes = plan.probes
    pending = {}  # path -> reason from the PIL route, for the report of the dropped file

    def pil_loader(index):
        i = int(index)
        probe = probes[i]
        try:
            return decoding.pil_decode(probe.path, color_mode, probes.ratio(i))
        except Exception as e:  # reported with this reason when the gap is seen
            pending[probe.path] = decoding.decode_failure(e)
            raise

    decode = decoding.make_graph_decoder(color_mode, pil_loader)

    def load(index, facts):
        branch, orientation = facts
        # The sentinel's branch opens no file; its path is any valid one (a gather at -1 fails).
        return decode(tf.gather(plan.paths, tf.maximum(index, 0)), branch, orientation, index)

    def report_dropped(indices):
        for i in indices.tolist():
            probe = probes[i]
            reason = pending.pop(probe.path, None) or probe.reason or _diagnose(probe.path)
            # Warns once per path; with on_bad_file="raise" raises a ValueError naming
            # the file, which stops the iteration as a tf error carrying that message.
            plan.bad_files.report(probe.path, reason)

    return load, report_dropped


def _graph_only_loader(plan, color_mode, target_size, keep_aspect_ratio):
    """`(index, _) -> uint8 image` in TF ops only: the facts come from the file's bytes.

    The end-of-epoch sentinel (index -1) gives a 1x1 zero image, as on the other routes.
    """
    decode = decoding.make_graph_decoder(color_mode, None)
    max_pixels = plan.probes.max_pixels
    channels = decoding.CHANNELS[color_mode]

    def facts(data):
        # Decided when traced (the plan gets its resampler after this loader). Where the
        # graph already needs the native library, its header-facts op gives the same facts
        # in one op instead of ~90 (about 0.1 CPU ms per image, and less for tf.data to
        # optimize at each new iterator); the XLA resampler keeps a stock-TF graph.
        if getattr(plan.resampler, "resampler", None) != "native":
            return graph_header.facts(data, target_size, keep_aspect_ratio, max_pixels)
        return native.load().header_facts(
            data, target_height=target_size[0], target_width=target_size[1], keep_aspect_ratio=keep_aspect_ratio,
            max_pixels=-1 if max_pixels is None else max_pixels)

    def read(index):
        path = tf.gather(plan.paths, index)
        data = tf.io.read_file(path)
        route, ratio_index, orientation = facts(data)
        return decode(path, decoding.decoder_branch(route, ratio_index), orientation, index, data=data)

    def load(index, facts=None):
        return tf.cond(index >= 0, lambda: read(index), lambda: tf.zeros([1, 1, channels], tf.uint8))

    return load


# Extensions of formats only PIL decodes: refused by name on the graph-only route.
_PIL_ONLY_EXTENSIONS = (".bmp", ".ppm", ".tif", ".tiff")


def _refuse_pil_extensions(paths):
    """The graph-only route decodes JPEG and PNG in the graph; files named as other formats cannot go.

    Decided by the name: no file is opened (a JPEG or PNG named otherwise, or a file
    named .jpg that is not one, is a bad file found while reading).
    """
    pil = [p for p in paths if p.lower().endswith(_PIL_ONLY_EXTENSIONS)]
    if pil:
        raise ValueError(
            f"distributable=True decodes in the TF graph only (JPEG, PNG); {len(pil)} file(s) "
            f"need PIL (BMP, PPM, TIFF), e.g. {pil[:3]}. Convert them, or use distributable=False."
        )


def _batches(ds, targets, batch_size, augment, batch_fn, dtype, num_parallel_calls):
    """Batches the route's elements and runs the per-batch augmentation and `batch_fn`."""
    if batch_size is not None:
        ds = ds.batch(batch_size)
    ds = ds.enumerate()

    def finish(b, element):
        images, y, w, key = element
        images = tf.cast(images, dtype)
        if augment is not None:
            first_key = key[0] if batch_size is not None else key
            s = epochs.batch_seed(first_key, b)
            if targets.mode in ("categorical", "multi_hot") and y is not None:
                out = augment({"images": images, "labels": y}, training=True, seed=s)
                images, y = tf.cast(out["images"], dtype), tf.cast(out["labels"], dtype)
            else:
                images = tf.cast(augment(images, training=True, seed=s), dtype)
        if batch_fn is not None:
            images = batch_fn(images)
        if targets.mode is None:
            return images
        if targets.mode == "input":
            y = images
        if w is not None:
            return images, y, w
        return images, y

    return ds.map(routes.plain(finish), num_parallel_calls=num_parallel_calls, deterministic=True)


_ROUTED_CLASSES = {}


def with_route(ds, info):
    """Sets `ds.route = info` and makes `repr(ds)` name the route and why it was taken.

    The repr comes from a subclass of the dataset's own class that only adds `__repr__`
    (tf.data's repr shows the class name and element spec; nothing else changes).
    """
    cls = type(ds)
    if cls not in _ROUTED_CLASSES:
        _ROUTED_CLASSES[cls] = type(cls.__name__, (cls,), {"__repr__": _routed_repr, "__module__": cls.__module__})
    ds.__class__ = _ROUTED_CLASSES[cls]
    ds.route = info
    return ds


def _routed_repr(self):
    return f"<keras_aug dataset route={self.route} element_spec={self.element_spec}>"


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
