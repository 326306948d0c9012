"""The one resampler: a batch warped by per-sample 3x3 matrices, with gathers.

TF 2.21 has no XLA kernel for `ImageProjectiveTransformV3`, so a model using
Keras's geometric layers cannot be compiled with `jit_compile=True`. This warp
uses only elementwise math and gathers, so it compiles, and it can write an
output of a different size than its input (a resize or crop fuses into it).

uint8 images are gathered as uint8; only the gathered neighbours are promoted
to float32 for the bilinear blend, so a batch is never copied to float whole.

Speed (CPU, batch 64 x 224 x 224 x 3, bilinear; see benchmarks/layers.py):
under XLA the coordinates, the four gathers and the blend fuse into one loop
(about 0.45 CPU ms per uint8 image); run op by op in a plain graph the same
math costs about 4 ms per image, most of it in full-size intermediates. So
when `warp` is traced into a graph that XLA does not compile (a `tf.function`
without `jit_compile`, a tf.data `map`), it calls itself through a nested
`tf.function(jit_compile=True)`: XLA compiles just the warp, once per input
signature. Eager calls, output sizes only known at run time, and
`_tf_fast_path.COMPILE_IN_GRAPHS = False` use the op-by-op path. Both paths
compute the same thing (float results agree to about 1e-3 on 0-255 values,
integers to 1).

Written on `keras_aug.core.backend.ops`: the same warp runs on TensorFlow and
JAX; the nested compile and the fences are TensorFlow devices
(`keras_aug.core._tf_fast_path`).
"""

from keras_aug.core import backend
from keras_aug.core import dtypes
from keras_aug.core import matrices as mat
from keras_aug.core.backend import ops

INTERPOLATIONS = ("nearest", "bilinear")
FILL_MODES = ("constant", "nearest", "reflect", "wrap", "mirror")


def validate_interpolation(interpolation):
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"`interpolation` must be one of {INTERPOLATIONS}; got {interpolation!r}.")
    return interpolation


def validate_fill_mode(fill_mode):
    if fill_mode not in FILL_MODES:
        raise ValueError(f"`fill_mode` must be one of {FILL_MODES}; got {fill_mode!r}.")
    return fill_mode


def _as_float(size):
    return float(size) if isinstance(size, int) else ops.cast(size, "float32")


def _floormod(v, period):
    """`v mod period` for integer-valued float32 `v` and a positive period.

    Float math with a correction step instead of an integer `floormod`: both
    XLA and TF's CPU kernels vectorize it, and it is exact for |v| < 2**24.
    """
    m = v - period * ops.floor(v * (1.0 / period))
    m = ops.where(m >= period, m - period, m)  # 1 / period is rounded: fix the
    return ops.where(m < 0.0, m + period, m)  # off-by-one-period cases.


def _map_index(v, size, fill_mode):
    """Maps integer-valued float indices `v` into [0, size) by the fill mode.

    Returns (int32 index, inside) where `inside` (only for "constant") says
    whether `v` was inside the image.
    """
    sz = _as_float(size)
    if fill_mode in ("constant", "nearest"):
        inside = ((v >= 0.0) & (v < sz)) if fill_mode == "constant" else None
        return ops.cast(ops.clip(v, 0.0, sz - 1.0), "int32"), inside
    if fill_mode == "wrap":
        return ops.cast(_floormod(v, sz), "int32"), None
    if fill_mode == "reflect":  # (d c b a | a b c d | d c b a)
        period = 2.0 * sz
        m = _floormod(v, period)
        return ops.cast(ops.where(m >= sz, period - 1.0 - m, m), "int32"), None
    # "mirror": (d c b | a b c d | c b a)
    period = ops.maximum(2.0 * sz - 2.0, 1.0) if not isinstance(sz, float) else max(2.0 * sz - 2.0, 1.0)
    m = _floormod(v, period)
    return ops.cast(ops.where(m >= sz, period - m, m), "int32"), None


def _map_pair(v, size, fill_mode):
    """Maps the neighbours `v` and `v + 1` (integer-valued floats) by the fill mode.

    One modulo serves both neighbours. Returns (i0, i1, inside0, inside1);
    the inside masks are None except for "constant".
    """
    sz = _as_float(size)
    if fill_mode in ("constant", "nearest"):
        i0 = ops.cast(ops.clip(v, 0.0, sz - 1.0), "int32")
        i1 = ops.cast(ops.clip(v + 1.0, 0.0, sz - 1.0), "int32")
        if fill_mode == "nearest":
            return i0, i1, None, None
        return i0, i1, (v >= 0.0) & (v < sz), (v >= -1.0) & (v < sz - 1.0)
    if fill_mode == "wrap":
        m0 = _floormod(v, sz)
        m1 = m0 + 1.0
        m1 = ops.where(m1 >= sz, m1 - sz, m1)
        return ops.cast(m0, "int32"), ops.cast(m1, "int32"), None, None
    if fill_mode == "reflect":
        period = 2.0 * sz
        m0 = _floormod(v, period)
        m1 = m0 + 1.0  # in [1, period]; period reflects to -1 and is clamped to 0
        i0 = ops.where(m0 >= sz, period - 1.0 - m0, m0)
        i1 = ops.maximum(ops.where(m1 >= sz, period - 1.0 - m1, m1), 0.0)
        return ops.cast(i0, "int32"), ops.cast(i1, "int32"), None, None
    period = ops.maximum(2.0 * sz - 2.0, 1.0) if not isinstance(sz, float) else max(2.0 * sz - 2.0, 1.0)
    m0 = _floormod(v, period)
    m1 = m0 + 1.0  # in [1, period]; period mirrors to 0
    i0 = ops.where(m0 >= sz, period - m0, m0)
    i1 = ops.maximum(ops.where(m1 >= sz, period - m1, m1), 0.0)
    return ops.cast(i0, "int32"), ops.cast(i1, "int32"), None, None


