"""The per-image stages shared by the "opencv_per_image", "graph" and "graph_only" routes.

For each position of the epoch: (the geometric run's matrix, drawn per chunk) -> decode
(the only stage allowed to fail: `ignore_errors` follows it) -> process (resize and/or
the OpenCV resample, cast) -> stand-ins for the files that failed, and labels (`standins`).
Each map is parallel and deterministic, so the elements come out in the epoch's
order whatever `num_parallel_calls` is.
"""

import tensorflow as tf

from keras_aug.data import epochs
from keras_aug.data.routes import standins


def elements(plan, process):
    """The epoch's labelled elements `(image, y, w, key)`, n per epoch.

    Files: decode -> `ignore_errors` -> process -> `standins.fill_gaps` (which labels).
    Arrays (nothing fails): load, process and label in one map.

    Args:
        plan: a `base.Plan`.
        process: `(image, head_matrix or None) -> image` of `plan.out_shape` and
            `plan.dtype` (a graph function; it may call OpenCV through numpy_function).
    """
    parallel = dict(num_parallel_calls=plan.num_parallel_calls, deterministic=True)
    ds = epochs.elements(plan.seed, plan.n, plan.shuffle)
    if plan.sample_head is not None:

        def head_matrices(chunk, element):
            """Attaches the geometric run's [3, 3] matrix (at the resize size) to each element."""
            position, index, key = element
            seed = epochs.chunk_seed(key[0], chunk)
            return position, index, key, plan.sample_head(tf.shape(position)[0], seed)

        ds = ds.batch(epochs.HEAD_CHUNK).enumerate().map(head_matrices).unbatch()

    def decode_one(position, index, key, *head):
        # The sentinel (index -1) decodes to a 1x1 zero image: no file is opened for it.
        image = tf.cond(
            index >= 0, lambda: plan.load(index), lambda: tf.zeros([1, 1, plan.out_shape[-1]], plan.image_dtype)
        )
        return (position, index, key, image) + head

    def process_one(position, index, key, image, *head):
        matrix = head[0] if head else None
        image = tf.cond(
            index >= 0,
            lambda: tf.ensure_shape(process(image, matrix), plan.out_shape),
            lambda: tf.zeros(plan.out_shape, plan.dtype),
        )
        return position, index, key, image

    if not plan.can_fail:  # arrays: nothing fails, only the sentinel to drop

        def load_array(position, index, key, *head):
            image = tf.ensure_shape(process(plan.load(index), head[0] if head else None), plan.out_shape)
            return plan.labelled(image, index, key)

        ds = ds.filter(lambda position, index, key, *head: index >= 0)
        return ds.map(load_array, **parallel)
    ds = ds.map(decode_one, **parallel)
    # Only decoding sits before ignore_errors: an error in resizing or augmentation is a
    # bug to surface, not a bad file to skip.
    ds = ds.ignore_errors().map(process_one, **parallel)
    return standins.fill_gaps(ds, plan)
