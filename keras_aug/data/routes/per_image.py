"""The per-image stages shared by the "opencv_per_image", "graph" and "graph_only" routes.

For each position of the epoch: (the geometric run's matrix, drawn per chunk; the file's
header facts, probed on first use: `keras_aug.data.lazy_probes`) -> decode
(the only stage allowed to fail: `ignore_errors` follows it) -> process (resize and/or
the OpenCV resample, cast; a plain resize shares the decode's map) -> stand-ins for the files that failed, and labels (`standins`).
Each map is parallel and deterministic, so the elements come out in the epoch's
order whatever `num_parallel_calls` is.
"""

import tensorflow as tf

from keras_aug.data import epochs
from keras_aug.data.routes import standins
from keras_aug.data.routes.base import plain

# Files whose header facts one Python call probes (or looks up) on the Python routes.
FACTS_CHUNK = 64


def elements(plan, process, sentinel_safe=False):
    """The epoch's labelled elements `(image, y, w, key)`, n per epoch.

    Files: (their header facts, probed lazily) -> decode -> `ignore_errors` -> process
    -> `standins.fill_gaps` (which labels); decode and a plain resize share one map. Arrays (nothing fails): load, process and
    label in one map.

    Args:
        plan: a `base.Plan`.
        process: `(image, head_matrix or None) -> image` of `plan.out_shape` and
            `plan.dtype`, or uint8 (cast after batching) where `sentinel_safe` (a graph
            function; it may call OpenCV through numpy_function).
        sentinel_safe: `process` cannot fail and takes the sentinel's 1x1 zero image
            as it is (a plain resize, or the graph-only route's fused resample): no
            per-element `tf.cond` around it, and it runs in the decode's map.
    """
    parallel = dict(num_parallel_calls=plan.num_parallel_calls, deterministic=True)
    ds = epochs.elements(plan.seed, plan.n, plan.shuffle)
    head = plan.sample_head is not None
    if head:

        def head_matrices(chunk, element):
            """Attaches the geometric run's [3, 3] matrix (at the resize size) to each element."""
            position, index, key = element
            seed = epochs.chunk_seed(key[0], chunk)
            return position, index, key, plan.sample_head(tf.shape(position)[0], seed)

        ds = ds.batch(epochs.HEAD_CHUNK).enumerate().map(plain(head_matrices)).unbatch()
    if plan.file_facts is not None:
        # Small chunks, in parallel: the first epoch probes each file here (reading
        # headers waits on the disk, not on the GIL), and the first batch waits for its
        # chunk only.
        ds = ds.batch(FACTS_CHUNK).map(
            plain(lambda *element: element + tuple(plan.file_facts(element[1]))), **parallel
        ).unbatch()

    def split(extras):
        """(head matrix or None, file facts or None) from an element's extra fields."""
        return (extras[0] if head else None), (extras[int(head):] or None)

    def decode_one(position, index, key, *extras):
        # The sentinel (index -1) loads as a 1x1 zero image: no file is opened for it.
        matrix, facts = split(extras)
        return (position, index, key, plan.load(index, facts)) + ((matrix,) if head else ())

    def process_one(position, index, key, image, *matrix):
        matrix = matrix[0] if matrix else None
        if sentinel_safe:  # the sentinel's 1x1 zero image resizes like any other
            return position, index, key, tf.ensure_shape(process(image, matrix), plan.out_shape)
        image = tf.cond(
            index >= 0,
            lambda: tf.ensure_shape(process(image, matrix), plan.out_shape),
            lambda: tf.zeros(plan.out_shape, plan.dtype),
        )
        return position, index, key, image

    if not plan.can_fail:  # arrays: nothing fails, only the sentinel to drop

        def load_array(position, index, key, *extras):
            matrix, _ = split(extras)
            image = tf.ensure_shape(process(plan.load(index), matrix), plan.out_shape)
            return plan.labelled(image, index, key)

        ds = ds.filter(plain(lambda position, index, key, *extras: index >= 0))
        return ds.map(plain(load_array), **parallel)
    if sentinel_safe:
        # A plain resize (or the fused resample) of a decoded image does not fail, so
        # it shares the decode's map (one parallel stage less per element: 5-10% of the
        # CPU per image in paired runs). A resize error would show as bad files, each named, and as the
        # every-file-failed error: loud, never silent.
        ds = ds.map(plain(lambda *element: process_one(*decode_one(*element))), **parallel)
        return standins.fill_gaps(ds.ignore_errors(), plan)
    ds = ds.map(plain(decode_one), **parallel)
    # Only decoding sits before ignore_errors: an error in resizing or augmentation is a
    # bug to surface, not a bad file to skip.
    ds = ds.ignore_errors().map(plain(process_one), **parallel)
    return standins.fill_gaps(ds, plan)

