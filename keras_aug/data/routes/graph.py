"""Route "graph": decode and `tf.image.resize` in the TF graph; augmentation per batch.

Chosen when there is no geometric augmentation to fuse with the resize (no `augment`,
or it starts with a non-geometric layer), with `fuse_resize=False`, or with settings the
OpenCV resample does not cover. Each file's header is probed in Python when the
pipeline first reads it (`keras_aug.data.lazy_probes`, one call per `per_image.FACTS_CHUNK`
files; later epochs reuse the result). Files TF cannot decode (CMYK JPEG, BMP, TIFF,
...) go through PIL in a `numpy_function`, and bad files are reported to the dataset's
`BadFileLog` from Python: so this route runs in the process that built it.
`distributable=True` takes the same stages without any Python ("graph_only").
"""

from keras_aug.data.routes import per_image

NAME = "graph"


def process(plan):
    """`(image, _) -> image` resized to the target size with `tf.image.resize`."""
    return lambda image, matrix: plan.resize(image)


def elements(plan):
    """The epoch's labelled elements; see `per_image.elements`."""
    return per_image.elements(plan, process(plan), sentinel_safe=True)