def _dim(tensor, axis):
    static = tensor.shape[axis]
    return static if static is not None else ops.shape(tensor)[axis]


def sample_coordinates(matrices, output_size, projective=False):
    """Input coordinates (continuous) read by each output pixel: two [B, Ho, Wo] tensors.

    With `projective`, the coordinates get the perspective divide (see
    `keras_aug.core.matrices.divide`); without it the last row of `matrices`
    is taken to be (0, 0, 1) and not read.
    """
    out_h, out_w = output_size
    xs = ops.arange(out_w, dtype="float32") + 0.5
    ys = ops.arange(out_h, dtype="float32") + 0.5
    m = ops.cast(matrices, "float32")

    def row(r):
        return (
            m[:, r, 0, None, None] * xs[None, None, :]
            + m[:, r, 1, None, None] * ys[None, :, None]
            + m[:, r, 2, None, None]
        )

    if projective:
        return mat.divide(row(0), row(1), row(2))
    return row(0), row(1)


def warp(images, matrices, output_size=None, interpolation="bilinear", fill_mode="constant", fill_value=0.0,
         projective=False):
    """Resamples `images` [B, H, W, C] so output pixel p shows input point M @ p.

    Args:
      images: [B, H, W, C] tensor, any real dtype; the output has the same dtype
        (rounded and clipped to the dtype's range for integer types).
      matrices: [B, 3, 3] matrices, output -> input, in continuous pixel
        coordinates (see `keras_aug.core.matrices`).
      output_size: (height, width) of the output; defaults to the input size.
      interpolation: "nearest" or "bilinear".
      fill_mode: how points outside the input are read: "constant" (fill_value),
        "nearest" (edge pixel), "reflect" (d c b a | a b c d), "wrap", "mirror"
        (d c b | a b c d).
      fill_value: the constant for fill_mode="constant", in the images' units.
      projective: a Python bool: whether `matrices` may be projective
        (homographies). False (the affine path) ignores their last row and
        skips the perspective divide.
    """
    kernel = _fenced_projective_warp if projective else _fenced_warp
    return _dispatch(kernel, images, matrices, output_size, interpolation, fill_mode, fill_value)


def warp_coordinates(images, coordinates, interpolation="bilinear", fill_mode="constant", fill_value=0.0):
    """Resamples `images` [B, H, W, C] at given input points, one per output pixel.

    Args:
      coordinates: [B, Ho, Wo, 2] float32 (x, y) input points in continuous
        pixel coordinates (a displacement field added to the pixel centres,
        for instance); the output is [B, Ho, Wo, C].
      images, interpolation, fill_mode, fill_value: as in `warp`.
    """
    size = (_dim(coordinates, 1), _dim(coordinates, 2))
    return _dispatch(_fenced_coordinate_warp, images, coordinates, size, interpolation, fill_mode, fill_value)


def _dispatch(kernel, images, where, output_size, interpolation, fill_mode, fill_value):
    """Runs a fenced warp `kernel`: nested-compiled, fenced inside XLA, or op by op."""
    validate_interpolation(interpolation)
    validate_fill_mode(fill_mode)
    if backend.current() == "tensorflow":
        from keras_aug.core import _tf_fast_path as fast

        if fast.compile_warp(images, output_size):
            return fast.compiled_warp(kernel, images, where, output_size, interpolation, fill_mode, fill_value)
        if fast.in_xla_context():
            return kernel(images, where, output_size, interpolation, fill_mode, fill_value)
    return _UNFENCED[kernel](images, where, output_size, interpolation, fill_mode, fill_value)


def _fenced(kernel):
    """`kernel` with its input and output fenced from XLA fusion (see `_tf_fast_path.fence`)."""

    def fenced(images, where, output_size, interpolation, fill_mode, fill_value):
        from keras_aug.core._tf_fast_path import fence

        return fence(kernel(fence(images), where, output_size, interpolation, fill_mode, fill_value))

    fenced.__name__ = f"fenced{kernel.__name__}"
    return fenced


def _warp(images, matrices, output_size, interpolation, fill_mode, fill_value):
    """The affine warp: coordinates from the matrices, then `_resample`."""
    x, y = sample_coordinates(matrices, output_size or (_dim(images, 1), _dim(images, 2)))
    return _resample(images, x, y, interpolation, fill_mode, fill_value)


