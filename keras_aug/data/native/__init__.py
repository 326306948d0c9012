"""The graph-only route's resample as a compiled TensorFlow op (`KerasAugResample`),
and its header facts (`KerasAugHeaderFacts`: format, size, EXIF orientation, DCT ratio of
a file's bytes in one op instead of ~90; `header_op.cc`) in the same library.

One uint8 image warped by one 3x3 matrix on the CPU, the way OpenCV's `warpAffine`
does it on the default route: no padding buffer, no XLA compile. The C++ source
(`resample_op.cc`) ships with the package and is compiled on first use into a per-user
cache (`build`), then loaded into the process (`loader`). Where that fails (no
compiler, a compile or load error), `load()` says why and the graph-only route uses the
XLA warp instead.

A tf.data service worker that runs a graph-only dataset using the op must register it
before it starts serving:

    from keras_aug.data import native
    native.load()                    # or tf.load_op_library(path) with the path of
                                     # `python -m keras_aug.data.native build`

`python -m keras_aug.data.native build` prebuilds the library (Docker images, clusters).
"""

from keras_aug.data.native.build import BuildError
from keras_aug.data.native.build import library_path
from keras_aug.data.native.loader import Loaded
from keras_aug.data.native.loader import load

__all__ = ["BuildError", "Loaded", "library_path", "load"]
