"""Route "opencv_per_image": the geometric run resampled per image with OpenCV.

Chosen with a leading run of geometric layers in `augment` when the fused OpenCV
resample covers the settings but files cannot be decoded in groups: in-memory arrays
(`from_arrays`), or a resize whose interpolation differs from the run's (the legacy
front end resizes "nearest" and warps "bilinear": `tf.image.resize` first, then the run
is warped at the target size). Decoding stays in the graph; the resample is one
`numpy_function` call per image; the rest of the augmentation runs per batch. Python
callbacks: runs in the process that built it only (not on tf.data service workers).
"""

import tensorflow as tf

from keras_aug.data.routes import per_image

NAME = "opencv_per_image"


def elements(plan):
    """The epoch's labelled elements; see `per_image.elements`."""

    def process(image, matrix):
        if plan.resize_first:
            image = plan.resize(image)
        return plan.resampler.in_graph(image, matrix)

    return per_image.elements(plan, lambda image, matrix: tf.cast(process(image, matrix), plan.dtype))
