"""keras_aug.visualize.grid: every annotation is drawn where it is, every image type shows right.

The expected pixels are computed by hand here (box edges, blends, checkerboard), not by
the drawing code under test. Grids use padding=0 and no captions, so tile i of a
one-row grid is `picture[:, i * W:(i + 1) * W]`.
"""

import sys

import numpy as np
import pytest

from keras_aug import visualize
from keras_aug.visualize import draw

H, W = 32, 40


def _black(batch=1, channels=3, dtype=np.uint8):
    return np.zeros((batch, H, W, channels), dtype)


def _outline(x1, y1, x2, y2, thickness=2):
    """Boolean [H, W]: the `thickness`-pixel outline inside pixel columns x1..x2-1, rows y1..y2-1."""
    inside = np.zeros((H, W), bool)
    inside[y1:y2, x1:x2] = True
    core = np.zeros((H, W), bool)
    core[y1 + thickness:y2 - thickness, x1 + thickness:x2 - thickness] = True
    return inside & ~core


def test_box_is_drawn_on_its_edge_pixels_and_nowhere_else():
    boxes = {"boxes": np.array([[[5, 8, 20, 18], [-1, -1, -1, -1]]], np.float32), "labels": np.array([[2, -1]])}
    picture = visualize.grid(_black(), bounding_boxes=boxes, padding=0)
    assert picture.shape == (H, W, 3) and picture.dtype == np.uint8
    expected = _outline(5, 8, 20, 18)
    drawn = picture.any(axis=-1)
    np.testing.assert_array_equal(drawn, expected)  # the padding row (label -1) draws nothing
    assert (picture[expected] == draw.PALETTE[2]).all()


@pytest.mark.parametrize(
    "box_format, box",
    [
        ("xywh", [5, 8, 15, 10]),
        ("center_xywh", [12.5, 13, 15, 10]),
        ("rel_xyxy", [5 / W, 8 / H, 20 / W, 18 / H]),
        ("rel_xywh", [5 / W, 8 / H, 15 / W, 10 / H]),
    ],
)
def test_box_formats_draw_the_same_pixels(box_format, box):
    boxes = {"boxes": np.array([[box]], np.float32), "labels": np.array([[0]])}
    picture = visualize.grid(_black(), bounding_boxes=boxes, bounding_box_format=box_format, padding=0)
    np.testing.assert_array_equal(picture.any(axis=-1), _outline(5, 8, 20, 18))


def test_box_leaving_the_image_is_clipped_without_a_false_edge():
    boxes = np.array([[[30, -5, 55, 10]]], np.float32)  # right and top edges outside the tile
    picture = visualize.grid(_black(), bounding_boxes=boxes, padding=0)
    drawn = picture.any(axis=-1)
    expected = np.zeros((H, W), bool)
    expected[8:10, 30:W] = True  # bottom edge (rows 8-9), clipped at the right border
    expected[0:10, 30:32] = True  # left edge, from the top border down
    np.testing.assert_array_equal(drawn, expected)


def test_mask_overlay_blends_class_colours_and_leaves_background():
    image = np.full((1, H, W, 3), 100, np.uint8)
    mask = np.zeros((1, H, W), np.int32)
    mask[0, 4:10, 6:12] = 3
    mask[0, 20:24, 0:5] = 255  # the warp's fill value: shown in grey
    picture = visualize.grid(image, segmentation_masks=mask, padding=0, mask_alpha=0.25)
    blend = np.rint(0.75 * 100 + 0.25 * draw.PALETTE[3].astype(float))
    assert (picture[4:10, 6:12] == blend).all()
    assert (picture[20:24, 0:5] == np.rint(0.75 * 100 + 0.25 * 128)).all()
    untouched = mask[0] == 0
    assert (picture[untouched] == 100).all()
    # A mask with a channel axis, or given in the layer's dict, draws the same picture.
    same = visualize.grid({"images": image, "segmentation_masks": mask[..., None]}, padding=0, mask_alpha=0.25)
    np.testing.assert_array_equal(same, picture)


