"""The data path's one resample per image: resize + leading geometric augmentation.

`from_directory` and friends decode each file at its own size. The resize to the
target size and the leading run of geometric layers (flip, rotation, zoom, shift,
shear, crops) compose into ONE affine matrix per image, and the image is resampled
once with OpenCV's `warpAffine` (files: right after their decode, a group of files per
Python call, `keras_aug.data.file_groups`; arrays: one call per image, `in_graph`):

* OpenCV, not our XLA warp: decoded images come in many sizes, and XLA compiles once
  per input shape; op by op our warp costs about 1.4 CPU ms per image. `warpAffine`
  needs no compilation and runs at any size. On 250-500 px JPEGs -> 150x150 it cost
  about 0.15-0.25 CPU ms per image, against 0.4 for our warp compiled by XLA over
  padded batches (plus its compilation in the first epoch) and 0.8 for TF's
  `ImageProjectiveTransformV3` (the alternatives measured are listed in
  `benchmarks/PIPELINE_RESULTS.md`).
* The matrices keep the library's conventions (continuous coordinates, output ->
  input, see `keras_aug.core.matrices`); they are converted to OpenCV's pixel-index
  convention here. Fill modes map one to one: constant -> BORDER_CONSTANT, nearest ->
  BORDER_REPLICATE, reflect (d c b a | a b c d) -> BORDER_REFLECT, mirror
  (d c b | a b c d) -> BORDER_REFLECT_101, wrap -> BORDER_WRAP.
* Precision: OpenCV places bilinear samples on a 1/32-pixel grid, and uint8 images
  stay uint8 (rounded), as in PIL, the legacy generator and Albumentations. Against
  the library's float warp that is at most 0.5 of a level on smooth content and a few
  levels across a sharp edge.
* Images more than 4x the size of the resize region along an axis are first shrunk
  with `INTER_AREA` (pixel averaging) to twice that size: bilinear sampling alone would
  skip most input pixels and alias badly. Up to 4x the single bilinear resample is
  kept, as `tf.image.resize` (Keras's loader) does at any factor: the area shrink
  costs about 0.75 CPU ms per 300x500 image, more than the warp itself. JPEGs rarely
  need it (they are decoded at a reduced DCT scale), large PNGs and arrays do. It also
  keeps every image within OpenCV's 32767-pixel limit on the sides it warps.
"""

import math

import cv2
import numpy as np
import tensorflow as tf

from keras_aug.data import exit_guard

INTERPOLATIONS = {"nearest": cv2.INTER_NEAREST, "bilinear": cv2.INTER_LINEAR}
BORDERS = {
    "constant": cv2.BORDER_CONSTANT,
    "nearest": cv2.BORDER_REPLICATE,
    "reflect": cv2.BORDER_REFLECT,
    "mirror": cv2.BORDER_REFLECT_101,
    "wrap": cv2.BORDER_WRAP,
}
# dtypes warpAffine takes as they are; others are not fused (see `supports`).
DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)
MAX_CHANNELS = 4
# Bilinear sampling reads 2 pixels per axis: beyond this shrink factor the image is
# first area-averaged to twice the resize region (see the module docstring).
MAX_BILINEAR_SHRINK = 4.0
_SHRINK_TO = 2.0


_opencv_threads_checked = False


def use_one_opencv_thread():
    """Turns OpenCV's own thread pool off (`cv2.setNumThreads(1)`), once per process.

    The data path calls OpenCV (decode, warp) from tf.data's parallel map, which already
    keeps every core busy. OpenCV's pool on top of that (OpenCV 5 splits even a 150x150
    warp over it) only adds wake-ups and spinning: on `benchmarks/pipeline.py`'s 2,000
    JPEGs it cost 5-8% more CPU per image (`benchmarks/PIPELINE_RESULTS.md`). The setting
    is process-wide, so it is made only while OpenCV still runs at its default thread
    count (a count set with `cv2.setNumThreads` or `OPENCV_FOR_THREADS_NUM` stands), and
    only at the first dataset built: a later `cv2.setNumThreads(n)` stands too.
    """
    global _opencv_threads_checked
    if _opencv_threads_checked:
        return
    _opencv_threads_checked = True
    if cv2.getNumThreads() == cv2.getNumberOfCPUs() > 1:
        cv2.setNumThreads(1)


def supports(interpolation, fill_mode, dtype, channels):
    """Whether the fused OpenCV resample handles these settings and images."""
    return (
        interpolation in INTERPOLATIONS
        and fill_mode in BORDERS
        and tf.as_dtype(dtype).as_numpy_dtype in DTYPES
        and channels is not None
        and 1 <= channels <= MAX_CHANNELS
    )


