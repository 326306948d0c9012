"""Displacement fields: smooth random fields, and points moved through them.

A field `d` [B, H, W, 2] holds, for each output pixel p, the offset (dx, dy)
such that p reads the input at p + d(p) (output -> input, as the matrices of
`keras_aug.core.matrices`; continuous coordinates, pixel centres at i + 0.5).
Written on `keras_aug.core.backend.ops`.
"""

import numpy as np

from keras_aug.core import warp as warp_lib
from keras_aug.core.backend import ops

# Newton steps of `invert_points`.
INVERSE_STEPS = 10


def gaussian_kernel(sigma):
    """Keras's blur kernel for `sigma` (a Python float): size 6 * int(sigma) | 1, normalized.

    Returns a float32 numpy vector; sigma < 1 gives [1.0] (no smoothing), as in
    `keras.ops.image.elastic_transform`.
    """
    size = (6 * int(sigma)) | 1
    if size == 1:
        return np.ones([1], np.float32)
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    return (kernel / kernel.sum()).astype(np.float32)


def smooth(noise, kernel):
    """Separable Gaussian smoothing of `noise` [B, H, W, C] by a 1-D `kernel` (numpy).

    Zero padding ("same" size), as Keras's `gaussian_blur` in its elastic
    transform. Each axis is one matrix product with a banded (Toeplitz)
    matrix: a 67-tap kernel (sigma 11, a 224 px image) through a depthwise
    convolution cost about 100 CPU ms per image on TF's CPU kernels; as
    matrix products a few ms. (On GPUs a float32 matmul may run in TF32: for
    a random field that precision is more than enough.)
    """
    size = kernel.shape[0]
    if size == 1:
        return noise
    height, width = noise.shape[1], noise.shape[2]
    along_x = ops.convert_to_tensor(_band_matrix(kernel, width))
    along_y = ops.convert_to_tensor(_band_matrix(kernel, height))
    out = ops.einsum("bhwc,wv->bhvc", noise, along_x)
    return ops.einsum("bhwc,hu->buwc", out, along_y)


def _band_matrix(kernel, n):
    """[n, n] float32 matrix M with (x @ M)[v] = sum_k kernel[k] * x[v + k - r] (zero outside)."""
    radius = kernel.shape[0] // 2
    offset = np.arange(n)[:, None] - np.arange(n)[None, :] + radius  # w - v + r
    inside = (offset >= 0) & (offset < kernel.shape[0])
    return np.where(inside, kernel[np.clip(offset, 0, kernel.shape[0] - 1)], 0.0).astype(np.float32)


def pixel_centres(field):
    """[1, H, W, 2] (x, y) continuous coordinates of the pixel centres of `field`'s grid."""
    height, width = field.shape[1], field.shape[2]
    xs = ops.arange(width, dtype="float32") + 0.5
    ys = ops.arange(height, dtype="float32") + 0.5
    x = ops.broadcast_to(xs[None, :], [height, width])
    y = ops.broadcast_to(ys[:, None], [height, width])
    return ops.stack([x, y], axis=-1)[None]


def sample_field(field, points):
    """The field [B, H, W, 2] at points [B, N, 2] (bilinear, edge values beyond the grid)."""
    return warp_lib.warp_coordinates(field, points[:, :, None, :], "bilinear", "nearest")[:, :, 0, :]


def invert_points(field, points, steps=INVERSE_STEPS):
    """Moves input points [B, N, 2] to where the warp by `field` shows them.

    An output pixel p shows the input at p + d(p), so an input point q appears
    at the p solving F(p) = p + d(p) - q = 0. Solved by Newton's method from
    p = q, with the Jacobian of the (bilinearly sampled) field by central
    differences over one pixel; where I + J is near singular (the warp folds
    there) a step falls back to the fixed-point step p <- q - d(p). Exact for a
    constant field; where the warp does not fold it converges to a small
    fraction of a pixel in a few steps. Where it folds, several p show q, and
    where the field is rough (sigma < 1 leaves the noise unsmoothed, as in
    Keras) Newton may wander: the estimate with the smallest residual
    |p + d(p) - q| over all steps is returned.
    """
    step_x = ops.convert_to_tensor(np.float32([0.5, 0.0]))
    step_y = ops.convert_to_tensor(np.float32([0.0, 0.5]))
    estimate = best = points
    best_error = None
    n = ops.shape(points)[1]
    for _ in range(max(steps, 1)):
        # The field at the estimate and +-half a pixel along x and y: one read.
        probes = ops.concatenate([estimate, estimate + step_x, estimate - step_x, estimate + step_y,
                                  estimate - step_y], axis=1)
        here, right, left, down, up = (values[:, 0] for values in ops.split(
            ops.reshape(sample_field(field, probes), [-1, 5, n, 2]), 5, axis=1))
        residual = estimate + here - points
        error = ops.sum(residual * residual, axis=-1)
        if best_error is not None:
            best = ops.where((error < best_error)[..., None], estimate, best)
            error = ops.minimum(error, best_error)
        best_error = error
        # Jacobian of F = I + dd/dp: columns d/dx and d/dy (central differences over 1 px).
        d_dx, d_dy = right - left, down - up
        a, c = 1.0 + d_dx[..., 0], d_dx[..., 1]
        b, d = d_dy[..., 0], 1.0 + d_dy[..., 1]
        det = a * d - b * c
        solvable = ops.abs(det) > 0.2
        safe = ops.where(solvable, det, 1.0)
        newton = estimate - ops.stack([(d * residual[..., 0] - b * residual[..., 1]) / safe,
                                       (a * residual[..., 1] - c * residual[..., 0]) / safe], axis=-1)
        estimate = ops.where(solvable[..., None], newton, points - here)
    residual = estimate + sample_field(field, estimate) - points
    return ops.where((ops.sum(residual * residual, axis=-1) < best_error)[..., None], estimate, best)


def boundary_points(boxes, per_side):
    """[B, N, 4 * per_side, 2] points evenly spaced around xyxy boxes [B, N, 4] (corners included)."""
    t = ops.convert_to_tensor(np.arange(per_side, dtype=np.float32) / per_side)
    x1, y1, x2, y2 = (boxes[..., i, None] for i in range(4))
    dx, dy = x2 - x1, y2 - y1
    top = ops.stack([x1 + t * dx, y1 + 0.0 * t], axis=-1)
    right = ops.stack([x2 + 0.0 * t, y1 + t * dy], axis=-1)
    bottom = ops.stack([x2 - t * dx, y2 + 0.0 * t], axis=-1)
    left = ops.stack([x1 + 0.0 * t, y2 - t * dy], axis=-1)
    return ops.concatenate([top, right, bottom, left], axis=-2)