def test_keypoints_are_marked_at_their_pixel_with_a_dark_ring():
    points = np.array([[[10.7, 7.2, 1], [30.9, 20.0, 0], [-3, 5, 1], [25.0, 25.0, 1]]], np.float32)
    picture = visualize.grid(np.full((1, H, W, 3), 200, np.uint8), keypoints=points, padding=0)
    assert (picture[7, 10] == draw.PALETTE[0]).all()  # the pixel that contains (10.7, 7.2)
    assert (picture[5:10, 8:13] == draw.PALETTE[0]).all()  # a 5x5 square around it
    assert (picture[7, 13] == 0).all() and (picture[4, 10] == 0).all()  # ringed in black
    assert (picture[20, 30] == 200).all()  # visibility 0: not drawn
    assert (picture[25, 25] == draw.PALETTE[3]).all()  # keypoint k has colour k
    changed = (picture != 200).any(axis=-1)
    assert changed.sum() == 2 * 7 * 7  # two visible points inside the image, nothing else


def test_one_channel_shows_as_grey():
    image = np.arange(H * W, dtype=np.uint8).reshape(1, H, W, 1)
    picture = visualize.grid(image, padding=0)
    np.testing.assert_array_equal(picture, np.repeat(image[0], 3, axis=-1))


def test_four_channels_composite_alpha_over_a_checkerboard():
    image = np.zeros((1, H, W, 4), np.uint8)
    image[..., 0] = 255  # red
    image[0, :, :20, 3] = 255  # left half opaque, right half fully transparent
    picture = visualize.grid(image, padding=0)
    assert (picture[:, :20] == (255, 0, 0)).all()
    # 8-pixel cells, light (204) where row cell + column cell is even, else dark (153).
    assert (picture[0, 20] == 204).all() and (picture[0, 24] == 153).all()
    assert (picture[8, 24] == 204).all() and (picture[8, 20] == 153).all()


@pytest.mark.parametrize(
    "image, value_range, expected",
    [
        (np.full((1, H, W, 3), 0.5, np.float32), None, 128),  # floats in [0, 1] read as [0, 1]
        (np.full((1, H, W, 3), 64.0, np.float32), None, 64),  # floats above 1 read as [0, 255]
        (np.full((1, H, W, 3), 0.0, np.float32), (-1, 1), 128),  # rint(127.5) = 128
        (np.full((1, H, W, 3), 300.0, np.float32), None, 255),  # clipped
        (np.full((1, H, W, 3), 77, np.uint8), None, 77),
        (np.full((1, H, W, 3), 77, np.int32), None, 77),
    ],
)
def test_dtypes_and_value_ranges(image, value_range, expected):
    picture = visualize.grid(image, value_range=value_range, padding=0)
    assert picture.dtype == np.uint8
    assert (picture == expected).all()


def test_layout_places_tiles_row_by_row_with_padding():
    images = np.stack([np.full((H, W, 3), 10 * (i + 1), np.uint8) for i in range(3)])
    picture = visualize.grid(images, cols=2, padding=4)
    assert picture.shape == (4 + 2 * (H + 4), 4 + 2 * (W + 4), 3)
    for i in range(3):
        r, c = divmod(i, 2)
        top, left = 4 + r * (H + 4), 4 + c * (W + 4)
        assert (picture[top:top + H, left:left + W] == 10 * (i + 1)).all()
    assert (picture[4 + H + 4:, 4 + W + 4:] == 255).all()  # the empty fourth cell stays white


def test_labels_become_captions_under_each_tile():
    images = np.zeros((2, H, W, 3), np.uint8)
    plain = visualize.grid(images, padding=0)
    captioned = visualize.grid((images, np.array([0, 1])), class_names=["cat", "dog"], padding=0)
    assert captioned.shape[0] > plain.shape[0]  # a caption strip under the tiles
    strip = captioned[H:]
    assert (strip < 128).any()  # dark text was written
    different = visualize.grid((images, np.array([1, 0])), class_names=["cat", "dog"], padding=0)
    assert (different[H:] != strip).any()


