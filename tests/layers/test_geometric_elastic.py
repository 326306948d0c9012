"""RandomElasticTransform: the field's statistics, every target through it, its place in Pipeline."""

import math

import numpy as np
import scipy.ndimage
import tensorflow as tf

import keras_aug
from geo_helpers import SCIPY_MODES
from geo_helpers import box_mask_agreement
from geo_helpers import boxes_and_masks_data
from geo_helpers import textured_image
from keras_aug.core import fields
from keras_aug.core import randomness
from keras_aug.core import structures
from keras_aug.core.base import ImageShape
from keras_aug.data import pipeline as data_pipeline
from keras_aug.layers import compose

H, W = 64, 80
SEED = tf.constant([5, 6])


def _params(layer, batch_size, height=H, width=W):
    return layer.sample(ImageShape(batch_size, height, width, 3), randomness.Draws(randomness.as_seed(SEED)))


def test_zero_strength_is_the_identity_bitwise():
    layer = keras_aug.RandomElasticTransform(fill_mode="constant", value_range=(10, 200))
    data = {
        "images": np.round(textured_image(H, W, 3, seed=2)).astype(np.uint8)[None].repeat(2, 0),
        "segmentation_masks": np.arange(2 * H * W, dtype=np.int32).reshape(2, H, W, 1) % 7,
        "bounding_boxes": {"boxes": np.float32([[[3.5, 4, 20, 30]]] * 2), "labels": np.int32([[1]] * 2)},
        "keypoints": np.float32([[[5.25, 7.5, 1]]] * 2),
    }
    batch = structures.unpack(data, "xyxy")
    params = _params(layer, 2)
    params["strength"] = tf.zeros([2])  # any noise: no displacement
    for p in (params, layer.identity_params(ImageShape(2, H, W, 3))):
        out = layer.apply(batch, p)
        for name in ("images", "masks", "boxes", "box_labels", "keypoints"):
            np.testing.assert_array_equal(np.asarray(getattr(out, name)), np.asarray(getattr(batch, name)), name)


def test_smoothing_matches_scipy():
    noise = np.random.default_rng(0).normal(size=(2, 20, 30, 2)).astype(np.float32)
    kernel = fields.gaussian_kernel(2.5)
    assert kernel.shape == (13,) and abs(kernel.sum() - 1) < 1e-6  # Keras's size: 6 * int(2.5) | 1
    ours = np.asarray(fields.smooth(tf.constant(noise), kernel))
    reference = scipy.ndimage.correlate1d(noise, kernel.astype(np.float64), axis=2, mode="constant")
    reference = scipy.ndimage.correlate1d(reference, kernel.astype(np.float64), axis=1, mode="constant")
    np.testing.assert_allclose(ours, reference, atol=1e-5)


def test_field_statistics():
    layer = keras_aug.RandomElasticTransform(factor=(1.0, 1.0), scale=(1.0, 1.0))
    h = w = 160
    params = _params(layer, 8, h, w)
    field = np.asarray(layer.field(params, h, w))[:, 30:-30, 30:-30]  # away from the zero padding
    alpha, sigma = 0.1 * w, 0.05 * h
    # Spread: alpha / (2 sqrt(pi)) per axis (white noise through a normalized Gaussian).
    expected = alpha / (2 * math.sqrt(math.pi))
    assert abs(field.std() / expected - 1) < 0.15, (field.std(), expected)
    assert abs(field.mean()) < 0.2 * expected
    # Smooth: the autocorrelation at lag d is exp(-d^2 / (4 sigma^2)).
    def correlation(lag):
        a, b = field[:, :, :-lag], field[:, :, lag:]
        return np.mean(a * b) / np.sqrt(np.mean(a * a) * np.mean(b * b))

    lag = int(sigma)
    assert abs(correlation(lag) - math.exp(-lag**2 / (4 * sigma**2))) < 0.08
    assert correlation(1) > 0.98
    # The two axes are independent (Keras reuses one noise draw for both).
    assert abs(np.corrcoef(field[..., 0].ravel(), field[..., 1].ravel())[0, 1]) < 0.15