def aspect_crop(height, width, target_size):
    """(top, left, crop_height, crop_width) of the legacy `keep_aspect_ratio` centre crop."""
    th, tw = target_size
    crop_h = max(min(height, (width * th) // tw), 1)
    crop_w = max(min(width, (height * tw) // th), 1)
    return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w


def resize_scale_offset(height, width, target_size, keep_aspect_ratio=False):
    """(sx, sy, tx, ty) of the resize (and aspect crop) as an output -> input map.

    Continuous coordinates: an output point (x, y) of the target size reads the input at
    (sx * x + tx, sy * y + ty).
    """
    top, left, crop_h, crop_w = (
        aspect_crop(height, width, target_size) if keep_aspect_ratio else (0, 0, height, width)
    )
    th, tw = target_size
    return crop_w / tw, crop_h / th, float(left), float(top)


class Resampler:
    """`image, head_matrix -> image` at the output size: the fused per-image resample.

    Args:
        target_size: (height, width) of the resize.
        output_size: (height, width) after the geometric run (crops change it).
        keep_aspect_ratio: centre-crop to the target aspect ratio first (legacy rule).
        interpolation: "nearest" or "bilinear".
        fill_mode: "constant", "nearest", "reflect", "mirror" or "wrap".
        fill_value: the constant for fill_mode="constant", in the images' units.
    """

    def __init__(self, target_size, output_size, keep_aspect_ratio=False, interpolation="bilinear",
                 fill_mode="nearest", fill_value=0.0):
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {sorted(INTERPOLATIONS)}; received {interpolation!r}")
        if fill_mode not in BORDERS:
            raise ValueError(f"fill_mode must be one of {sorted(BORDERS)}; received {fill_mode!r}")
        self.target_size = tuple(int(s) for s in target_size)
        self.output_size = tuple(int(s) for s in output_size)
        self.keep_aspect_ratio = bool(keep_aspect_ratio)
        self.flags = INTERPOLATIONS[interpolation] | cv2.WARP_INVERSE_MAP
        self.shrink_first = interpolation == "bilinear"
        self.border = BORDERS[fill_mode]
        self.fill_value = float(fill_value)
        self.border_value = (self.fill_value,) * 4

    def __call__(self, image, head_matrix, out=None):
        """Numpy: `image` [H, W, C], `head_matrix` [3, 3] at the target size -> [h, w, C].

        `out`: an optional C-contiguous [h, w, C'] array of the image's dtype to write
        the result into (returned). An RGB uint8 image may come already padded to RGBA
        (C = 4) with C' = 3: alpha is then dropped after the warp, as below.
        """
        height, width, channels = image.shape
        sx, sy, tx, ty = resize_scale_offset(height, width, self.target_size, self.keep_aspect_ratio)
        image, (sx, sy, tx, ty) = self._shrink(image, sx, sy, tx, ty)
        # Resize after the head: rows of (resize @ head), then the shift from continuous
        # coordinates (pixel centres at i + 0.5) to OpenCV's (centres at i). Python floats:
        # small numpy matrix products cost more than the warp of a small image.
        (h00, h01, h02), (h10, h11, h12) = head_matrix.tolist()[:2]
        a, b, c = sx * h00, sx * h01, sx * h02 + tx
        d, e, f = sy * h10, sy * h11, sy * h12 + ty
        matrix = np.array([[a, b, c + 0.5 * (a + b) - 0.5], [d, e, f + 0.5 * (d + e) - 0.5]])
        out_h, out_w = self.output_size
        out_channels = channels if out is None else out.shape[-1]
        if channels == 3 and image.dtype == np.uint8:
            # OpenCV's vectorized bilinear remap covers 1 and 4 channels of uint8, not
            # 3: warping RGBA and dropping A is exact and about 1.5x faster, copies
            # included.
            image = cv2.cvtColor(image, cv2.COLOR_RGB2RGBA)
        warped = cv2.warpAffine(
            image, matrix, (out_w, out_h), flags=self.flags, borderMode=self.border,
            borderValue=self.border_value,
        )
        if out_channels == 3 and image.shape[2] == 4:
            result = cv2.cvtColor(warped, cv2.COLOR_RGBA2RGB, dst=out)
        else:
            result = warped.reshape(out_h, out_w, image.shape[2])
        if out is None:
            return result
        if not np.shares_memory(result, out):
            out[...] = result
        return out

    def _shrink(self, image, sx, sy, tx, ty):
        """Area-averages an image the resize would shrink by more than 4x (anti-aliasing)."""
        height, width = image.shape[:2]
        limit = MAX_BILINEAR_SHRINK if self.shrink_first else math.inf
        new_w = width if sx <= limit else max(1, math.ceil(width * _SHRINK_TO / sx))
        new_h = height if sy <= limit else max(1, math.ceil(height * _SHRINK_TO / sy))
        # OpenCV's remap stores integer coordinates in 16 bits.
        new_w, new_h = min(new_w, 32000), min(new_h, 32000)
        if (new_h, new_w) == (height, width):
            return image, (sx, sy, tx, ty)
        shrunk = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
        # Continuous coordinates scale with the image (OpenCV resizes about pixel centres
        # at i + 0.5, the same convention).
        fx, fy = new_w / width, new_h / height
        return shrunk.reshape(new_h, new_w, image.shape[2]), (fx * sx, fy * sy, fx * tx, fy * ty)

    def in_graph(self, image, head_matrix):
        """The resample as a tf op (a `numpy_function`) for a tf.data `map`."""
        out = exit_guard.numpy_function(self, [image, head_matrix], image.dtype, stateful=False)
        out.set_shape([self.output_size[0], self.output_size[1], image.shape[-1]])
        return out