def test_label_text():
    assert visualize.grids.label_text(1.0, ["cat", "dog"]) == "dog"
    assert visualize.grids.label_text(np.float32(0.25), ["cat", "dog"]) == "dog 0.25"
    assert visualize.grids.label_text([0, 0, 1], ["a", "b", "c"]) == "c"
    assert visualize.grids.label_text([0.7, 0.3, 0], ["a", "b", "c"]) == "a 0.70 b 0.30"
    assert visualize.grids.label_text(4) == "4"


def test_dict_tuple_and_channels_first_inputs_draw_the_same():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (2, H, W, 3), dtype=np.uint8)
    boxes = {"boxes": np.array([[[1, 2, 20, 30]], [[5, 5, 9, 9]]], np.float32), "labels": np.array([[0], [1]])}
    by_args = visualize.grid(images, bounding_boxes=boxes)
    by_dict = visualize.grid({"images": images, "bounding_boxes": boxes})
    first = visualize.grid(np.moveaxis(images, -1, 1), bounding_boxes=boxes, data_format="channels_first")
    np.testing.assert_array_equal(by_dict, by_args)
    np.testing.assert_array_equal(first, by_args)
    single = visualize.grid(images[0], bounding_boxes={"boxes": boxes["boxes"][0], "labels": boxes["labels"][0]})
    np.testing.assert_array_equal(single, visualize.grid(images[:1], bounding_boxes={
        "boxes": boxes["boxes"][:1], "labels": boxes["labels"][:1]}))


def test_tensors_are_accepted():
    import tensorflow as tf

    images = np.full((1, H, W, 3), 9, np.uint8)
    np.testing.assert_array_equal(visualize.grid(tf.constant(images)), visualize.grid(images))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(images=np.zeros((1, H, W, 2), np.uint8)), "1, 3 or 4 channels"),
        (dict(images=np.zeros((H, W), np.uint8)), "rank 3"),
        (dict(images=np.zeros((1, H, W, 3), np.uint8), value_range=(1, 1)), "value_range"),
        (dict(images=np.zeros((1, H, W, 3), np.uint8), segmentation_masks=np.zeros((1, 5, 5))), "segmentation_masks"),
        (dict(images=np.zeros((1, H, W, 3), np.uint8), bounding_boxes=np.zeros((1, 2, 3))), "bounding_boxes"),
        (dict(images=np.zeros((1, H, W, 3), np.uint8), bounding_boxes=np.zeros((1, 1, 4)), bounding_box_format="xy"),
         "bounding_box_format"),
        (dict(images={"image": np.zeros((1, H, W, 3))}), "'images' key"),
        (dict(images=np.zeros((2, H, W, 3)), labels=[1]), "labels"),
        (dict(images=np.zeros((1, H, W, 3)), cols=0), "cols"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        visualize.grid(**kwargs)


def test_show_names_matplotlib_when_it_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib...` fail
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"needs matplotlib, which is not installed \(pip install matplotlib\)"):
        visualize.show(np.zeros((1, H, W, 3), np.uint8))


def test_show_puts_the_grid_in_a_figure(monkeypatch):
    shown = {}

    class Axes:
        def imshow(self, picture, **kwargs):
            shown["picture"] = picture

        def set_axis_off(self):
            shown["axis_off"] = True

    class Figure:
        def add_axes(self, rect):
            return Axes()

        def suptitle(self, title):
            shown["title"] = title

    pyplot = type(sys)("matplotlib.pyplot")
    pyplot.figure = lambda figsize, dpi: shown.setdefault("figsize", figsize) and Figure()
    pyplot.show = lambda: shown.setdefault("shown", True)
    matplotlib = type(sys)("matplotlib")
    matplotlib.pyplot = pyplot
    monkeypatch.setitem(sys.modules, "matplotlib", matplotlib)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)
    images = np.full((2, H, W, 3), 50, np.uint8)
    visualize.show(images, title="look")
    np.testing.assert_array_equal(shown["picture"], visualize.grid(images))
    assert shown["shown"] and shown["axis_off"] and shown["title"] == "look"
    assert shown["figsize"] == (shown["picture"].shape[1] / 100, shown["picture"].shape[0] / 100)
