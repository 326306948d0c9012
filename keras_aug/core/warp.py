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
`COMPILE_IN_GRAPHS = False` use the op-by-op path. Both paths compute the same
thing (float results agree to about 1e-3 on 0-255 values, integers to 1).
"""

import numbers

import tensorflow as tf

try:  # Tells whether a graph is being compiled by XLA already.
    from tensorflow.python.ops.control_flow_util import GraphOrParentsInXlaContext as _in_xla_context
except ImportError:  # pragma: no cover - only if TF moves it
    def _in_xla_context(graph):
        return False

# Compile the warp with XLA when it is traced into a graph XLA would not
# otherwise compile (see the module docstring). Set to False to keep it op by
# op, e.g. for a runtime without XLA.
COMPILE_IN_GRAPHS = True

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
    return float(size) if isinstance(size, int) else tf.cast(size, tf.float32)


def _floormod(v, period):
    """`v mod period` for integer-valued float32 `v` and a positive period.

    Float math with a correction step instead of an integer `floormod`: both
    XLA and TF's CPU kernels vectorize it, and it is exact for |v| < 2**24.
    """
    m = v - period * tf.floor(v * (1.0 / period))
    m = tf.where(m >= period, m - period, m)  # 1 / period is rounded: fix the
    return tf.where(m < 0.0, m + period, m)  # off-by-one-period cases.


def _map_index(v, size, fill_mode):
    """Maps integer-valued float indices `v` into [0, size) by the fill mode.

    Returns (int32 index, inside) where `inside` (only for "constant") says
    whether `v` was inside the image.
    """
    sz = _as_float(size)
    if fill_mode in ("constant", "nearest"):
        inside = ((v >= 0.0) & (v < sz)) if fill_mode == "constant" else None
        return tf.cast(tf.clip_by_value(v, 0.0, sz - 1.0), tf.int32), inside
    if fill_mode == "wrap":
        return tf.cast(_floormod(v, sz), tf.int32), None
    if fill_mode == "reflect":  # (d c b a | a b c d | d c b a)
        period = 2.0 * sz
        m = _floormod(v, period)
        return tf.cast(tf.where(m >= sz, period - 1.0 - m, m), tf.int32), None
    # "mirror": (d c b | a b c d | c b a)
    period = tf.maximum(2.0 * sz - 2.0, 1.0) if not isinstance(sz, float) else max(2.0 * sz - 2.0, 1.0)
    m = _floormod(v, period)
    return tf.cast(tf.where(m >= sz, period - m, m), tf.int32), None


def _map_pair(v, size, fill_mode):
    """Maps the neighbours `v` and `v + 1` (integer-valued floats) by the fill mode.

    One modulo serves both neighbours. Returns (i0, i1, inside0, inside1);
    the inside masks are None except for "constant".
    """
    sz = _as_float(size)
    if fill_mode in ("constant", "nearest"):
        i0 = tf.cast(tf.clip_by_value(v, 0.0, sz - 1.0), tf.int32)
        i1 = tf.cast(tf.clip_by_value(v + 1.0, 0.0, sz - 1.0), tf.int32)
        if fill_mode == "nearest":
            return i0, i1, None, None
        return i0, i1, (v >= 0.0) & (v < sz), (v >= -1.0) & (v < sz - 1.0)
    if fill_mode == "wrap":
        m0 = _floormod(v, sz)
        m1 = m0 + 1.0
        m1 = tf.where(m1 >= sz, m1 - sz, m1)
        return tf.cast(m0, tf.int32), tf.cast(m1, tf.int32), None, None
    if fill_mode == "reflect":
        period = 2.0 * sz
        m0 = _floormod(v, period)
        m1 = m0 + 1.0  # in [1, period]; period reflects to -1 and is clamped to 0
        i0 = tf.where(m0 >= sz, period - 1.0 - m0, m0)
        i1 = tf.maximum(tf.where(m1 >= sz, period - 1.0 - m1, m1), 0.0)
        return tf.cast(i0, tf.int32), tf.cast(i1, tf.int32), None, None
    period = tf.maximum(2.0 * sz - 2.0, 1.0) if not isinstance(sz, float) else max(2.0 * sz - 2.0, 1.0)
    m0 = _floormod(v, period)
    m1 = m0 + 1.0  # in [1, period]; period mirrors to 0
    i0 = tf.where(m0 >= sz, period - m0, m0)
    i1 = tf.maximum(tf.where(m1 >= sz, period - m1, m1), 0.0)
    return tf.cast(i0, tf.int32), tf.cast(i1, tf.int32), None, None


def _dim(tensor, axis):
    static = tensor.shape[axis]
    return static if static is not None else tf.shape(tensor)[axis]


def sample_coordinates(matrices, output_size):
    """Input coordinates (continuous) read by each output pixel: two [B, Ho, Wo] tensors."""
    out_h, out_w = output_size
    xs = tf.range(tf.cast(out_w, tf.float32), dtype=tf.float32) + 0.5
    ys = tf.range(tf.cast(out_h, tf.float32), dtype=tf.float32) + 0.5
    m = tf.cast(matrices, tf.float32)

    def row(r):
        return (
            m[:, r, 0, None, None] * xs[None, None, :]
            + m[:, r, 1, None, None] * ys[None, :, None]
            + m[:, r, 2, None, None]
        )

    return row(0), row(1)


def warp(images, matrices, output_size=None, interpolation="bilinear", fill_mode="constant", fill_value=0.0):
    """Resamples `images` [B, H, W, C] so output pixel p shows input point M @ p.

    Args:
      images: [B, H, W, C] tensor, any real dtype; the output has the same dtype
        (rounded and clipped to the dtype's range for integer types).
      matrices: [B, 3, 3] affine matrices, output -> input, in continuous pixel
        coordinates (see `keras_aug.core.matrices`).
      output_size: (height, width) of the output; defaults to the input size.
      interpolation: "nearest" or "bilinear".
      fill_mode: how points outside the input are read: "constant" (fill_value),
        "nearest" (edge pixel), "reflect" (d c b a | a b c d), "wrap", "mirror"
        (d c b | a b c d).
      fill_value: the constant for fill_mode="constant", in the images' units.
    """
    validate_interpolation(interpolation)
    validate_fill_mode(fill_mode)
    if _compile_nested(images, output_size):
        if output_size is not None:
            output_size = (int(output_size[0]), int(output_size[1]))
        fn, extra = _compiled(output_size, interpolation, fill_mode, fill_value)
        return fn(images, matrices, *extra)
    if not tf.executing_eagerly() and _in_xla_context(tf.compat.v1.get_default_graph()):
        return _fenced_warp(images, matrices, output_size, interpolation, fill_mode, fill_value)
    return _warp(images, matrices, output_size, interpolation, fill_mode, fill_value)


def _fenced_warp(images, matrices, output_size, interpolation, fill_mode, fill_value):
    """The warp with its input and output materialized (for XLA).

    Left alone, XLA fuses whatever produced `images` (another warp, a colour
    op) into each of the four gathers and recomputes it for every read: two
    warps in one compiled function cost 4.1 CPU ms per image instead of
    2 x 0.42, three cost 6.0. `_fence` stops that fusion; with it, warps
    chain linearly (0.85 for two, 1.22 for three).
    """
    return _fence(_warp(_fence(images), matrices, output_size, interpolation, fill_mode, fill_value))


def _fence(values):
    """The identity, as an op XLA cannot fuse into its consumers.

    A scatter is not loop-fusible on XLA:CPU, and XLA's
    `optimization_barrier` is dropped before fusion, so: a scatter-max of the
    dtype's lowest value into one element, which changes nothing (and costs
    one copy of the batch).
    """
    dtype = values.dtype
    if not (dtype.is_floating or dtype.is_integer) or values.shape.rank is None:
        return values
    if getattr(getattr(values, "op", None), "type", None) == "Placeholder":
        return values  # a function argument: nothing upstream to fuse
    lowest = -float("inf") if dtype.is_floating else dtype.min
    index = tf.zeros([1, values.shape.rank], tf.int32)
    return tf.tensor_scatter_nd_max(values, index, tf.fill([1], tf.constant(lowest, dtype)))


def _compile_nested(images, output_size):
    """Whether to run the warp as its own XLA-compiled function (see module docstring)."""
    if not COMPILE_IN_GRAPHS or tf.executing_eagerly():
        return False
    if images.shape.rank != 4 or not images.shape[1:].is_fully_defined():
        # XLA compiles once per concrete shape: with sizes known only at run
        # time (a tf.data map over photos of many sizes) that is a compile per
        # image size, far slower than the op-by-op path.
        return False
    if output_size is not None and not all(isinstance(s, numbers.Integral) for s in output_size):
        return False  # XLA needs the output size at compile time
    return not _in_xla_context(tf.compat.v1.get_default_graph())


def _warp(images, matrices, output_size, interpolation, fill_mode, fill_value):
    batch = tf.shape(images)[0]
    height = _dim(images, 1)
    width = _dim(images, 2)
    channels = _dim(images, 3)
    if output_size is None:
        output_size = (height, width)
    x, y = sample_coordinates(matrices, output_size)
    flat = tf.reshape(images, [-1, channels])
    offsets = (tf.range(batch) * (height * width))[:, None, None]
    dtype = images.dtype

    if interpolation == "nearest":
        xi, x_in = _map_index(tf.floor(x), width, fill_mode)
        yi, y_in = _map_index(tf.floor(y), height, fill_mode)
        values = tf.gather(flat, offsets + yi * width + xi)
        if fill_mode == "constant":
            values = tf.where((x_in & y_in)[..., None], values, tf.cast(fill_value, dtype))
        return values

    # Bilinear: neighbours around the point in index space (centres at i + 0.5).
    x0f = tf.floor(x - 0.5)
    y0f = tf.floor(y - 0.5)
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
        return tf.cast(tf.gather(flat, index), tf.float32)

    v00, v01, v10, v11 = take(row0 + x0), take(row0 + x1), take(row1 + x0), take(row1 + x1)
    if fill_mode == "constant":
        # Outside neighbours read `fill_value`: zero their weights and add the
        # fill once, weighted by the total weight that fell outside.
        wx0 = tf.where(x0_in, 1.0 - fx, 0.0)
        wx1 = tf.where(x1_in, fx, 0.0)
        wy0 = tf.where(y0_in, 1.0 - fy, 0.0)
        wy1 = tf.where(y1_in, fy, 0.0)
        top = v00 * wx0[..., None] + v01 * wx1[..., None]
        bottom = v10 * wx0[..., None] + v11 * wx1[..., None]
        out = top * wy0[..., None] + bottom * wy1[..., None]
        if not (isinstance(fill_value, (int, float)) and fill_value == 0):
            outside = 1.0 - (wx0 + wx1) * (wy0 + wy1)
            out = out + tf.cast(fill_value, tf.float32) * outside[..., None]
    else:
        fx = fx[..., None]
        fy = fy[..., None]
        top = v00 + (v01 - v00) * fx
        bottom = v10 + (v11 - v10) * fx
        out = top + (bottom - top) * fy
    return cast_like(out, dtype)


_COMPILED = {}


def _compiled(output_size, interpolation, fill_mode, fill_value):
    """(function, extra arguments): one XLA-compiled warp per setting.

    Each function traces only for new input signatures. A numeric
    `fill_value` is part of the setting; a tensor one is an extra argument.
    """
    numeric = isinstance(fill_value, (int, float))
    key = (output_size, interpolation, fill_mode, fill_value if numeric else "tensor")
    fn = _COMPILED.get(key)
    if fn is None:
        if numeric:
            def run(images, matrices):
                return _fenced_warp(images, matrices, output_size, interpolation, fill_mode, fill_value)
        else:
            def run(images, matrices, value):
                return _fenced_warp(images, matrices, output_size, interpolation, fill_mode, value)
        fn = _COMPILED[key] = tf.function(run, jit_compile=True, autograph=False)
    return fn, (() if numeric else (fill_value,))


def cast_like(values, dtype):
    """Casts float32 results back to `dtype`, rounding and clipping integer types."""
    if dtype.is_integer:
        values = tf.clip_by_value(tf.round(values), dtype.min, dtype.max)
    return tf.cast(values, dtype)
