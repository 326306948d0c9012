"""RandomElasticTransform: a smooth random displacement field per sample."""

import keras

from keras_aug.core import arguments
from keras_aug.core import dtypes
from keras_aug.core import fields
from keras_aug.core import warp as warp_lib
from keras_aug.core.backend import ops
from keras_aug.core.base import Augmentation
from keras_aug.core.fusion import materialized
from keras_aug.core.geometric import DEFAULT_MASK_FILL_VALUE
from keras_aug.core.geometric import enclosing_boxes
from keras_aug.core.geometric import placed_keypoints

# Points per box side traced through the field for the moved box (corners
# included): the box's edges bend, so their extremes can fall between corners.
BOX_POINTS_PER_SIDE = 16


@keras.saving.register_keras_serializable(package="keras_aug")
class RandomElasticTransform(Augmentation):
    """Warps each sample through its own smooth random displacement field.

    Same name and arguments as `keras.layers.RandomElasticTransform`. A
    field of independent normal noise per pixel and axis is smoothed by a
    Gaussian of width `sigma` and scaled by `alpha`; output pixel p shows the
    input at p + field(p). With H x W images (Keras's formulas):
    alpha = 0.1 * max(H, W) * s and sigma = 0.05 * min(H, W) * s, where s is the
    distortion scale. The per-pixel spread of the displacement is about
    alpha / (2 * sqrt(pi)) per axis (for sigma >= 2); its correlation length
    is about sigma.

    Differences from Keras, on purpose: s is drawn per sample (Keras draws one
    per batch), the two axes get independent noise (Keras reuses one noise
    draw for both, so every displacement points along the diagonal), and
    sigma is fixed per layer at the top of the `scale` range while alpha
    follows each sample's s: the blur kernel's size must not depend on a
    random draw under `jit`. The displacement's spread, which depends on alpha
    alone, is Keras's for the same s.

    A field is not a matrix: in a `keras_aug.Pipeline` this layer ends a run of
    geometric layers (it is applied on its own), and the data path does not
    fuse it into its resize.

    Args:
      factor: probability range of transforming a sample, within [0, 1]; a
        number f means (0, f). Each sample draws a probability in the range and
        is transformed when a uniform draw falls below it (Keras's rule: on
        average (low + high) / 2). Default 1.0.
      scale: range of the distortion scale s, within [0, 1]; a number v means
        (0, v). Default 1.0.
      interpolation: "bilinear" (default) or "nearest".
      fill_mode: "reflect" (default), "constant", "nearest", "wrap", "mirror".
      fill_value: the constant for fill_mode="constant", in the images' units.
      value_range: (low, high) of the images' values; transformed samples are
        clipped to it (as in Keras). Default (0, 255).
      mask_fill_value: what masks read where the image is constant-filled.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Targets: images (bilinear through the field), masks (nearest through the
    field), keypoints (moved to where the warp shows them: the field is
    inverted at each point by fixed-point iteration, accurate to a small
    fraction of a pixel where the warp does not fold, see
    `keras_aug.core.fields.invert_points`), boxes (the enclosing box of 16
    points per side of the box moved the same way, clipped; label -1 when
    nothing is left), labels unchanged. Needs static image height and width.

    Identity: `strength` 0 (and any `noise`).
    """

    is_geometric = True  # it moves pixels; it has no `matrix`, so nothing fuses it

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, mask_fill_value=DEFAULT_MASK_FILL_VALUE,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.factor_range = arguments.parse_range(factor, "factor", symmetric=False, minimum=0.0, maximum=1.0)
        self.scale = scale
        self.scale_range = arguments.parse_range(scale, "scale", symmetric=False, minimum=0.0, maximum=1.0)
        self.interpolation = warp_lib.validate_interpolation(interpolation)
        self.fill_mode = warp_lib.validate_fill_mode(fill_mode)
        self.fill_value = arguments.parse_fill_value(fill_value)
        self.value_range = arguments.parse_value_range(value_range)
        self.mask_fill_value = arguments.parse_mask_fill_value(mask_fill_value, allow_none=False)

    def sample(self, shape, draws):
        n = [shape.batch_size]
        probability = draws.uniform(n, *self.factor_range)
        apply = draws.uniform(n) < probability
        strength = ops.where(apply, draws.uniform(n, *self.scale_range), 0.0)
        noise = draws.normal(n + [shape.height, shape.width, 2])
        return {"strength": strength, "noise": noise}

    def identity_params(self, shape):
        return {"strength": ops.zeros([shape.batch_size]),
                "noise": ops.zeros([shape.batch_size, shape.height, shape.width, 2])}

    def field(self, params, height, width):
        """[B, H, W, 2] displacements (x, y) in pixels: output p reads input p + field(p)."""
        if not (isinstance(height, int) and isinstance(width, int)):
            raise ValueError(
                "RandomElasticTransform needs images of static height and width (its smoothing kernel is "
                f"sized from them); got height={height}, width={width}. Resize to a fixed size first."
            )
        sigma = 0.05 * min(height, width) * self.scale_range[1]
        alpha = 0.1 * max(height, width) * params["strength"]
        smoothed = fields.smooth(params["noise"] * sigma, fields.gaussian_kernel(sigma))
        return smoothed * alpha[:, None, None, None]

    def apply(self, batch, params):
        # Stored before the warps read it: under `jax.jit` (no warp fence there)
        # XLA fused the field, draws included, into every coordinate read of
        # the warp, and compiling one call took minutes.
        field = materialized(self.field(params, batch.height, batch.width))
        coordinates = fields.pixel_centres(field) + field
        images = warp_lib.warp_coordinates(batch.images, coordinates, self.interpolation, self.fill_mode,
                                           self.fill_value)
        changes = {"images": self._clipped(images, params["strength"] > 0.0)}
        if batch.masks is not None:
            fill = self.mask_fill_value if self.fill_mode == "constant" else 0
            changes["masks"] = warp_lib.warp_coordinates(batch.masks, coordinates, "nearest", self.fill_mode, fill)
        if batch.boxes is not None or batch.keypoints is not None:
            changes.update(self._move_annotations(batch, field))
        return batch.replace(**changes)

    def _move_annotations(self, batch, field):
        """Boxes (outline points) and keypoints moved through `field`, in one inversion."""
        groups = []
        if batch.boxes is not None:
            outline = fields.boundary_points(batch.boxes, BOX_POINTS_PER_SIDE)
            n, k = ops.shape(outline)[1], ops.shape(outline)[2]
            groups.append(ops.reshape(outline, [-1, n * k, 2]))
        if batch.keypoints is not None:
            groups.append(batch.keypoints[..., :2])
        moved = fields.invert_points(field, ops.concatenate(groups, axis=1) if len(groups) > 1 else groups[0])
        changes = {}
        if batch.boxes is not None:
            changes["boxes"], changes["box_labels"] = enclosing_boxes(
                ops.reshape(moved[:, :n * k], [-1, n, k, 2]), batch.box_labels, batch.height, batch.width
            )
            moved = moved[:, n * k:]
        if batch.keypoints is not None:
            changes["keypoints"] = placed_keypoints(moved, batch.keypoints, batch.height, batch.width)
        return changes

    def _clipped(self, images, active):
        """Transformed samples clipped to `value_range` (others untouched, bit for bit)."""
        dtype = dtypes.name_of(images)
        low, high = self.value_range
        if dtypes.is_integer(images):
            lowest, highest = dtypes.limits(images)
            if low <= lowest and high >= highest:
                return images
            low, high = max(low, lowest), min(high, highest)
        clipped = ops.clip(images, ops.cast(low, dtype), ops.cast(high, dtype))
        return ops.where(active[:, None, None, None], clipped, images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, scale=self.scale, interpolation=self.interpolation,
                      fill_mode=self.fill_mode, fill_value=self.fill_value, value_range=list(self.value_range),
                      mask_fill_value=self.mask_fill_value)
        return config
