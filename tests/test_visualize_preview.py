"""keras_aug.visualize.preview: each image beside n seeded augmentations, annotations moved with it."""

import numpy as np
import pytest

import keras_aug
from keras_aug import visualize
from keras_aug.visualize import draw

H, W = 24, 32


def _images(batch=2):
    rng = np.random.default_rng(1)
    return rng.integers(0, 255, (batch, H, W, 3), dtype=np.uint8)


def _tiles(picture, rows, cols, padding=4):
    """Cuts a preview into its [rows][cols] tiles (H x W each; caption strips skipped)."""
    step_h = (picture.shape[0] - padding) // rows
    step_w = (picture.shape[1] - padding) // cols
    return [[picture[padding + r * step_h:padding + r * step_h + H, padding + c * step_w:padding + c * step_w + W]
             for c in range(cols)] for r in range(rows)]


def test_rows_hold_the_original_then_n_augmented_versions():
    images = _images()
    layer = keras_aug.RandomFlip("horizontal")
    picture = visualize.preview(layer, images, n=6, seed=3)
    tiles = _tiles(picture, rows=2, cols=7)
    for b in range(2):
        np.testing.assert_array_equal(tiles[b][0], images[b])  # the original comes first
        flips = [np.array_equal(t, images[b][:, ::-1]) for t in tiles[b][1:]]
        sames = [np.array_equal(t, images[b]) for t in tiles[b][1:]]
        assert all(f or s for f, s in zip(flips, sames))  # each tile is the image or its mirror
        assert any(flips) and any(sames)  # per-sample draws: both occur among 6 (p = 1 - 2 / 64)


def test_same_seed_same_picture_other_seed_other_picture():
    layer = keras_aug.Pipeline([keras_aug.RandomRotation(0.2), keras_aug.RandomZoom(0.3)])
    images = _images()
    a = visualize.preview(layer, images, n=3, seed=11)
    b = visualize.preview(layer, images, n=3, seed=11)
    c = visualize.preview(layer, images, n=3, seed=12)
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


def test_boxes_move_with_the_image():
    images = np.zeros((1, H, W, 3), np.uint8)
    boxes = {"boxes": np.array([[[2, 3, 10, 12]]], np.float32), "labels": np.array([[1]])}
    layer = keras_aug.RandomFlip("horizontal", bounding_box_format="xyxy")
    picture = visualize.preview(layer, {"images": images, "bounding_boxes": boxes}, n=8, seed=0)
    tiles = _tiles(picture, rows=1, cols=9)[0]
    at_left = np.zeros((H, W), bool)
    at_left[3:12, 2:10] = True
    mirrored = at_left[:, ::-1]
    np.testing.assert_array_equal(tiles[0].any(axis=-1), at_left & ~_core(at_left))
    seen = set()
    for tile in tiles[1:]:
        drawn = tile.any(axis=-1)
        assert (tile[drawn] == draw.PALETTE[1]).all()
        if np.array_equal(drawn, at_left & ~_core(at_left)):
            seen.add("same")
        else:
            np.testing.assert_array_equal(drawn, mirrored & ~_core(mirrored))
            seen.add("flipped")
    assert seen == {"same", "flipped"}


def _core(region, thickness=2):
    rows, cols = np.nonzero(region)
    core = np.zeros_like(region)
    core[rows.min() + thickness:rows.max() + 1 - thickness, cols.min() + thickness:cols.max() + 1 - thickness] = True
    return core


def test_box_format_of_the_input_and_of_the_layer_may_differ():
    images = np.zeros((1, H, W, 3), np.uint8)
    rel = {"boxes": np.array([[[2 / W, 3 / H, 10 / W, 12 / H]]], np.float32), "labels": np.array([[0]])}
    xyxy = {"boxes": np.array([[[2, 3, 10, 12]]], np.float32), "labels": np.array([[0]])}
    layer = keras_aug.RandomFlip("horizontal", bounding_box_format="rel_xyxy")
    a = visualize.preview(layer, {"images": images, "bounding_boxes": rel}, n=4, seed=5)
    b = visualize.preview(layer, {"images": images, "bounding_boxes": xyxy}, n=4, seed=5, bounding_box_format="xyxy")
    np.testing.assert_array_equal(a, b)


def test_masks_and_keypoints_are_drawn_on_augmented_tiles():
    images = np.full((1, H, W, 3), 100, np.uint8)
    masks = np.zeros((1, H, W), np.int32)
    masks[0, 2:8, 3:9] = 1
    points = np.array([[[20.5, 15.5]]], np.float32)
    layer = keras_aug.RandomFlip("horizontal_and_vertical")
    picture = visualize.preview(layer, {"images": images, "segmentation_masks": masks, "keypoints": points}, n=4,
                                seed=2)
    for tile in _tiles(picture, rows=1, cols=5)[0]:  # mask and point move together
        overlaid = (tile == np.rint(0.5 * 100 + 0.5 * draw.PALETTE[1].astype(float))).all(axis=-1)
        assert overlaid.sum() > 0  # the mask is overlaid wherever the turn put it
        assert (tile == draw.PALETTE[0]).all(axis=-1).sum() == 25  # the keypoint's 5x5 square


def test_captions_name_the_original_each_version_and_its_label():
    images = _images(2)
    labels = np.eye(2, dtype=np.float32)[[1, 0]]  # one-hot, as class_mode="categorical" gives
    picture = visualize.preview(keras_aug.RandomFlip("horizontal"), (images, labels), n=2, seed=0,
                                class_names=["cat", "dog"])
    step_h, step_w = (picture.shape[0] - 4) // 2, (picture.shape[1] - 4) // 3
    expected = {(0, 0): "original dog", (0, 2): "#2 dog", (1, 0): "original cat", (1, 1): "#1 cat"}
    for (r, c), text in expected.items():
        top, left = 4 + r * step_h + H + 1, 4 + c * step_w
        strip = picture[top:top + draw.text_height(), left:left + W]
        want = draw.draw_text(np.full_like(strip, 255), text, 1, 0)
        np.testing.assert_array_equal(strip, want, err_msg=text)


@pytest.mark.parametrize("kwargs, message", [(dict(n=0), "`n`"), (dict(n=2.5), "`n`"), (dict(seed="x"), "`seed`")])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        visualize.preview(keras_aug.RandomFlip(), _images(), **kwargs)
