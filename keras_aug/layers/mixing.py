"""Mixing layers: CutMix (and its "replacement" mode), MixUp, Mosaic.

Each sample is combined with other samples of the same batch, its partners,
drawn per call as a random permutation that never maps a sample to itself when
the batch has more than one sample (see `_patches.partners`); a batch of one
is returned unchanged by CutMix and MixUp.

Label forms: one-hot or soft vectors [B, C] mix directly; float scalars
([B] or [B, 1], e.g. binary 0/1) mix as floats; integer class ids need
`num_classes` (they are one-hot encoded, so the output is [B, num_classes]).

Box counts grow: boxes are padded per sample ([B, N, 4] with label -1), and a
mixed sample carries its own boxes and its partners', so CutMix and MixUp
return [B, 2N, 4] and Mosaic [B, 4N, 4] (own boxes first). Keypoints are
refused with a clear error.

Identity. `identity_params` makes every sample its own only partner (CutMix:
an empty patch; MixUp: lambda 1; Mosaic: the sample fills the whole image).
The output is then the input in the layer's output form: images, masks and
float labels bit for bit (integer class ids come back one-hot encoded), own
boxes first and unchanged, followed by padding rows (label -1) for the box
slots a partner would fill.
"""

import keras

from keras_aug.core import arguments
from keras_aug.core import dtypes
from keras_aug.core import matrices as mat
from keras_aug.core import structures
from keras_aug.core.backend import ops
from keras_aug.core.base import Augmentation
from keras_aug.core.base import constant_params
from keras_aug.core.geometric import transform_batch
from keras_aug.layers import _patches as P

MODES = ("cutmix", "replacement")


def _keras_factor(factor, name):
    return arguments.parse_range(factor, name, symmetric=False, default_low=0.0, minimum=0.0, maximum=1.0)


def _own(partner):
    """Each sample's own index, [B] int32 like its `partner` indices."""
    return ops.arange(ops.shape(partner)[0], dtype="int32")


