"""The graph-only route's one resample per image: resize + leading geometric run, in TF ops.

The OpenCV routes resample each image once (`keras_aug.data.resample`): the resize to
the target size and the leading run of geometric layers compose into one matrix. The
graph-only route may not call Python, so it does the same with one of two TF-graph
resamplers (`from_directory(graph_resampler=...)`, chosen by `choose`):

* "native" (the default where it builds): the compiled op `KerasAugResample`
  (`keras_aug.data.native`), a plain C++ loop over the output pixels like OpenCV's
  `warpAffine`: any image size, no buffer, no compile at the first batch. About 0.18-0.22 CPU
  ms per 150x150 bilinear output (a C++ loop; `warpAffine` about 0.2), 0.24-0.27 as a
  tf.data map stage with this wrapper (the XLA warp alone: 0.38-0.44). Its library is compiled
  once per TF version into a per-user cache (8-14 s here, the first time only) and must
  be loaded in every process that runs the dataset graph (tf.data service workers:
  `keras_aug.data.native.load()`).
* "xla": the library's own warp (`keras_aug.core.warp.resample_flat`) compiled by XLA,
  a stock-TF graph (a worker needs nothing of keras_aug), at about 1.5x the native op's
  CPU. XLA compiles for static shapes, and decoded images come in many sizes, so each
  image is copied, as rows of pixels, into a buffer of a fixed number of pixels
  (`capacity`: 16x the target's, i.e. up to 4x the target size on each side) and its
  height and width travel beside it as numbers: ONE compiled function serves every image
  size, compiled once per process (about 0.3 s at the first image). The copy costs about
  0.05-0.1 CPU ms per 150x150 output of a 250-500 px JPEG (as one flat vector: padding
  [pixels, C] rows ran element by element, ~1.9 ms); the buffer is 16 x 150 x 150 x 3
  bytes (1 MB) per image here, 50 MB at 1024 x 1024. Other in-graph warps measured:
  `tf.image.resize` then the layers per batch (two resamples) about as much; TF's
  `ImageProjectiveTransformV3` per image about 1.2 ms; the warp op by op about 1.4 ms.
* "auto" (default): "native" if its library builds and loads, else "xla" with one
  warning naming the reason.

Both:
* As in the OpenCV resample, an image more than 4x the size of the resize region along
  an axis is first area-averaged to twice that size (`tf.image.resize(method="area")`):
  bilinear sampling alone would skip most of its pixels. JPEGs rarely need it (they are
  decoded at a reduced DCT scale); it also keeps every image within the XLA `capacity`.
* `keep_aspect_ratio` crops the image to the target aspect first (so fill modes reflect
  at the crop's edges, as the graph routes' resize-then-augment does).
* uint8 in, uint8 out, rounded half to even and clipped (both blend in float32: they
  agree within one level): the batch is cast to float after batching, as on the OpenCV
  routes.
"""

import warnings

import tensorflow as tf

from keras_aug.core import backend
from keras_aug.core import warp
from keras_aug.data import decoding
from keras_aug.data import native
from keras_aug.data import resample

# Shrink (area) first beyond this factor along an axis, to `_SHRINK_TO` times the target.
MAX_BILINEAR_SHRINK = int(resample.MAX_BILINEAR_SHRINK)
_SHRINK_TO = 2
RESAMPLERS = ("auto", "native", "xla")
_warned = set()  # fallback reasons already warned about in this process


def validate_resampler(graph_resampler):
    """Checks the `graph_resampler` argument (one of `RESAMPLERS`)."""
    if graph_resampler not in RESAMPLERS:
        raise ValueError(f"graph_resampler must be one of {RESAMPLERS}; received graph_resampler={graph_resampler!r}")
    return graph_resampler


def choose(graph_resampler):
    """Resolves `graph_resampler` to `("native" | "xla", why)`.

    "auto" loads the native op (`keras_aug.data.native.load`, compiling it the first
    time) and falls back to "xla" with one warning per reason and process; "native"
    raises a RuntimeError with the reason when the op is unavailable.
    """
    validate_resampler(graph_resampler)
    if graph_resampler == "xla":
        return "xla", "the XLA warp (graph_resampler='xla'; stock-TF graph)"
    loaded = native.load()
    if loaded.ok:
        return "native", f"the native op KerasAugResample (graph_resampler={graph_resampler!r})"
    if graph_resampler == "native":
        raise RuntimeError(f"graph_resampler='native': the native resample op is unavailable: {loaded.reason}")
    if loaded.reason not in _warned:
        _warned.add(loaded.reason)
        warnings.warn(
            f"keras_aug.data: the native resample op is unavailable, the graph-only route uses the XLA warp "
            f"(slower; same results within one level): {loaded.reason}", RuntimeWarning, stacklevel=3)
    return "xla", f"the XLA warp: the native op is unavailable ({loaded.reason.splitlines()[0]})"


