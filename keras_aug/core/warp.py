"""The one resampler: a batch warped by per-sample 3x3 matrices, with gathers.

TF 2.21 has no XLA kernel for `ImageProjectiveTransformV3`, so a model using
Keras's geometric layers cannot be compiled with `jit_compile=True`. This warp
uses only elementwise math and one `tf.gather`, so it compiles, and it can write
an output of a different size than its input (a resize or crop fuses into it).

uint8 images are gathered as uint8; only the gathered neighbours are promoted
to float32 for the bilinear blend, so a batch is never copied to float whole.
"""

import tensorflow as tf

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


def _map_index(index, size, fill_mode):
    """Maps integer indices outside [0, size) by the fill mode; returns (index, inside)."""
    inside = (index >= 0) & (index < size)
    if fill_mode == "reflect":  # (d c b a | a b c d | d c b a)
        period = 2 * size
        m = tf.math.floormod(index, period)
        index = tf.where(m >= size, period - 1 - m, m)
    elif fill_mode == "mirror":  # (d c b | a b c d | c b a)
        period = tf.maximum(2 * size - 2, 1)
        m = tf.math.floormod(index, period)
        index = tf.where(m >= size, period - m, m)
    elif fill_mode == "wrap":
        index = tf.math.floormod(index, size)
    else:  # "nearest", and "constant" (whose outside reads are replaced later)
        index = tf.clip_by_value(index, 0, size - 1)
    return index, inside


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

    def gather(xi, yi):
        xi, x_in = _map_index(xi, width, fill_mode)
        yi, y_in = _map_index(yi, height, fill_mode)
        values = tf.gather(flat, offsets + yi * width + xi)
        return values, (x_in & y_in)

    if interpolation == "nearest":
        values, inside = gather(tf.cast(tf.floor(x), tf.int32), tf.cast(tf.floor(y), tf.int32))
        if fill_mode == "constant":
            values = tf.where(inside[..., None], values, tf.cast(fill_value, dtype))
        return values

    # Bilinear: neighbours around the point in index space (centres at i + 0.5).
    x = x - 0.5
    y = y - 0.5
    x0f = tf.floor(x)
    y0f = tf.floor(y)
    fx = (x - x0f)[..., None]
    fy = (y - y0f)[..., None]
    x0 = tf.cast(x0f, tf.int32)
    y0 = tf.cast(y0f, tf.int32)
    # One gather for the four neighbours: fewer, larger ops are faster on CPU.
    xs = tf.stack([x0, x0 + 1, x0, x0 + 1])
    ys = tf.stack([y0, y0, y0 + 1, y0 + 1])
    xs, x_in = _map_index(xs, width, fill_mode)
    ys, y_in = _map_index(ys, height, fill_mode)
    values = tf.cast(tf.gather(flat, offsets[None] + ys * width + xs), tf.float32)
    if fill_mode == "constant":
        values = tf.where((x_in & y_in)[..., None], values, tf.cast(fill_value, tf.float32))
    top = values[0] + (values[1] - values[0]) * fx
    bottom = values[2] + (values[3] - values[2]) * fx
    out = top + (bottom - top) * fy
    return cast_like(out, dtype)


def cast_like(values, dtype):
    """Casts float32 results back to `dtype`, rounding and clipping integer types."""
    if dtype.is_integer:
        values = tf.clip_by_value(tf.round(values), dtype.min, dtype.max)
    return tf.cast(values, dtype)
