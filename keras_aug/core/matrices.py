"""Per-sample 3x3 matrices in continuous pixel coordinates.

Conventions, shared by every geometric layer:
  * Continuous coordinates: the image spans [0, width] x [0, height]; the centre
    of pixel (row i, column j) is (x, y) = (j + 0.5, i + 0.5). Boxes and
    keypoints live in the same coordinates.
  * A layer's matrix maps an OUTPUT point to the INPUT point it is read from
    (the "inverse map" used by every resampler). Column vectors: [x, y, 1].
  * A chain of layers L1 then L2 then ... Ln has the matrix M1 @ M2 @ ... @ Mn.
Most matrices are affine (last row 0, 0, 1); `perspective` builds projective
ones (homographies), which act on points with the perspective divide:
(x, y) -> ((m00 x + m01 y + m02) / w, (m10 x + m11 y + m12) / w) with
w = m20 x + m21 y + m22. Code that moves points or pixels takes a static
`projective` flag: affine matrices skip the divide (and stay bit-identical to
the affine-only code), projective ones need it. Written on
`keras_aug.core.backend.ops`: the matrices are tensors of the backend the
current call computes with.
"""

import math

from keras_aug.core.backend import ops


def as_float(x):
    """`x` (a python number or a tensor) as a float32 tensor."""
    return ops.cast(x, "float32")


_f = as_float


def from_rows(a, b, c, d, e, f):
    """Builds [B, 3, 3] matrices [[a, b, c], [d, e, f], [0, 0, 1]] from [B] tensors."""
    a = _f(a)
    zero = ops.zeros_like(a)
    one = ops.ones_like(a)
    rows = [a, _f(b) + zero, _f(c) + zero, _f(d) + zero, _f(e) + zero, _f(f) + zero, zero, zero, one]
    return ops.reshape(ops.stack(rows, axis=-1), [-1, 3, 3])


def identity(batch_size):
    """[batch_size, 3, 3] identity matrices (batch_size: a python int or a scalar tensor)."""
    return ops.broadcast_to(ops.eye(3, dtype="float32"), [batch_size, 3, 3])


def multiply(a, b):
    """The products a @ b of [B, 3, 3] (or broadcastable) matrices, in plain float32.

    Written as elementwise products and a sum rather than a matmul: on
    Ampere and newer GPUs a float32 matmul may run in TF32 (10-bit mantissa;
    TensorFlow's default there, and allowed by JAX's default precision),
    which would move a pixel read 200 px from the origin by about a tenth of
    a pixel. Elementwise math is float32 on every device.
    """
    return ops.sum(a[..., :, :, None] * b[..., None, :, :], axis=-2)


def chain(matrices):
    """The matrix of a chain of layers: M1 @ M2 @ ... @ Mn for a non-empty sequence."""
    result = matrices[0]
    for m in matrices[1:]:
        result = multiply(result, m)
    return result


def translation(dx, dy):
    """Reads the input at (x + dx, y + dy): the content moves by (-dx, -dy)."""
    return from_rows(ops.ones_like(_f(dx)), 0.0, dx, 0.0, 1.0, dy)


def scaling(sx, sy):
    """Reads the input at (sx * x, sy * y)."""
    return from_rows(sx, 0.0, 0.0, 0.0, sy, 0.0)


def about(matrix, cx, cy):
    """Conjugates `matrix` so it acts about the point (cx, cy)."""
    cx = _f(cx) + ops.zeros(ops.shape(matrix)[:1])
    cy = _f(cy) + ops.zeros(ops.shape(matrix)[:1])
    return chain([translation(cx, cy), matrix, translation(-cx, -cy)])


def rotation(angle):
    """Reads the input at the output point turned by `angle` radians.

    With y pointing down, a positive angle here turns the image content
    counter-clockwise on screen (Keras's convention for a positive factor).
    """
    c = ops.cos(_f(angle))
    s = ops.sin(_f(angle))
    return from_rows(c, -s, 0.0, s, c, 0.0)


def shear(shear_x, shear_y):
    """Reads the input at (x + shear_x * y, y + shear_y * x)."""
    one = ops.ones_like(_f(shear_x))
    return from_rows(one, shear_x, 0.0, shear_y, one, 0.0)


def horizontal_flip(flip, width):
    """Per-sample mirror about the vertical centre line where `flip` is True."""
    sign = ops.where(flip, -1.0, 1.0)
    offset = ops.where(flip, _f(width), 0.0)
    return from_rows(sign, 0.0, offset, 0.0, ops.ones_like(sign), 0.0)


def vertical_flip(flip, height):
    sign = ops.where(flip, -1.0, 1.0)
    offset = ops.where(flip, _f(height), 0.0)
    return from_rows(ops.ones_like(sign), 0.0, 0.0, 0.0, sign, offset)


def quarter_turns(k, height, width):
    """Turns of k * 90 degrees counter-clockwise (as `np.rot90`), output (h', w').

    For odd k the output is width x height; the map is exact on pixel centres.
    """
    k = ops.mod(ops.cast(k, "int32"), 4)
    h = _f(height)
    w = _f(width)
    kf = _f(k)
    cos = ops.round(ops.cos(kf * (math.pi / 2)))
    sin = ops.round(ops.sin(kf * (math.pi / 2)))
    odd = ops.equal(ops.mod(k, 2), 1)
    out_w = ops.where(odd, h, w)
    out_h = ops.where(odd, w, h)
    # np.rot90 (counter-clockwise on screen): output (x, y) reads input
    # rotated about the centres of output and input.
    centre_out = translation(-out_w / 2, -out_h / 2)
    turn = from_rows(cos, -sin, 0.0, sin, cos, 0.0)
    return chain([translation(w / 2 + ops.zeros_like(kf), h / 2 + ops.zeros_like(kf)), turn, centre_out])