def _projective_warp(images, matrices, output_size, interpolation, fill_mode, fill_value):
    """The projective warp: coordinates with the perspective divide, then `_resample`."""
    x, y = sample_coordinates(matrices, output_size or (_dim(images, 1), _dim(images, 2)), projective=True)
    return _resample(images, x, y, interpolation, fill_mode, fill_value)


def _coordinate_warp(images, coordinates, output_size, interpolation, fill_mode, fill_value):
    """Reads `images` at given [B, Ho, Wo, 2] (x, y) points (`output_size` is theirs)."""
    coordinates = ops.cast(coordinates, "float32")
    return _resample(images, coordinates[..., 0], coordinates[..., 1], interpolation, fill_mode, fill_value)


def _resample(images, x, y, interpolation, fill_mode, fill_value):
    """Reads `images` [B, H, W, C] at continuous input points `x`, `y` [B, Ho, Wo]."""
    batch = ops.shape(images)[0]
    height = _dim(images, 1)
    width = _dim(images, 2)
    flat = ops.reshape(images, [-1, _dim(images, 3)])
    offsets = (ops.arange(batch, dtype="int32") * (height * width))[:, None, None]
    return resample_flat(flat, offsets, height, width, x, y, interpolation, fill_mode, fill_value)


def resample_flat(flat, offsets, height, width, x, y, interpolation="bilinear", fill_mode="constant",
                  fill_value=0.0):
    """Reads images stored as rows of `flat` at continuous input points `x`, `y`.

    The kernel behind `warp`. Image b is the `height * width` rows of `flat` [N, C]
    from row `offsets[b]`, row-major; `height` and `width` may be scalar tensors (an
    image of any size in a buffer of a static size N, as XLA needs: the data path's
    fused resample, `keras_aug.data.graph_resample`).

    Args:
      flat: [N, C] pixels, any real dtype (the output's).
      offsets: int32 first row of each image, broadcastable to `x` (e.g. [B, 1, 1] or 0).
      height, width: the images' size (python ints or int32 scalar tensors).
      x, y: float32 [..., Ho, Wo] input points in continuous pixel coordinates.
      interpolation, fill_mode, fill_value: as in `warp`.

    Returns:
      [..., Ho, Wo, C] values of `flat`'s dtype.
    """
    dtype = dtypes.name_of(flat)

    if interpolation == "nearest":
        xi, x_in = _map_index(ops.floor(x), width, fill_mode)
        yi, y_in = _map_index(ops.floor(y), height, fill_mode)
        values = ops.take(flat, offsets + yi * width + xi, axis=0)
        if fill_mode == "constant":
            values = ops.where((x_in & y_in)[..., None], values, ops.cast(fill_value, dtype))
        return values

    # Bilinear: neighbours around the point in index space (centres at i + 0.5).
    x0f = ops.floor(x - 0.5)
    y0f = ops.floor(y - 0.5)
    fx = x - 0.5 - x0f
    fy = y - 0.5 - y0f
    x0, x1, x0_in, x1_in = _map_pair(x0f, width, fill_mode)
    y0, y1, y0_in, y1_in = _map_pair(y0f, height, fill_mode)
    row0 = offsets + y0 * width
    row1 = offsets + y1 * width

    # Four separate gathers, each cast right away: XLA fuses every gather into
    # the one loop that blends and writes the output, so no [4, B, H, W, C]
    # stack is materialized (a stacked gather ran 2-3x slower, measured).
    def take(index):
        return ops.cast(ops.take(flat, index, axis=0), "float32")

    v00, v01, v10, v11 = take(row0 + x0), take(row0 + x1), take(row1 + x0), take(row1 + x1)
    if fill_mode == "constant":
        # Outside neighbours read `fill_value`: zero their weights and add the
        # fill once, weighted by the total weight that fell outside.
        wx0 = ops.where(x0_in, 1.0 - fx, 0.0)
        wx1 = ops.where(x1_in, fx, 0.0)
        wy0 = ops.where(y0_in, 1.0 - fy, 0.0)
        wy1 = ops.where(y1_in, fy, 0.0)
        top = v00 * wx0[..., None] + v01 * wx1[..., None]
        bottom = v10 * wx0[..., None] + v11 * wx1[..., None]
        out = top * wy0[..., None] + bottom * wy1[..., None]
        if not (isinstance(fill_value, (int, float)) and fill_value == 0):
            outside = 1.0 - (wx0 + wx1) * (wy0 + wy1)
            out = out + ops.cast(fill_value, "float32") * outside[..., None]
    else:
        fx = fx[..., None]
        fy = fy[..., None]
        top = v00 + (v01 - v00) * fx
        bottom = v10 + (v11 - v10) * fx
        out = top + (bottom - top) * fy
    return dtypes.cast_like(out, dtype)




_fenced_warp = _fenced(_warp)
_fenced_projective_warp = _fenced(_projective_warp)
_fenced_coordinate_warp = _fenced(_coordinate_warp)
# The plain kernel behind each fenced one (op-by-op and eager calls need no fence).
_UNFENCED = {_fenced_warp: _warp, _fenced_projective_warp: _projective_warp,
             _fenced_coordinate_warp: _coordinate_warp}