def test_images_and_masks_follow_the_field_like_scipy():
    layer = keras_aug.RandomElasticTransform(factor=(1.0, 1.0), scale=(0.8, 1.0), fill_mode="reflect")
    image = textured_image(H, W, 3, seed=1).astype(np.float32)
    mask = (image[..., :1] > 128).astype(np.int32)
    batch = structures.unpack({"images": image[None], "segmentation_masks": mask[None]})
    params = _params(layer, 1)
    out = layer.apply(batch, params)
    field = np.asarray(layer.field(params, H, W))[0].astype(np.float64)
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    rows, cols = ys + field[..., 1], xs + field[..., 0]  # index coordinates: centres at i
    assert np.abs(field).max() > 3  # a real distortion
    reference = np.stack([scipy.ndimage.map_coordinates(image[..., c], [rows, cols], order=1,
                                                        mode=SCIPY_MODES["reflect"], prefilter=False)
                          for c in range(3)], -1)
    np.testing.assert_allclose(np.asarray(out.images)[0], reference, atol=0.05)
    # Masks: the same points, nearest (centres at i + 0.5 read pixel floor(x)).
    expected_mask = mask[np.clip(np.floor(rows + 0.5), 0, H - 1).astype(int),
                         np.clip(np.floor(cols + 0.5), 0, W - 1).astype(int), 0]
    inside = (rows > 0) & (rows < H - 1) & (cols > 0) & (cols < W - 1)
    agree = np.asarray(out.masks)[0, ..., 0][inside] == expected_mask[inside]
    assert agree.mean() > 0.999


def test_keypoints_land_on_the_dots_they_marked():
    layer = keras_aug.RandomElasticTransform(factor=(1.0, 1.0), scale=(1.0, 1.0), fill_mode="constant")
    rng = np.random.default_rng(4)
    points = rng.uniform(12, [W - 12, H - 12], (6, 9, 2)).astype(np.float32)
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    # One image per point, holding a small Gaussian dot there. Under a locally
    # affine warp the centroid of the warped dot is exactly where the warp
    # shows the point, so the field is kept gentle enough not to fold (its
    # spread at 0.4 of the full strength, about 0.9 px, and sigma 3.2 px).
    params = _params(layer, 6)
    params = {"strength": tf.fill([54], 0.4), "noise": tf.repeat(params["noise"], 9, axis=0)}
    flat = points.reshape(54, 1, 2)  # sample i, point k -> image 9 i + k, one dot each
    dots = np.exp(-((xs[None] - flat[:, :, 0, None]) ** 2 + (ys[None] - flat[:, :, 1, None]) ** 2) / (2 * 1.2**2))
    out = layer.apply(structures.unpack({"images": (255 * dots[..., None]).astype(np.float32), "keypoints": flat}),
                      params)
    warped = np.asarray(out.images)[..., 0]
    weights = warped / warped.sum(axis=(1, 2), keepdims=True)
    centroids = np.stack([(weights * xs).sum(axis=(1, 2)), (weights * ys).sum(axis=(1, 2))], -1)
    errors = np.linalg.norm(centroids - np.asarray(out.keypoints)[:, 0], axis=-1)
    # The dot's centroid drifts a little where the field bends; the point is
    # the field's inverse at the point.
    assert np.median(errors) < 0.3 and np.max(errors) < 1.0, (np.median(errors), np.max(errors))


def test_boxes_follow_their_masks():
    data = boxes_and_masks_data(16, H, W, [24, 20], [40, 36])
    layer = keras_aug.RandomElasticTransform(factor=(1.0, 1.0), fill_mode="constant", bounding_box_format="xyxy")
    ious, errors = box_mask_agreement(layer(data, training=True, seed=SEED))
    assert len(ious) >= 8
    assert np.all(np.abs(np.mean(errors, axis=0)) < 0.35), np.mean(errors, axis=0)
    assert np.median(ious) >= 0.97 and np.min(ious) >= 0.9, sorted(ious)[:3]


