"""Exact epochs on the per-image routes: a file that fails to decode gets a stand-in.

The decode stage is the only one followed by `ignore_errors()`, so a file that fails
there leaves a gap in the epoch's positions. A `scan` over the processed elements spots
each gap, reports the files that fell into it, and fills it with copies of the next good
element of the epoch (image and label together); a gap at the end of the epoch (seen at
the end sentinel, position n) is filled with the epoch's first good element. So an epoch
always has exactly n elements, and which element stands in is a function of the epoch
alone (the same rule as the file groups, `keras_aug.data.file_groups`).

Reporting: with Python allowed, the `BadFileLog` (`plan.report_dropped`, warns once per
path or raises naming it). On the graph-only route, no Python: "warn" prints the paths
to the pipeline's process's stderr (`tf.print`: on a tf.data service worker, the
worker's), "raise" fails the iteration with an error naming the file, and the client's
`bad_files` cannot count them.
"""

import sys

import numpy as np
import tensorflow as tf

from keras_aug.data import decoding
from keras_aug.data import epochs
from keras_aug.data import exit_guard
from keras_aug.data.routes.base import plain

ALL_BAD = "keras_aug: every file of the epoch failed to decode; there is no stand-in for them"


def fill_gaps(ds, plan):
    """`(position, index, key, image)` with gaps -> labelled `(image, y, w, key)`, n per epoch.

    `image` must have a static shape (processed images, of any dtype); the sentinel
    (index -1) must come last in every epoch with position n.

    Almost every element is the common case: it follows its predecessor (no gap), is not
    the sentinel, and the epoch's first good element is already kept. That case is one
    `tf.cond` whose branch passes the element through; everything else (a gap to report
    and fill, the first good element to keep, the sentinel) is the other branch. One
    cond per element, not one per decision: each cond costs at every element, and each
    is traced when the dataset is built.
    """
    image_shape = list(plan.out_shape)

    def step(state, element):
        last, first_index, first_key, first_image = state
        position, index, key, image = element
        zero, one = decoding.graph_constant(0, tf.int64), decoding.graph_constant(1, tf.int64)
        common = tf.logical_and(tf.equal(position, last + one), tf.logical_and(index >= zero, first_index >= zero))

        def passed_through():
            return (first_index, first_key, first_image) + _as_vectors(image, index, key)

        def filled():
            return _fill(plan, state, element)

        first_index, first_key, first_image, images, indices, keys = tf.cond(common, passed_through, filled)
        # Labelled here, as vectors (one label lookup per element, no extra map stage).
        out = plan.labelled(images, indices, keys)
        return (position, first_index, first_key, first_image), out

    init = (
        tf.constant(-1, tf.int64),
        tf.constant(-1, tf.int64),
        tf.constant(0, tf.int64),
        tf.zeros(image_shape, ds.element_spec[3].dtype),
    )
    return ds.scan(init, plain(step)).unbatch()


def _fill(plan, state, element):
    """The rare case of `fill_gaps`'s step: (first index, key, image, then the copies out).

    Reports the files of a gap before `element` and repeats `element` over it; keeps the
    epoch's first good element; at the sentinel, fills the gap at the end with that
    first element. Copies the image (`tf.where`, `tf.gather`): a few times per epoch.
    """
    last, first_index, first_key, first_image = state
    position, index, key, image = element
    zero, one = decoding.graph_constant(0, tf.int64), decoding.graph_constant(1, tf.int64)
    gap = position - last - one
    done = _report(plan, key, last, position)
    sentinel = index < zero
    take_first = tf.logical_and(tf.logical_not(sentinel), first_index < zero)
    first_index = tf.where(take_first, index, first_index)
    first_key = tf.where(take_first, key, first_key)
    first_image = tf.where(take_first, image, first_image)
    check = tf.debugging.Assert(tf.logical_or(first_index >= zero, tf.equal(gap, zero)), [ALL_BAD])
    with tf.control_dependencies([check]):
        count = tf.where(sentinel, gap, gap + one) + done
    zero32 = decoding.graph_constant(0, tf.int32)
    copies = tf.fill(tf.reshape(tf.cast(count, tf.int32), [1]), zero32)  # [count] zeros: row 0, count times
    outs = _as_vectors(tf.where(sentinel, first_image, image), tf.where(sentinel, first_index, index),
                       tf.where(sentinel, first_key, key))
    return (first_index, first_key, first_image) + tuple(tf.gather(t, copies, axis=zero32) for t in outs)


def _as_vectors(*tensors):
    """Each tensor with a new leading axis of 1 (one `ExpandDims` each and a shared axis)."""
    axis = decoding.graph_constant(0, tf.int32)
    return tuple(tf.expand_dims(t, axis) for t in tensors)


def _report(plan, key, last, position):
    """Reports the files at positions (last, position) of the epoch, if any; returns int64 0.

    The Python report decides in Python whether there is a gap (no cond to trace);
    `tf.print` would print an empty list, so the graph-only route's report sits in a cond.
    """
    if plan.report_dropped is not None:
        return _report_gap(plan, key, last, position)
    return tf.cond(position - last > 1, lambda: _report_gap(plan, key, last, position),
                   lambda: tf.constant(0, tf.int64))


def _report_gap(plan, key, last, position):
    """Reports the files at positions (last, position) of the epoch; returns int64 0."""
    if plan.report_dropped is not None:

        def report(key, last, position):
            # The epoch's order is computed here, in Python, only when there is a gap
            # (a few times an epoch): none of its ops is traced into the step.
            if position - last > 1:
                order = epochs.epoch_order(plan.seed, tf.constant(key, tf.int64), plan.n, plan.shuffle).numpy()
                plan.report_dropped(order[last + 1:position])
            return np.int64(0)

        return tf.ensure_shape(exit_guard.numpy_function(report, [key, last, position], tf.int64, stateful=True), [])
    dropped = tf.gather(epochs.epoch_order(plan.seed, key, plan.n, plan.shuffle), tf.range(last + 1, position))
    paths = tf.gather(plan.paths, dropped)
    if plan.on_bad_file == "raise":
        check = tf.debugging.Assert(False, ["Bad image file (failed to decode):", paths])
    elif plan.on_bad_file == "warn":
        check = tf.print(
            "keras_aug: bad image file(s) failed to decode, replaced by a stand-in from the same epoch:",
            paths, output_stream=sys.stderr,
        )
    else:
        check = tf.no_op()
    with tf.control_dependencies([check]):
        return tf.constant(0, tf.int64)
