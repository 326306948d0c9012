"""Route "graph_only" (`distributable=True`): the "graph" route with no Python at all.

Every op of the dataset is a TF op, so its graph can be serialized and run elsewhere: on
tf.data service workers in other processes or machines
(`ds.apply(tf.data.experimental.service.distribute(...))`) and through
`tf.distribute` input distribution; its iterators checkpoint with tf.data's default
(strict) external-state policy. What it gives up:

* files named as formats only PIL decodes (.bmp, .ppm, .tif, .tiff) are refused when
  the dataset is built, by name (no file is opened then); a file that turns out not to
  be a JPEG or PNG is a bad file;
* what decoding needs to know of a file (format, size for the DCT scale, EXIF
  orientation) is read from its bytes in the graph (`keras_aug.data.graph_header`, or
  in one op, `KerasAugHeaderFacts`, where the native resample op is used), not by the
  Python probe: a PNG's rare EXIF orientation is not applied;
* a bad file is still replaced by a stand-in from the same epoch, but it is reported
  by the process that runs the pipeline (`tf.print` of its path to that process's
  stderr; with `on_bad_file="raise"` an error naming the file) and is not counted in
  the client's `bad_files`;
* the leading run of geometric layers is fused with the resize, as on the OpenCV
  routes (ONE resample per image, with the same per-image matrices), by the compiled
  op `KerasAugResample` (`keras_aug.data.native`; every process running the graph must
  load it) or, with `graph_resampler="xla"` or where the op does not build, by the
  library's warp compiled with XLA (a stock-TF graph), compiled once per process when
  the first image is read (`keras_aug.data.graph_resample`). Where the run cannot fuse (a resize
  `interpolation` other than the run's, in-memory arrays), the resize comes first and
  the whole augmentation runs per batch (two resamples, as with `fuse_resize=False`).
"""

from keras_aug.data.routes import graph
from keras_aug.data.routes import per_image

NAME = "graph_only"


def fuses(*, files, head, same_interpolation):
    """Whether the leading geometric run fuses with the resize (one resample per image).

    Files (uint8 images) with a leading run of geometric layers whose interpolation
    the resize uses; otherwise the resize comes first and the run runs per batch.
    """
    return bool(files and head and same_interpolation)


def elements(plan):
    """The epoch's labelled elements; see `per_image.elements`."""
    assert plan.report_dropped is None, "the graph-only route reports bad files in the graph"
    if plan.resampler is None:
        return per_image.elements(plan, graph.process(plan), sentinel_safe=True)
    # The fused resample takes the sentinel's 1x1 image like any other, and cannot fail.
    return per_image.elements(plan, plan.resampler, sentinel_safe=True)