class GraphResampler:
    """`image, head_matrix -> image` at the output size, in TF ops (native op or XLA warp).

    Args:
        target_size: (height, width) of the resize.
        output_size: (height, width) after the geometric run (crops change it).
        channels: channels of the images (static).
        keep_aspect_ratio: centre-crop to the target aspect ratio first (legacy rule).
        interpolation: "nearest" or "bilinear" (the run's).
        fill_mode: "constant", "nearest", "reflect", "mirror" or "wrap" (the run's).
        fill_value: the constant for fill_mode="constant", in the images' units (0-255).
        resampler: "native" (the compiled op; `choose` says whether it is available) or
            "xla".
        why: words on why this resampler was chosen (`choose`), for the route's reason.
    """

    def __init__(self, target_size, output_size, channels, keep_aspect_ratio=False, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, resampler="xla",
                 why=""):
        warp.validate_interpolation(interpolation)
        warp.validate_fill_mode(fill_mode)
        self.target_size = tuple(int(s) for s in target_size)
        self.output_size = tuple(int(s) for s in output_size)
        self.channels = int(channels)
        self.keep_aspect_ratio = bool(keep_aspect_ratio)
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = float(fill_value)
        if resampler not in ("native", "xla"):
            raise ValueError(f"resampler must be 'native' or 'xla'; received resampler={resampler!r}")
        self.resampler = resampler
        self.why = why or resampler
        if resampler == "native":
            self._native = native.load().resample
            if self._native is None:
                raise RuntimeError(f"the native resample op is unavailable: {native.load().reason}")
            return
        th, tw = self.target_size
        self.capacity = MAX_BILINEAR_SHRINK**2 * th * tw
        self._warp = tf.function(
            self._warp_rows,
            input_signature=[
                tf.TensorSpec([self.capacity * self.channels], tf.uint8),
                tf.TensorSpec([], tf.int32),
                tf.TensorSpec([], tf.int32),
                tf.TensorSpec([3, 3], tf.float32),
            ],
            jit_compile=True,
            autograph=False,
        )

    def __call__(self, image, head_matrix):
        """`image` uint8 [H, W, C] (any size >= 1x1), `head_matrix` [3, 3] at the target size -> [h, w, C]."""
        if self.keep_aspect_ratio:
            from keras_aug.data.pipeline import center_crop_to_aspect

            image = center_crop_to_aspect(image, self.target_size)
        image = self._shrink(image)
        head_matrix = tf.cast(head_matrix, tf.float32)
        if self.resampler == "native":
            # The op folds the resize itself (as `_fold_resize`, bit for bit): 7 ops fewer per image.
            out = self._native(image, head_matrix, output_height=self.output_size[0],
                               output_width=self.output_size[1], interpolation=self.interpolation,
                               fill_mode=self.fill_mode, fill_value=self.fill_value,
                               resize_height=self.target_size[0], resize_width=self.target_size[1])
        else:
            height, width = _height_width(image)
            # Padded as one flat vector: a memcpy (tf.pad of [pixels, C] rows pads
            # element by element, measured ~1.9 CPU ms per image against ~0.05).
            values = tf.reshape(image, _c([-1]))
            padding = _c(self.channels) * (_c(self.capacity) - height * width)
            values = tf.pad(values, tf.reshape(tf.stack([_c(0), padding]), _c([1, 2])))
            out = self._warp(values, height, width, head_matrix)
        return tf.ensure_shape(out, [*self.output_size, self.channels])

    def _shrink(self, image):
        """Area-averages an image the resize would shrink by more than 4x along an axis."""
        th, tw = self.target_size
        height, width = _height_width(image)
        # The common case decided in 3 ops; the new size is worked out only when it shrinks.
        same = tf.logical_and(height <= _c(MAX_BILINEAR_SHRINK * th), width <= _c(MAX_BILINEAR_SHRINK * tw))

        def shrunk():
            new_h = tf.where(height > _c(MAX_BILINEAR_SHRINK * th), _c(_SHRINK_TO * th), height)
            new_w = tf.where(width > _c(MAX_BILINEAR_SHRINK * tw), _c(_SHRINK_TO * tw), width)
            area = tf.image.resize(image, tf.stack([new_h, new_w]), method="area")
            return tf.cast(tf.clip_by_value(tf.round(area), 0.0, 255.0), tf.uint8)

        image = tf.cond(same, lambda: image, shrunk)
        image.set_shape([None, None, self.channels])
        return image

    def _warp_rows(self, values, height, width, head_matrix):
        """The compiled warp: the `height` x `width` image in the first pixels of `values` (flat)."""
        rows = tf.reshape(values, [self.capacity, self.channels])
        with backend.computing_with("tensorflow"):
            matrix = self._fold_resize(head_matrix, height, width)
            x, y = warp.sample_coordinates(matrix[None], self.output_size)
            return warp.resample_flat(rows, 0, height, width, x[0], y[0], self.interpolation, self.fill_mode,
                                      self.fill_value)

    def _fold_resize(self, head_matrix, height, width):
        """resize @ head: the output reads the head's point (at the target size), scaled to the image."""
        th, tw = self.target_size
        sx = tf.cast(width, tf.float32) / tw
        sy = tf.cast(height, tf.float32) / th
        return head_matrix * tf.stack([sx, sy, 1.0])[:, None]


def _c(value):
    """The traced graph's shared int32 constant (`decoding.graph_constant`): fewer ops to trace."""
    return decoding.graph_constant(value, tf.int32)


def _height_width(image):
    """int32 scalars (height, width) of an HWC image: one `Unpack` of its shape."""
    height, width, _ = tf.unstack(tf.shape(image), num=3)
    return height, width