def test_sampling_follows_keras_rules():
    layer = keras_aug.RandomElasticTransform(factor=(0.2, 0.6), scale=(0.3, 0.5))
    params = _params(layer, 2000, 8, 8)
    strength = np.asarray(params["strength"])
    applied = strength > 0
    assert abs(applied.mean() - 0.4) < 0.035  # P(apply) = mean of the factor range
    assert strength[applied].min() >= 0.3 and strength[applied].max() < 0.5
    noise = np.asarray(params["noise"])
    assert noise.shape == (2000, 8, 8, 2) and abs(noise.std() - 1) < 0.02


def test_ends_a_fused_run_and_stays_out_of_the_data_head():
    rotation, zoom = keras_aug.RandomRotation(0.1), keras_aug.RandomZoom(0.1)
    elastic = keras_aug.RandomElasticTransform()
    steps = compose.plan_runs([rotation, elastic, zoom])
    assert [(kind, item if kind == "single" else len(item)) for kind, item, _ in steps] == [
        ("fused", 1), ("single", elastic), ("fused", 1)]
    head, tail = data_pipeline.split_augment(keras_aug.Pipeline([rotation, elastic, zoom]))
    assert head == [rotation] and tail.layers == [elastic, zoom]
    assert data_pipeline.split_augment(elastic) == ([], elastic)


def test_perspective_stays_out_of_the_data_head():
    flip, rotation = keras_aug.RandomFlip(), keras_aug.RandomRotation(0.1)
    perspective = keras_aug.RandomPerspective()
    head, tail = data_pipeline.split_augment(keras_aug.Pipeline([flip, perspective, rotation]))
    assert head == [flip] and tail.layers == [perspective, rotation]
    assert data_pipeline.split_augment(perspective) == ([], perspective)
    head, tail = data_pipeline.split_augment(keras_aug.Pipeline([perspective, flip]))
    assert head == [] and tail.layers == [perspective, flip]


def test_compiled_and_tf_data_calls_equal_the_eager_call():
    layer = keras_aug.RandomElasticTransform(factor=(1.0, 1.0), seed=5)
    images = np.stack([textured_image(32, 40, 3, seed=i) for i in range(2)]).astype(np.uint8)
    eager = layer(images, training=True, seed=SEED).numpy()
    compiled = tf.function(lambda x: layer(x, training=True, seed=SEED), jit_compile=True)(images).numpy()
    mapped = next(iter(tf.data.Dataset.from_tensors(images).map(lambda x: layer(x, training=True, seed=SEED))))
    np.testing.assert_allclose(compiled.astype(float), eager, atol=1)
    np.testing.assert_allclose(mapped.numpy().astype(float), eager, atol=1)
    assert np.abs(eager.astype(float) - images).mean() > 3


def test_arguments_are_checked_and_serialized():
    import pytest

    with pytest.raises(ValueError, match="`value_range`"):
        keras_aug.RandomElasticTransform(value_range=(1, 1))
    with pytest.raises(ValueError, match="`scale`"):
        keras_aug.RandomElasticTransform(scale=2.0)
    with pytest.raises(ValueError, match="`fill_mode`"):
        keras_aug.RandomElasticTransform(fill_mode="edge")
    layer = keras_aug.RandomElasticTransform(factor=0.5, scale=(0.2, 0.4), fill_mode="wrap", value_range=(0, 1))
    clone = keras_aug.RandomElasticTransform.from_config(layer.get_config())
    assert (clone.factor_range, clone.scale_range, clone.fill_mode, clone.value_range) == (
        (0.0, 0.5), (0.2, 0.4), "wrap", (0.0, 1.0))
    # value_range clips the transformed samples.
    images = np.full((2, 16, 16, 1), 0.5, np.float32)
    images[:, :, :8] = 3.0
    out = keras_aug.RandomElasticTransform(factor=(1, 1), value_range=(0, 1))(images, training=True, seed=SEED)
    assert float(tf.reduce_max(out)) <= 1.0
