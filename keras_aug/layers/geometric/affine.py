"""RandomAffine with torchvision's meaning of every argument."""

import math
import numbers

import keras

from keras_aug.core import arguments
from keras_aug.core import matrices as mat
from keras_aug.core.backend import ops
from keras_aug.core.base import constant_params
from keras_aug.core.geometric import GeometricAugmentation


def _parse_shear(shear):
    """torchvision's shear: number s -> x in (-s, s); (a, b) -> x; (a, b, c, d) -> x and y."""
    if shear is None:
        return None
    if isinstance(shear, numbers.Real) and not isinstance(shear, bool):
        return arguments.parse_range(shear, "shear"), (0.0, 0.0)
    if isinstance(shear, (tuple, list)) and len(shear) == 2:
        return arguments.parse_range(tuple(shear), "shear"), (0.0, 0.0)
    if isinstance(shear, (tuple, list)) and len(shear) == 4:
        return arguments.parse_range(tuple(shear[:2]), "shear"), arguments.parse_range(tuple(shear[2:]), "shear")
    raise ValueError(f"`shear` must be a number, or a sequence of 2 or 4 numbers (degrees); got {shear!r}.")


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomAffine(GeometricAugmentation):
    """Random rotation, translation, scale and shear about the centre, per sample.

    The arguments mean what they mean in torchvision's `RandomAffine`, so
    `RandomAffine(0, shear=10, scale=(0.8, 1.2))` ports one to one:

    Args:
      degrees: rotation range in degrees; a number d means (-d, d). Positive
        angles turn the content CLOCKWISE, as in torchvision's affine (the
        opposite of `RandomRotation`'s positive factor).
      translate: None or (a, b): maximum absolute fractions of width and
        height; the shift is drawn in (-a*W, a*W) and (-b*H, b*H) and rounded
        to whole pixels, as torchvision does. Positive shifts move content
        right / down.
      scale: None or (low, high) scale factor range (> 0); > 1 enlarges content.
      shear: None, a number s (x shear in (-s, s) degrees), a pair (x range)
        or four numbers (x range, then y range), in degrees.
      interpolation: "bilinear" (default here) or "nearest" (torchvision's default).
      fill_mode: "constant" (default, as torchvision) or another fill mode.
      fill_value: constant for fill_mode="constant".
      mask_fill_value, seed, bounding_box_format, data_format: as elsewhere.

    Parameters (`sample`): {"angle", "tx", "ty", "scale", "shear_x",
    "shear_y"}, [B] float32 each (degrees, pixels, factor, degrees);
    `identity_params`: scale 1, the others 0.

    Targets: images, masks, boxes, keypoints moved together; labels unchanged.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation="bilinear",
                 fill_mode="constant", fill_value=0.0, mask_fill_value=255, seed=None, data_format=None,
                 **kwargs):
        super().__init__(interpolation=interpolation, fill_mode=fill_mode, fill_value=fill_value,
                         mask_fill_value=mask_fill_value, seed=seed, data_format=data_format, **kwargs)
        self.degrees = degrees
        self.translate = translate
        self.scale = scale
        self.shear = shear
        self.degree_range = arguments.parse_range(degrees, "degrees")
        if translate is not None:
            if not (isinstance(translate, (tuple, list)) and len(translate) == 2
                    and all(isinstance(t, numbers.Real) and 0.0 <= t <= 1.0 for t in translate)):
                raise ValueError(f"`translate` must be None or a pair of fractions in [0, 1]; got {translate!r}.")
        if scale is not None:
            low, high = arguments.parse_range(scale, "scale", symmetric=False)
            if isinstance(scale, numbers.Real) or low <= 0:
                raise ValueError(f"`scale` must be None or a (low, high) pair with 0 < low <= high; got {scale!r}.")
        self.shear_ranges = _parse_shear(shear)

    def sample(self, shape, draws):
        n = [shape.batch_size]
        params = {"angle": draws.uniform(n, *self.degree_range)}
        zero = ops.zeros(n)
        if self.translate is not None:
            max_dx = self.translate[0] * ops.cast(shape.width, "float32")
            max_dy = self.translate[1] * ops.cast(shape.height, "float32")
            params["tx"] = ops.round(draws.uniform(n, -max_dx, max_dx))
            params["ty"] = ops.round(draws.uniform(n, -max_dy, max_dy))
        else:
            params["tx"] = params["ty"] = zero
        params["scale"] = draws.uniform(n, *self.scale) if self.scale is not None else zero + 1.0
        if self.shear_ranges is not None:
            params["shear_x"] = draws.uniform(n, *self.shear_ranges[0])
            params["shear_y"] = draws.uniform(n, *self.shear_ranges[1])
        else:
            params["shear_x"] = params["shear_y"] = zero
        return params

    def identity_params(self, shape):
        zero = constant_params(shape.batch_size, 0.0)
        return {"angle": zero, "tx": zero, "ty": zero, "scale": zero + 1.0, "shear_x": zero, "shear_y": zero}

    def matrix(self, params, height, width):
        # torchvision's inverse affine matrix: M = T C RSS C^-1, with
        # RSS = R(angle) S(scale) SHy(shear_y) SHx(shear_x), inverted in closed form.
        rot = params["angle"] * (math.pi / 180.0)
        sx = params["shear_x"] * (math.pi / 180.0)
        sy = params["shear_y"] * (math.pi / 180.0)
        scale = params["scale"]
        a = ops.cos(rot - sy) / ops.cos(sy)
        b = -(a * ops.tan(sx) + ops.sin(rot))
        c = ops.sin(rot - sy) / ops.cos(sy)
        d = ops.cos(rot) - c * ops.tan(sx)
        cx = ops.cast(width, "float32") / 2.0
        cy = ops.cast(height, "float32") / 2.0
        m0, m1, m3, m4 = d / scale, -b / scale, -c / scale, a / scale
        m2 = cx - m0 * (cx + params["tx"]) - m1 * (cy + params["ty"])
        m5 = cy - m3 * (cx + params["tx"]) - m4 * (cy + params["ty"])
        return mat.from_rows(m0, m1, m2, m3, m4, m5)

    def get_config(self):
        config = super().get_config()
        config.update(degrees=self.degrees, translate=self.translate, scale=self.scale, shear=self.shear)
        return config
