"""RandomPerspective: Keras's corner shifts, homography through every target, fused in Pipeline."""

import numpy as np
import pytest
import tensorflow as tf

import keras_aug
from geo_helpers import box_mask_agreement
from geo_helpers import boxes_and_masks_data
from geo_helpers import textured_image
from keras_aug.core import geometric
from keras_aug.core import randomness
from keras_aug.core import structures
from keras_aug.core.base import ImageShape

H, W = 48, 64
SEED = tf.constant([3, 4])


def _keras_corners(height, width):
    return np.array([[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]], np.float64)


def _solve_homography(source, target):
    """The 3x3 homography taking 4 source points to 4 target points: the 8x8 linear system, float64."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(source, target):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    h = np.linalg.solve(np.array(rows), np.array(rhs))
    return np.append(h, 1.0).reshape(3, 3)


def _apply(layer, data, offsets):
    batch = structures.unpack(data, "xyxy")
    return layer.apply(batch, {"offsets": tf.constant(offsets, tf.float32)})


def test_points_follow_the_homography_of_the_moved_corners():
    rng = np.random.default_rng(0)
    offsets = rng.uniform(-0.3, 0.3, (4, 4, 2))
    points = rng.uniform([2, 2], [W - 2, H - 2], (4, 7, 2))
    data = {"images": np.zeros((4, H, W, 1), np.float32), "keypoints": points.astype(np.float32)}
    out = _apply(keras_aug.RandomPerspective(), data, offsets)
    corners = _keras_corners(H, W)
    for i in range(4):
        # Keras's rule: a corner c (index coordinates) moves to c * (1 + offset).
        forward = _solve_homography(corners, corners * (1 + offsets[i]))
        index = np.c_[points[i] - 0.5, np.ones(7)] @ forward.T
        expected = index[:, :2] / index[:, 2:] + 0.5  # back to continuous coordinates
        np.testing.assert_allclose(np.asarray(out.keypoints[i]), expected, atol=2e-3)


def test_keras_basic_case():
    # keras' random_perspective_test: corners (3, 0), (0, 3), (3, 3) of a 4x4
    # image of ones move to (1, 0), (0, 1), (1, 1): ones in the top-left 2x2.
    offsets = np.array([[[0, 0], [-2 / 3, 0], [0, -2 / 3], [-2 / 3, -2 / 3]]])
    out = _apply(keras_aug.RandomPerspective(), {"images": np.ones((1, 4, 4, 1), np.float32)}, offsets)
    expected = np.zeros((4, 4))
    expected[:2, :2] = 1
    np.testing.assert_allclose(np.asarray(out.images)[0, ..., 0], expected, atol=1e-4)


def test_zero_offsets_are_the_identity_bitwise():
    layer = keras_aug.RandomPerspective(fill_mode="reflect")
    data = {
        "images": np.round(textured_image(H, W, 3, seed=2)).astype(np.uint8)[None].repeat(2, 0),
        "segmentation_masks": np.arange(2 * H * W, dtype=np.int32).reshape(2, H, W, 1) % 7,
        "bounding_boxes": {"boxes": np.float32([[[3.5, 4, 20, 30]]] * 2), "labels": np.int32([[1]] * 2)},
        "keypoints": np.float32([[[5.25, 7.5, 1]]] * 2),
    }
    batch = structures.unpack(data, "xyxy")
    out = layer.apply(batch, layer.identity_params(ImageShape(2, H, W, 3)))
    for name in ("images", "masks", "boxes", "box_labels", "keypoints"):
        np.testing.assert_array_equal(np.asarray(getattr(out, name)), np.asarray(getattr(batch, name)), name)


def test_boxes_follow_their_masks():
    # The affine layers' test sizes: 128 x 160 images, boxes of 40-72 px.
    data = boxes_and_masks_data(24, 128, 160, [40, 36], [72, 64])
    layer = keras_aug.RandomPerspective(factor=(1.0, 1.0), scale=0.6, bounding_box_format="xyxy")
    ious, errors = box_mask_agreement(layer(data, training=True, seed=SEED))
    assert len(ious) >= 12
    assert np.all(np.abs(np.mean(errors, axis=0)) < 0.35), np.mean(errors, axis=0)  # no half-pixel slip
    assert np.median(ious) >= 0.97 and np.min(ious) >= 0.9, sorted(ious)[:3]


def test_sampling_follows_keras_rules():
    layer = keras_aug.RandomPerspective(factor=(0.2, 0.6), scale=0.5)
    offsets = np.asarray(layer.sample(ImageShape(4000, H, W, 3), randomness.Draws(randomness.as_seed(SEED)))
                         ["offsets"])
    applied = np.any(offsets != 0, axis=(1, 2))
    # P(apply) = mean of the factor range = 0.4; 4000 draws: sd 0.008.
    assert abs(applied.mean() - 0.4) < 0.03
    moved = offsets[applied]
    assert moved.min() >= -0.25 and moved.max() <= 0.25 and moved.std() > 0.12  # uniform in +-scale/2: sd 0.144
    np.testing.assert_array_equal(offsets[~applied], 0.0)


def test_pipeline_fuses_perspective_with_rotation_in_one_warp(monkeypatch):
    calls = []
    original = geometric.warp_lib.warp
    monkeypatch.setattr(geometric.warp_lib, "warp",
                        lambda *a, **k: calls.append(k.get("projective")) or original(*a, **k))
    rotation = keras_aug.RandomRotation(0.05, fill_mode="constant")
    perspective = keras_aug.RandomPerspective(factor=(1.0, 1.0), scale=0.3)
    pipe = keras_aug.Pipeline([rotation, perspective])
    images = np.stack([textured_image(H, W, 3, seed=i) for i in range(3)]).astype(np.float32)
    # A fourth channel of ones marks where every read was inside the image.
    images = np.concatenate([images, np.ones_like(images[..., :1])], axis=-1)
    fused = pipe(images, training=True, seed=SEED).numpy()
    assert calls == [True]  # one warp, with the divide
    step = images
    for i, layer in enumerate(pipe.layers):
        step = layer.augment(structures.unpack(step), randomness.fold_in(randomness.as_seed(SEED), i)).images
    step = np.asarray(step)
    inside = (fused[..., 3] == 1) & (step[..., 3] == 1)
    assert inside.mean() > 0.5
    # Two resamples blur a little more than one.
    difference = np.abs(fused[..., :3] - step[..., :3])[inside]
    assert np.median(difference) < 0.5 and difference.max() < 6.0, (np.median(difference), difference.max())


def test_compiled_and_tf_data_calls_equal_the_eager_call():
    layer = keras_aug.RandomPerspective(factor=(1.0, 1.0), scale=0.5, seed=5)
    images = np.stack([textured_image(H, W, 3, seed=i) for i in range(2)]).astype(np.uint8)
    eager = layer(images, training=True, seed=SEED).numpy()
    compiled = tf.function(lambda x: layer(x, training=True, seed=SEED), jit_compile=True)(images).numpy()
    mapped = next(iter(tf.data.Dataset.from_tensors(images).map(lambda x: layer(x, training=True, seed=SEED))))
    np.testing.assert_allclose(compiled.astype(float), eager, atol=1)
    np.testing.assert_allclose(mapped.numpy().astype(float), eager, atol=1)
    assert np.abs(eager.astype(float) - images).mean() > 5  # it did move the pixels


def test_arguments_are_checked_and_serialized():
    with pytest.raises(ValueError, match="`scale` must be a number in \\[0, 1\\]"):
        keras_aug.RandomPerspective(scale=1.5)
    with pytest.raises(ValueError, match="`factor`"):
        keras_aug.RandomPerspective(factor=(0.5, 1.2))
    layer = keras_aug.RandomPerspective(factor=0.3, scale=0.2, fill_mode="reflect", seed=1)
    clone = keras_aug.RandomPerspective.from_config(layer.get_config())
    assert (clone.factor_range, clone.scale, clone.fill_mode) == ((0.0, 0.3), 0.2, "reflect")
    images = np.ones((1, H, W, 3), np.float32)
    np.testing.assert_array_equal(layer(images, training=False), images)