class _Mixing(Augmentation):
    def __init__(self, num_classes=None, seed=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(seed=seed, bounding_box_format=bounding_box_format, data_format=data_format, **kwargs)
        self.num_classes = P.parse_num_classes(num_classes)

    def mixed_labels(self, labels, index_list, weights):
        def mix(tensor):
            tensor = P.prepare_labels(tensor, self.num_classes, type(self).__name__)
            return P.mix_labels([P.gather_samples(tensor, i) for i in index_list], weights)

        return keras.tree.map_structure(mix, labels)

    def get_config(self):
        config = super().get_config()
        config["num_classes"] = self.num_classes
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class CutMix(_Mixing):
    """CutMix (Yun et al., 2019): each sample gets a rectangle from a partner.

    Same name and arguments as `keras.layers.CutMix` (factor, seed,
    data_format), drawn per sample: Beta parameter alpha ~ U(factor),
    lambda ~ Beta(alpha, alpha), a patch with sides sqrt(1 - lambda) x (H, W)
    (whole pixels) centred at a pixel uniform over the image and clipped at
    the borders, as in the paper. The partner's pixels at the same place
    replace the sample's.

    Replacement. With `mode="replacement"` the same patches are pasted but the
    label is KEPT: small regions of other samples act as structured noise
    ("data replacement"), a regularizer that, unlike CutMix, does not claim
    the pasted content in the label. Patch areas then come from `scale`
    (default (0.02, 0.25) of the image) rather than from lambda.

    Args:
      factor: range of the Beta parameter alpha, in [0, 1]: a number f means
        alpha ~ U(0, f) per sample, a pair (low, high) alpha ~ U(low, high).
        Default 1.0 (Keras's).
      num_classes: needed for integer class-id labels (see module doc).
      mode: "cutmix" (labels mixed by area) or "replacement" (labels kept).
      scale: None, or (low, high) fraction of the image area for the patch,
        drawn uniformly per sample (patch aspect = image aspect), in [0, 1].
        None means lambda-driven areas in "cutmix" mode and (0.02, 0.25) in
        "replacement" mode.
      min_box_visibility: in [0, 1): own boxes whose visible share of pixels
        and partner boxes whose share inside the patch is at or under it are
        dropped (label -1). Boxes with nothing left always are.
      trim_boxes: shrink own boxes partly under the patch to the extent of
        their visible pixels.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Targets:
      images: the patch holds the partner's pixels, the rest is untouched.
      labels ("cutmix"): own x (1 - a) + partner's x a, where a is the TRUE
        pasted area fraction (after clipping at the borders); weights sum to 1.
        ("replacement"): unchanged.
      segmentation masks: pasted with the pixels (the partner's class ids).
      boxes: own boxes hidden under the patch are trimmed or dropped; the
        partner's boxes, clipped to the patch, are appended: [B, 2N, 4].
      keypoints: refused.
    """

    def __init__(self, factor=1.0, num_classes=None, mode="cutmix", scale=None, min_box_visibility=0.0,
                 trim_boxes=True, seed=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(num_classes=num_classes, seed=seed, bounding_box_format=bounding_box_format,
                         data_format=data_format, **kwargs)
        self.factor = _keras_factor(factor, "factor")
        self.mode = arguments.parse_choice(mode, "mode", MODES)
        if scale is not None:
            scale = arguments.parse_range(scale, "scale", symmetric=False, default_low=0.0, minimum=0.0,
                                          maximum=1.0)
        self.scale = scale
        self.min_box_visibility = P.parse_visibility(min_box_visibility)
        self.trim_boxes = bool(trim_boxes)

    def sample(self, shape, draws):
        n = shape.batch_size
        h = P.f32(shape.height)
        w = P.f32(shape.width)
        partner = P.partners(draws, n)[0]
        scale = self.scale if self.scale is not None else ((0.02, 0.25) if self.mode == "replacement" else None)
        if scale is None:
            alpha = draws.uniform([n], self.factor[0], self.factor[1]) + 1e-6
            lam = draws.beta([n], alpha, alpha)
            area = 1.0 - lam
        else:
            lam = None
            area = draws.uniform([n], scale[0], scale[1])
        side = ops.sqrt(area)
        rh = ops.round(h * side)
        rw = ops.round(w * side)
        cy = ops.floor(draws.uniform([n]) * h)
        cx = ops.floor(draws.uniform([n]) * w)
        y0 = cy - ops.floor(rh / 2.0)
        x0 = cx - ops.floor(rw / 2.0)
        rect = P.clipped_rects(y0, x0, rh, rw, h, w)
        alone = partner == _own(partner)
        rect = ops.where(alone[:, None], ops.zeros_like(rect), rect)
        # `area` (the unclipped target area fraction) and `center` are for inspection;
        # `apply` only reads `partner` and `rect`.
        return {"partner": partner, "rect": rect, "area": area, "center": ops.stack([cy, cx], axis=-1)}

    def identity_params(self, shape):
        n = shape.batch_size
        return {"partner": ops.arange(n, dtype="int32"), "rect": constant_params(n, 0.0, trailing=(4,)),
                "area": constant_params(n, 0.0), "center": constant_params(n, 0.0, trailing=(2,))}

    def apply(self, batch, params):
        P.refuse_keypoints(batch, "CutMix")
        partner, rect = params["partner"], params["rect"]
        hidden = P.rect_hidden(rect[:, None], ops.ones_like(rect[:, :1], dtype="bool"), batch.height, batch.width)
        pasted = P.gather_samples(batch.images, partner)
        changes = {"images": ops.where(hidden[..., None], pasted, batch.images)}
        if batch.masks is not None:
            changes["masks"] = ops.where(hidden[..., None], P.gather_samples(batch.masks, partner), batch.masks)
        if batch.labels is not None and self.mode == "cutmix":
            share = P.rect_area(rect) / (P.f32(batch.height) * P.f32(batch.width))
            changes["labels"] = self.mixed_labels(batch.labels, [_own(partner), partner],
                                                  [1.0 - share, share])
        if batch.boxes is not None:
            own, own_labels = P.visible_boxes(batch.boxes, batch.box_labels, hidden, self.min_box_visibility,
                                              self.trim_boxes)
            theirs, their_labels = P.clip_boxes_to_rect(
                P.gather_samples(batch.boxes, partner), P.gather_samples(batch.box_labels, partner), rect,
                self.min_box_visibility)
            changes["boxes"] = ops.concatenate([own, theirs], axis=1)
            changes["box_labels"] = ops.concatenate([own_labels, their_labels], axis=1)
        return batch.replace(**changes)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(factor=list(self.factor), mode=self.mode,
                      scale=None if self.scale is None else list(self.scale),
                      min_box_visibility=self.min_box_visibility, trim_boxes=self.trim_boxes)
        return config


@keras.saving.register_keras_serializable(package="keras_aug")
class MixUp(_Mixing):
    """MixUp (Zhang et al., 2018): each sample blended with a partner.

    Same name and arguments as `keras.layers.MixUp` (alpha, seed,
    data_format). Per sample lambda ~ Beta(alpha, alpha), drawn with an
    XLA-safe sampler (stateless normal/uniform draws only), and the output is
    lambda x sample + (1 - lambda) x partner.

    Args:
      alpha: Beta parameter, > 0. Smaller values mean less mixing (lambda near
        0 or 1). Default 0.2.
      num_classes: needed for integer class-id labels (see module doc).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Targets:
      images: blended in float32, returned in the input dtype (uint8 rounded).
      labels: lambda x own + (1 - lambda) x partner's.
      segmentation masks: blending class ids is meaningless, so each sample
        keeps the mask of its dominant source: its own when lambda >= 0.5,
        else the partner's.
      boxes: the boxes of both samples are kept, own first: [B, 2N, 4] (a
        sample that is its own partner gets padding rows instead).
      keypoints: refused.
    """

    def __init__(self, alpha=0.2, num_classes=None, seed=None, bounding_box_format=None, data_format=None,
                 **kwargs):
        super().__init__(num_classes=num_classes, seed=seed, bounding_box_format=bounding_box_format,
                         data_format=data_format, **kwargs)
        if not arguments._is_number(alpha) or alpha <= 0:
            raise ValueError(f"`alpha` must be a number > 0 (the Beta(alpha, alpha) parameter); got {alpha!r}.")
        self.alpha = float(alpha)

    def sample(self, shape, draws):
        n = shape.batch_size
        partner = P.partners(draws, n)[0]
        lam = draws.beta([n], self.alpha, self.alpha)
        lam = ops.where(partner == _own(partner), ops.ones_like(lam), lam)
        return {"partner": partner, "lambda": lam}

    def identity_params(self, shape):
        n = shape.batch_size
        return {"partner": ops.arange(n, dtype="int32"), "lambda": constant_params(n, 1.0)}

    def apply(self, batch, params):
        P.refuse_keypoints(batch, "MixUp")
        partner, lam = params["partner"], params["lambda"]
        own = _own(partner)
        weight = lam[:, None, None, None]
        images = P.f32(batch.images)
        mixed = weight * images + (1.0 - weight) * P.gather_samples(images, partner)
        changes = {"images": dtypes.cast_like(mixed, batch.images)}
        if batch.labels is not None:
            changes["labels"] = self.mixed_labels(batch.labels, [own, partner], [lam, 1.0 - lam])
        if batch.masks is not None:
            dominant = ops.where(lam >= 0.5, own, partner)
            changes["masks"] = P.gather_samples(batch.masks, dominant)
        if batch.boxes is not None:
            # A sample that is its own partner (a batch of one, the identity)
            # gains no boxes: its copies would duplicate its own.
            theirs, their_labels = P.drop_boxes(
                P.gather_samples(batch.boxes, partner), P.gather_samples(batch.box_labels, partner),
                (partner != own)[:, None])
            changes["boxes"] = ops.concatenate([batch.boxes, theirs], axis=1)
            changes["box_labels"] = ops.concatenate([batch.box_labels, their_labels], axis=1)
        return batch.replace(**changes)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


def _tile_index(sources, center, height, width):
    """[B, H, W] int32: the flat pixel (of the [B*H*W] batch) each Mosaic output pixel reads.

    Quadrant q (0: top-left, 1: top-right, 2: bottom-left, 3: bottom-right of
    the centre) shows sample sources[:, q], shifted so that its corner sits at
    the centre: output (y, x) reads source row (y - cy) mod H, column (x - cx) mod W.
    """
    cy, cx = ops.unstack(ops.cast(center, "int32"), axis=-1)
    ys = ops.arange(height, dtype="int32")[None, :]
    xs = ops.arange(width, dtype="int32")[None, :]
    rows = ((ys - cy[:, None]) % height)[:, :, None]  # [B, H, 1]
    cols = ((xs - cx[:, None]) % width)[:, None, :]  # [B, 1, W]
    bottom = (ys >= cy[:, None])[:, :, None]
    right = (xs >= cx[:, None])[:, None, :]
    quadrant = [sources[:, q, None, None] for q in range(4)]
    source = ops.where(bottom, ops.where(right, quadrant[3], quadrant[2]),
                       ops.where(right, quadrant[1], quadrant[0]))  # [B, H, W]
    return (source * height + rows) * width + cols


def _take_pixels(tensor, index):
    """tensor [B, H, W, C] read at flat pixel indices `index` [B, H, W] (one gather)."""
    shape = ops.shape(tensor)
    _check_int32_pixels(shape)
    return ops.take(ops.reshape(tensor, [-1, shape[-1]]), index, axis=0)


def _check_int32_pixels(shape):
    pixels = shape[0] * shape[1] * shape[2]
    if isinstance(pixels, int) and pixels >= 2**31:
        raise ValueError(f"Mosaic indexes pixels with int32: a batch of shape {tuple(shape)} has {pixels} pixels, "
                         "more than 2**31 - 1; split it into smaller batches.")


@keras.saving.register_keras_serializable(package="keras_aug")
class Mosaic(_Mixing):
    """Mosaic (YOLOv4): four samples tiled around a per-sample centre.

    Each output sample is split at a centre (cx, cy) (whole pixels, drawn per
    sample from `center_range` x the output size) into four quadrants. The
    sample itself and three partners (distinct when the batch has at least
    four samples) fill them, in a random per-sample order; each quadrant
    shows the corner of its source that touches the centre: the source
    image, at the output size, is shifted so its corner sits at the centre
    and cut to the quadrant. No pixel is resampled when the input already
    has the output size; otherwise every image is first resized to it.

    Args:
      height, width: output size in pixels; None (default) keeps the input
        size. Both or neither must be given.
      center_range: (low, high) range of the centre as a fraction of the
        output height and width, in [0, 1]. Default (0.25, 0.75).
      num_classes: needed for integer class-id labels (see module doc).
      interpolation: "bilinear" or "nearest", for the resize to the output
        size (masks always use nearest).
      min_box_visibility: in [0, 1): boxes whose share inside their quadrant
        is at or under it are dropped (label -1). Empty boxes always are.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Targets:
      images and segmentation masks: tiled as above.
      labels: the four sources' labels weighted by their quadrant's share of
        the image (the visible area), summing to 1.
      boxes: each source's boxes shifted with it and clipped to its quadrant:
        [B, 4N, 4] (own boxes first).
      keypoints: refused.
    When not augmenting, the layer only resizes to the output size (if set).
    """

    def __init__(self, height=None, width=None, center_range=(0.25, 0.75), num_classes=None,
                 interpolation="bilinear", min_box_visibility=0.0, seed=None, bounding_box_format=None,
                 data_format=None, **kwargs):
        super().__init__(num_classes=num_classes, seed=seed, bounding_box_format=bounding_box_format,
                         data_format=data_format, **kwargs)
        if (height is None) != (width is None):
            raise ValueError(f"`height` and `width` must both be ints >= 1 or both None; got {height!r}, {width!r}.")
        self.height = None if height is None else arguments.parse_size(height, "height")
        self.width = None if width is None else arguments.parse_size(width, "width")
        self.center_range = arguments.parse_range(center_range, "center_range", symmetric=False,
                                                  default_low=center_range if arguments._is_number(center_range)
                                                  else None, minimum=0.0, maximum=1.0)
        self.interpolation = arguments.parse_choice(interpolation, "interpolation", ("bilinear", "nearest"))
        self.min_box_visibility = P.parse_visibility(min_box_visibility)

    def output_size(self, height, width):
        """(height, width) of the output for an input of (height, width)."""
        return (height, width) if self.height is None else (self.height, self.width)

    def sample(self, shape, draws):
        n = shape.batch_size
        out_h, out_w = self.output_size(shape.height, shape.width)
        cy = ops.round(draws.uniform([n], *self.center_range) * P.f32(out_h))
        cx = ops.round(draws.uniform([n], *self.center_range) * P.f32(out_w))
        others = P.partners(draws, n, count=3)  # [3, B]
        candidates = ops.concatenate([_own(others[0])[None], others], axis=0)  # [4, B]
        turn = draws.integers([n], 0, 4)
        quadrant = ops.arange(4, dtype="int32")[:, None]
        pick = (quadrant + turn[None, :]) % 4  # [4, B]: which candidate fills quadrant q
        sources = ops.transpose(ops.take_along_axis(candidates, pick, axis=0))  # [B, 4]
        return {"sources": sources, "center": ops.stack([cy, cx], axis=-1)}

    def identity_params(self, shape):
        """The sample alone, its centre at the bottom-right corner (its quadrant 0 is the whole image).

        Raises a ValueError when the layer resizes to another output size.
        """
        keeps_size = isinstance(shape.height, int) and isinstance(shape.width, int) and (
            shape.height, shape.width) == (self.height, self.width)
        if self.height is not None and not keeps_size:
            raise ValueError(
                f"Mosaic(height={self.height}, width={self.width}) has no identity parameters for "
                f"{shape.height}x{shape.width} images: it resizes them, and the samples of a batch must share "
                "one size, so it cannot be switched off per sample. Keep it outside per-sample policies, or "
                "give the input the output size first."
            )
        n = shape.batch_size
        own = ops.arange(n, dtype="int32")
        corner = ops.stack([ops.cast(shape.height, "float32"), ops.cast(shape.width, "float32")])
        return {"sources": ops.stack([own] * 4, axis=1),
                "center": constant_params(n, 0.0, trailing=(2,)) + corner}

    def _resize(self, batch):
        out_h, out_w = self.output_size(batch.height, batch.width)
        if isinstance(batch.height, int) and isinstance(batch.width, int) and (out_h, out_w) == (
                batch.height, batch.width):
            return batch
        if self.height is None:
            return batch
        n = ops.shape(batch.images)[0]
        sx = ops.full([n], P.f32(batch.width) / out_w)
        sy = ops.full([n], P.f32(batch.height) / out_h)
        return transform_batch(batch, mat.from_rows(sx, 0.0, 0.0, 0.0, sy, 0.0), (out_h, out_w),
                               interpolation=self.interpolation, fill_mode="nearest")

    def inference(self, batch):
        return self._resize(batch)

    def quadrants(self, params, height, width):
        """[4, B, 4] quadrant rectangles (y0, x0, y1, x1) in output pixels."""
        cy, cx = ops.unstack(params["center"], axis=-1)
        h = ops.zeros_like(cy) + P.f32(height)
        w = ops.zeros_like(cx) + P.f32(width)
        zero = ops.zeros_like(cy)
        return ops.stack([
            ops.stack([zero, zero, cy, cx], -1),
            ops.stack([zero, cx, cy, w], -1),
            ops.stack([cy, zero, h, cx], -1),
            ops.stack([cy, cx, h, w], -1),
        ])

    def apply(self, batch, params):
        P.refuse_keypoints(batch, "Mosaic")
        batch = self._resize(batch)
        height, width = batch.height, batch.width
        index = _tile_index(params["sources"], params["center"], height, width)
        changes = {"images": _take_pixels(batch.images, index)}
        if batch.masks is not None:
            changes["masks"] = _take_pixels(batch.masks, index)
        quads = self.quadrants(params, height, width)
        if batch.labels is not None:
            total = P.f32(height) * P.f32(width)
            weights = [P.rect_area(quads[q]) / total for q in range(4)]
            changes["labels"] = self.mixed_labels(batch.labels, [params["sources"][:, q] for q in range(4)],
                                                  weights)
        if batch.boxes is not None:
            changes["boxes"], changes["box_labels"] = self._tile_boxes(batch, params, quads)
        return batch.replace(**changes)

    def _tile_boxes(self, batch, params, quads):
        """Each source's boxes shifted with its quadrant and clipped to it: [B, 4N, 4], own boxes first."""
        sources = params["sources"]
        fcy, fcx = ops.unstack(params["center"], axis=-1)
        h, w = P.f32(batch.height), P.f32(batch.width)
        boxes, labels = [], []
        for q in range(4):
            dy = fcy - h if q < 2 else fcy
            dx = fcx - w if q in (0, 2) else fcx
            shift = ops.stack([dx, dy, dx, dy], axis=-1)[:, None, :]
            src_boxes = P.gather_samples(batch.boxes, sources[:, q]) + shift
            b, lab = P.clip_boxes_to_rect(src_boxes, P.gather_samples(batch.box_labels, sources[:, q]),
                                          quads[q], self.min_box_visibility)
            boxes.append(b)
            labels.append(lab)
        # Own boxes first, then quadrant order: the sort keys are distinct, so
        # the order does not depend on the sort's stability.
        key = ops.cast(sources != _own(sources)[:, None], "int32") * 4 + ops.arange(4, dtype="int32")
        own_first = ops.argsort(key, axis=1)  # [B, 4]
        boxes = P.take_per_sample(ops.stack(boxes, axis=1), own_first)  # [B, 4, N, 4]
        labels = P.take_per_sample(ops.stack(labels, axis=1), own_first)  # [B, 4, N]
        n = ops.shape(batch.boxes)[1]
        return ops.reshape(boxes, [-1, 4 * n, 4]), ops.reshape(labels, [-1, 4 * n])

    def compute_output_shape(self, input_shape):
        if self.height is None:
            return input_shape
        return structures.resized_shape(input_shape, self.data_format, self.height, self.width)

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width, center_range=list(self.center_range),
                      interpolation=self.interpolation, min_box_visibility=self.min_box_visibility)
        return config
