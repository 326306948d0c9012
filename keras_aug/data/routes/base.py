"""What every route is given (`Plan`) and what it tells the user (`RouteInfo`).

A route turns the epoch's order into labelled elements `(image, y, w, key)` (or groups
of them), ready to batch: `elements(plan) -> tf.data.Dataset`. Everything before (seeds,
order) and after (batching, per-batch augmentation, cardinality) is shared
(`keras_aug.data.pipeline`). Every route yields exactly `plan.n` elements per epoch: a
file that fails to decode is replaced by a stand-in from the same epoch (`standins`).
"""

import dataclasses
from typing import Any
from typing import Callable
from typing import Optional

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class RouteInfo:
    """Which route a dataset took, why, and what that route can do.

    Attributes:
        name: "opencv_groups", "opencv_per_image", "graph" or "graph_only".
        reason: why this route was chosen, in words.
        python_callbacks: True when the dataset graph calls Python (OpenCV, PIL, the
            bad-file log). Such a dataset runs only in the process that built it: not on
            a tf.data service worker, not where `tf.distribute` ships the graph
            elsewhere. Its iterators checkpoint (the callbacks hold no state that
            changes the elements; `experimental_external_state_policy` is set to
            IGNORE for them).
        resampler: the graph-only route's fused per-image resample, "native" (the
            compiled op, `keras_aug.data.native`) or "xla" (`reason` says why); None
            where that route does not fuse, and on the other routes (OpenCV or per batch).
    """

    name: str
    reason: str
    python_callbacks: bool
    resampler: Optional[str] = None

    @property
    def distributable(self):
        """Whether the dataset graph can run in another process (tf.data service)."""
        return not self.python_callbacks

    def __str__(self):
        where = (
            "runs in this process only (Python callbacks; distributable=True gives a graph-only route)"
            if self.python_callbacks
            else "graph only: runs on tf.data service workers and under tf.distribute"
        )
        if self.resampler == "native":
            where += " (a worker in another process first loads the op: keras_aug.data.native.load())"
        return f"{self.name}: {self.reason}; {where}"


@dataclasses.dataclass
class Plan:
    """The settled inputs of a route (built once by `keras_aug.data.pipeline.build`).

    Attributes:
        seed: int seed of the epochs (`keras_aug.data.epochs`).
        n: samples per epoch (files listed, or array rows).
        shuffle: a new order every epoch.
        dtype: float tf dtype of the yielded images.
        out_shape: static [H, W, C] of one processed image.
        image_dtype: tf dtype of a decoded (or array) image before the cast.
        load: `(index, facts) -> image` in the graph (decode one file, or gather one
            array row; `facts` is None or what `file_facts` gave for that index). For
            files, index -1 (the end-of-epoch sentinel) gives a 1x1 zero image.
        can_fail: whether `load` can fail (files) or not (arrays).
        paths: tf string [n] of the file paths (files) or None.
        file_facts: `indices [k] -> (decoder branch, orientation)` int32 [k] each,
            in the graph (the lazy header probe, `keras_aug.data.lazy_probes`), or None
            where `load` finds them itself (arrays, the graph-only route).
        report_dropped: Python `indices (np.int64 [k]) -> None` reporting files that
            failed to decode (the `BadFileLog`), or None on the graph-only route.
        on_bad_file: the `BadFileLog`'s mode ("warn", "raise", "ignore").
        labelled: `(image, index, key) -> (image, y, w, key)` in the graph.
        resize: `image -> image` at the target size (`tf.image.resize`), cast to dtype.
        resampler: the fused OpenCV `resample.Resampler` (the OpenCV routes), the
            fused `graph_resample.GraphResampler` (the graph-only route), or None.
        resize_first: with a resampler, resize with `tf.image.resize` before it.
        sample_head: `(count, seed) -> [count, 3, 3]` head matrices, or None.
        num_parallel_calls: parallelism of the per-element maps.
        probes, color_mode: the files' `lazy_probes.LazyProbes` (files only).
        bad_files: the `BadFileLog` (files only).
    """

    seed: int
    n: int
    shuffle: bool
    dtype: Any
    out_shape: list
    image_dtype: Any
    load: Callable
    can_fail: bool
    labelled: Callable
    resize: Callable
    num_parallel_calls: Any
    paths: Optional[tf.Tensor] = None
    file_facts: Optional[Callable] = None
    report_dropped: Optional[Callable] = None
    on_bad_file: str = "warn"
    resampler: Any = None
    resize_first: bool = True
    sample_head: Optional[Callable] = None
    probes: Any = None
    color_mode: str = "rgb"
    bad_files: Any = None


def plain(fn):
    """`fn` for tf.data to trace without AutoGraph.

    The data path's functions use TF control flow explicitly (`tf.cond`, `tf.where`);
    AutoGraph's conversion of them took seconds of every dataset's set-up.
    """
    return tf.autograph.experimental.do_not_convert(fn)