def invert_affine(matrix):
    """Closed-form inverse of affine [B, 3, 3] matrices (XLA friendly)."""
    a, b, c = matrix[:, 0, 0], matrix[:, 0, 1], matrix[:, 0, 2]
    d, e, f = matrix[:, 1, 0], matrix[:, 1, 1], matrix[:, 1, 2]
    det = a * e - b * d
    ia, ib = e / det, -b / det
    id_, ie = -d / det, a / det
    ic = -(ia * c + ib * f)
    if_ = -(id_ * c + ie * f)
    return from_rows(ia, ib, ic, id_, ie, if_)


def invert(matrix):
    """Inverse of general (projective) [B, 3, 3] matrices: adjugate / determinant.

    Closed form (no LU, XLA friendly). A homography is defined up to scale; the
    result is the true inverse (its product with `matrix` is the identity), so
    affine inputs give affine outputs. Use `invert_affine` on the affine path:
    it is cheaper and its bits are what the affine layers always produced.
    """
    m = [[matrix[:, r, c] for c in range(3)] for r in range(3)]

    def cofactor(r, c):
        rows = [i for i in range(3) if i != r]
        cols = [j for j in range(3) if j != c]
        minor = m[rows[0]][cols[0]] * m[rows[1]][cols[1]] - m[rows[0]][cols[1]] * m[rows[1]][cols[0]]
        return minor if (r + c) % 2 == 0 else -minor

    cof = [[cofactor(r, c) for c in range(3)] for r in range(3)]
    det = m[0][0] * cof[0][0] + m[0][1] * cof[0][1] + m[0][2] * cof[0][2]
    # inverse = adjugate / det, adjugate = transposed cofactors.
    entries = [cof[c][r] / det for r in range(3) for c in range(3)]
    return ops.reshape(ops.stack(entries, axis=-1), [-1, 3, 3])


def perspective(source, target):
    """[B, 3, 3] homographies mapping each quadrilateral `source` onto `target`.

    Args:
      source, target: [B, 4, 2] corner points (x, y) in the order top-left,
        top-right, bottom-left, bottom-right (Keras's `start_points` /
        `end_points` order). Each quadrilateral must be non-degenerate (no
        three corners on a line).

    Returns the matrix H with H @ source[i] = target[i] (after the divide), in
    closed form: both quadrilaterals are reached from the unit square
    (Heckbert's square-to-quad mapping), H = Q_target @ Q_source^-1.
    """
    return multiply(_square_to_quad(target), invert(_square_to_quad(source)))


def _square_to_quad(corners):
    """Homographies taking the unit square's (0,0), (1,0), (0,1), (1,1) to `corners` [B, 4, 2]."""
    corners = as_float(corners)
    (x0, y0), (x1, y1) = ops.unstack(corners[:, 0], axis=-1), ops.unstack(corners[:, 1], axis=-1)
    (x3, y3), (x2, y2) = ops.unstack(corners[:, 2], axis=-1), ops.unstack(corners[:, 3], axis=-1)
    # Heckbert (1989), with corners 0..3 around the square: (0,0) (1,0) (1,1) (0,1).
    dx1, dx2, dx3 = x1 - x2, x3 - x2, x0 - x1 + x2 - x3
    dy1, dy2, dy3 = y1 - y2, y3 - y2, y0 - y1 + y2 - y3
    den = dx1 * dy2 - dx2 * dy1
    g = (dx3 * dy2 - dx2 * dy3) / den
    h = (dx1 * dy3 - dx3 * dy1) / den
    one = ops.ones_like(x0)
    rows = [x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h, one]
    return ops.reshape(ops.stack(rows, axis=-1), [-1, 3, 3])


# Points mapped beyond a homography's horizon (w <= 0) have no image; they are
# sent this far away (still exact integers in float32), where every fill mode
# reads a defined value and every box clips.
FAR = 2.0**22


def transform_points(matrix, points, projective=False):
    """Applies [B, 3, 3] matrices to points [B, N, 2] (x, y).

    With `projective`, the result is divided by w = m20 x + m21 y + m22;
    points with w <= 0 (behind the horizon) go to (FAR, FAR) or beyond.
    """
    x = points[..., 0]
    y = points[..., 1]
    nx = matrix[:, 0:1, 0] * x + matrix[:, 0:1, 1] * y + matrix[:, 0:1, 2]
    ny = matrix[:, 1:2, 0] * x + matrix[:, 1:2, 1] * y + matrix[:, 1:2, 2]
    if projective:
        w = matrix[:, 2:3, 0] * x + matrix[:, 2:3, 1] * y + matrix[:, 2:3, 2]
        nx, ny = divide(nx, ny, w)
    return ops.stack([nx, ny], axis=-1)


def divide(x, y, w):
    """The perspective divide (x / w, y / w), kept finite: results are clipped
    to +-FAR, and w <= 0 (behind the horizon) sends the point to +FAR."""
    behind = w <= 0.0
    safe = ops.where(behind, 1.0, w)
    x = ops.where(behind, FAR, ops.clip(x / safe, -FAR, FAR))
    y = ops.where(behind, FAR, ops.clip(y / safe, -FAR, FAR))
    return x, y
