"""Geometric layers: one matrix per sample, every target derived from it.

A geometric layer writes only `matrix(params, height, width)` (and
`output_size` when it changes the size). `transform_batch` then moves every
target with that matrix:
  * images through the warp (the layer's interpolation and fill),
  * masks through the same warp with nearest interpolation; where the image is
    filled with a constant, masks get `mask_fill_value` (an ignore value),
    otherwise they follow the image's fill mode so labels stay with pixels,
  * boxes by mapping their four corners to the output and taking the enclosing
    box, then clipping; boxes left with no area get label -1,
  * keypoints by the inverse matrix; points that left the image get
    visibility 0 when a visibility column is given.
Projective layers (`projective = True`, RandomPerspective) give homographies:
pixels, corners and points then go through the perspective divide (a
homography maps a box's edges to straight lines, so the enclosing box of the
four moved corners is still the enclosing box of the moved box). A run is
projective when any of its layers is; affine runs skip the divide.
`keras_aug.Pipeline` multiplies the matrices of consecutive geometric layers
and calls `transform_batch` once. Written on `keras_aug.core.backend.ops`.
"""

from keras_aug.core import arguments
from keras_aug.core import boxes as box_utils
from keras_aug.core import matrices as mat
from keras_aug.core import warp as warp_lib
from keras_aug.core.base import Augmentation
from keras_aug.core.base import shape_of
from keras_aug.core.backend import ops

DEFAULT_MASK_FILL_VALUE = 255


def transform_batch(batch, matrices, output_size, interpolation="bilinear", fill_mode="constant",
                    fill_value=0.0, mask_fill_value=DEFAULT_MASK_FILL_VALUE, projective=False):
    """Moves every target of `batch` by per-sample matrices (output -> input).

    `projective` (a Python bool): the matrices may be homographies (see the
    module docstring); False keeps the affine path.
    """
    changes = {
        "images": warp_lib.warp(batch.images, matrices, output_size, interpolation, fill_mode, fill_value,
                                projective=projective)
    }
    if batch.masks is not None:
        changes["masks"] = warp_lib.warp(
            batch.masks, matrices, output_size, "nearest", fill_mode,
            mask_fill_value if fill_mode == "constant" else 0, projective=projective,
        )
    return move_annotations(batch, matrices, output_size, projective).replace(**changes)


def exact_index_move(batch, matrices, output_size=None):
    """Applies matrices that map pixel centres onto pixel centres (flips, quarter turns).

    Nearest sampling of such a matrix is an exact index move (one gather, no
    interpolation, no reads outside the image), so images and masks come back
    bit for bit rearranged.
    """
    output_size = output_size or (batch.height, batch.width)
    changes = {"images": warp_lib.warp(batch.images, matrices, output_size, "nearest", "nearest")}
    if batch.masks is not None:
        changes["masks"] = warp_lib.warp(batch.masks, matrices, output_size, "nearest", "nearest")
    return move_annotations(batch, matrices, output_size).replace(**changes)


def move_annotations(batch, matrices, output_size, projective=False):
    """Moves boxes and keypoints by per-sample matrices (output -> input)."""
    if batch.boxes is None and batch.keypoints is None:
        return batch
    out_h, out_w = output_size
    forward = mat.invert(matrices) if projective else mat.invert_affine(matrices)
    changes = {}
    if batch.boxes is not None:
        x1, y1, x2, y2 = ops.unstack(batch.boxes, axis=-1)
        corners = ops.stack([x1, y1, x2, y1, x1, y2, x2, y2], axis=-1)
        n = ops.shape(corners)[1]
        moved = mat.transform_points(forward, ops.reshape(corners, [-1, n * 4, 2]), projective)
        changes["boxes"], changes["box_labels"] = enclosing_boxes(
            ops.reshape(moved, [-1, n, 4, 2]), batch.box_labels, out_h, out_w
        )
    if batch.keypoints is not None:
        xy = mat.transform_points(forward, batch.keypoints[..., :2], projective)
        changes["keypoints"] = placed_keypoints(xy, batch.keypoints, out_h, out_w)
    return batch.replace(**changes)


