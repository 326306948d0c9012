"""RandomPerspective: Keras's corner-shift homography, one per sample, in the fused warp."""

import numbers

import keras

from keras_aug.core import arguments
from keras_aug.core import matrices as mat
from keras_aug.core.backend import ops
from keras_aug.core.geometric import GeometricAugmentation


def _parse_scale(scale):
    if not isinstance(scale, numbers.Real) or isinstance(scale, bool) or not 0.0 <= scale <= 1.0:
        raise ValueError(f"`scale` must be a number in [0, 1]; got {scale!r}.")
    return float(scale)


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomPerspective(GeometricAugmentation):
    """Distorts each sample by its own random perspective (a homography).

    Same name, arguments and sampling as `keras.layers.RandomPerspective`:
    each image's four corners, at index coordinates (0, 0), (W-1, 0),
    (0, H-1), (W-1, H-1), move to `corner * (1 + f)` with f drawn uniformly in
    [-scale/2, scale/2] per corner coordinate (so, as in Keras, the top-left
    corner stays put), and the image is warped so that its content at each
    corner lands on the moved corner.

    Unlike Keras's layer, this one compiles under `jit_compile=True`, joins the
    single resample of a `keras_aug.Pipeline` (its homography is multiplied
    with the matrices of the neighbouring geometric layers), moves masks,
    boxes and keypoints too, and is the identity when not training.

    Args:
      factor: probability range of applying the distortion, within [0, 1]. A
        number f means (0, f); a pair (low, high) is used as given. As in
        Keras, each sample draws a probability in the range and is distorted
        when a uniform draw falls below it: on average with probability
        (low + high) / 2. Default 1.0 (so on average half the samples).
      scale: in [0, 1], how far the corners may move, as a fraction of their
        coordinates (see above). Default 1.0.
      interpolation: "bilinear" (default) or "nearest".
      fill_value: the constant for fill_mode="constant", in the images' units.
      fill_mode: "constant" (default: what Keras's layer does), "nearest",
        "reflect", "wrap" or "mirror".
      mask_fill_value, seed, bounding_box_format, data_format: as for every
        geometric layer (`keras_aug.core.geometric.GeometricAugmentation`).

    Targets: images (warp with the perspective divide), masks (nearest),
    boxes (the enclosing box of the four moved corners, clipped; label -1
    when nothing is left), keypoints (through the homography; visibility 0
    outside); labels unchanged.

    Identity: `offsets` all zero (the matrix is then exactly the identity).
    """

    projective = True

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None,
                 data_format=None, fill_mode="constant", mask_fill_value=255, **kwargs):
        super().__init__(interpolation=interpolation, fill_mode=fill_mode, fill_value=fill_value,
                         mask_fill_value=mask_fill_value, seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.factor_range = arguments.parse_range(factor, "factor", symmetric=False, minimum=0.0, maximum=1.0)
        self.scale = _parse_scale(scale)

    def sample(self, shape, draws):
        n = [shape.batch_size]
        # Keras's draws: a probability per sample in the factor range, a
        # uniform threshold, and the relative corner shifts.
        probability = draws.uniform(n, *self.factor_range)
        apply = draws.uniform(n) < probability
        shifts = draws.uniform(n + [4, 2], -0.5 * self.scale, 0.5 * self.scale)
        return {"offsets": ops.where(apply[:, None, None], shifts, 0.0)}

    def identity_params(self, shape):
        return {"offsets": ops.zeros([shape.batch_size, 4, 2])}

    def matrix(self, params, height, width):
        offsets = params["offsets"]
        w1 = mat.as_float(width) - 1.0
        h1 = mat.as_float(height) - 1.0
        zero = ops.zeros_like(w1)
        start = ops.reshape(ops.stack([zero, zero, w1, zero, zero, h1, w1, h1]), [1, 4, 2])
        start = start + ops.zeros_like(offsets)
        end = start + start * offsets
        # Output -> input: the homography taking the moved corners back to the
        # corners, in index coordinates (Keras's), conjugated to continuous
        # coordinates (pixel centres at i + 0.5).
        index_map = mat.perspective(end, start)
        half = ops.zeros_like(offsets[:, 0, 0]) + 0.5
        homography = mat.chain([mat.translation(half, half), index_map, mat.translation(-half, -half)])
        # Exactly the identity where nothing moves (a solve would leave
        # rounding error, and an unchanged sample must come back bit for bit).
        moved = ops.any(ops.not_equal(offsets, 0.0), axis=(1, 2))
        return ops.where(moved[:, None, None], homography, mat.identity(ops.shape(offsets)[0]))

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, scale=self.scale)
        return config