def enclosing_boxes(moved, labels, height, width):
    """Boxes from moved outline points [B, N, K, 2]: their enclosing xyxy box, clipped.

    Returns (boxes [B, N, 4], labels [B, N]); boxes left with no area get label -1.
    """
    boxes = ops.concatenate([ops.min(moved, axis=2), ops.max(moved, axis=2)], axis=-1)
    return box_utils.clip_and_invalidate(boxes, labels, height, width)


def placed_keypoints(xy, keypoints, height, width):
    """Moved keypoint positions `xy` [B, N, 2], with the visibility column of
    `keypoints` (if any) set to 0 where they left the (height, width) image."""
    if keypoints.shape[-1] != 3:
        return xy
    inside = ops.logical_and(
        ops.logical_and(xy[..., 0] >= 0, xy[..., 0] <= ops.cast(width, "float32")),
        ops.logical_and(xy[..., 1] >= 0, xy[..., 1] <= ops.cast(height, "float32")),
    )
    visible = ops.where(inside, keypoints[..., 2], ops.zeros_like(keypoints[..., 2]))
    return ops.concatenate([xy, visible[..., None]], axis=-1)


class GeometricAugmentation(Augmentation):
    """A layer defined by one output->input matrix per sample.

    Subclasses implement `sample` and `matrix`, and `output_size` /
    `inference_matrix` when they change the image size. Layers whose matrices
    never read outside the image (flips, quarter turns, crops) leave
    `fill_mode` as None: in a `Pipeline` they join a run of any fill mode, and
    alone they clamp to the edge pixel (as `tf.image.resize` does at borders).

    Args (shared):
      interpolation: "bilinear" or "nearest" (images; masks are always nearest).
      fill_mode: "constant", "nearest", "reflect", "wrap" or "mirror".
      fill_value: constant for fill_mode="constant", in the images' units.
      mask_fill_value: what masks read where the image is filled with a
        constant (default 255, the usual ignore index).
    """

    is_geometric = True
    # Whether `matrix` gives homographies (True: the warp and the annotations
    # take the perspective divide) or affine matrices (False: they skip it).
    projective = False
    # Resampling arguments the subclass constructor accepts (and so serializes).
    resample_args = ("interpolation", "fill_mode", "fill_value", "mask_fill_value")

    def __init__(self, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 mask_fill_value=DEFAULT_MASK_FILL_VALUE, **kwargs):
        super().__init__(**kwargs)
        self.interpolation = None if interpolation is None else warp_lib.validate_interpolation(interpolation)
        self.fill_mode = None if fill_mode is None else warp_lib.validate_fill_mode(fill_mode)
        self.fill_value = arguments.parse_fill_value(fill_value)
        self.mask_fill_value = arguments.parse_mask_fill_value(mask_fill_value, allow_none=False)

    # ------------------------------------------------ to be defined by layers
    def output_size(self, height, width):
        """(height, width) of the output for an input of (height, width)."""
        return height, width

    def matrix(self, params, height, width):
        """[B, 3, 3] output->input matrices for an input of (height, width)."""
        raise NotImplementedError

    def inference_matrix(self, shape):
        """Matrices used when not augmenting; None means the identity."""
        return None

    # ------------------------------------------------------------- machinery
    def resample_settings(self):
        return dict(
            interpolation=self.interpolation or "bilinear",
            fill_mode=self.fill_mode or "nearest",
            fill_value=self.fill_value,
            mask_fill_value=self.mask_fill_value,
        )

    def apply(self, batch, params):
        m = self.matrix(params, batch.height, batch.width)
        size = self.output_size(batch.height, batch.width)
        return transform_batch(batch, m, size, projective=self.projective, **self.resample_settings())

    def inference(self, batch):
        shape = shape_of(batch)
        m = self.inference_matrix(shape)
        if m is None:
            return batch
        size = self.output_size(batch.height, batch.width)
        return transform_batch(batch, m, size, **self.resample_settings())

    def get_config(self):
        config = super().get_config()
        config.update({name: getattr(self, name) for name in self.resample_args})
        return config
