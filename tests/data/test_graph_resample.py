"""The graph-only route's fused resize + geometric resample (TF ops, XLA), against scipy and OpenCV."""

import numpy as np
import pytest
import tensorflow as tf

from sample_images import textured_image
from test_resample import FILL_MODES
from test_resample import head_matrix
from test_resample import reference

import route_datasets
from keras_aug.data import graph_resample

# The XLA warp blends in float32 and rounds to uint8: half a level, and float32 rounding.
ROUNDING = 0.5 + 1e-3


def resampled(resampler, image, head):
    """The resampler inside a tf.data map, as the route runs it."""
    ds = tf.data.Dataset.from_tensors((image, head)).map(resampler)
    return next(iter(ds)).numpy()


@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_matches_scipy_for_every_fill_mode(fill_mode):
    image = np.round(textured_image(41, 57)).astype(np.uint8)
    target = (24, 20)
    head = head_matrix(target)
    r = graph_resample.GraphResampler(target, target, 3, fill_mode=fill_mode, fill_value=37.0)
    got = resampled(r, image, head)
    assert got.shape == (24, 20, 3) and got.dtype == np.uint8
    want = reference(image, head, target, target, fill_mode=fill_mode, fill_value=37.0)
    assert np.abs(got - want).max() <= ROUNDING, fill_mode


@pytest.mark.parametrize("channels", [1, 4])
def test_channels_and_nearest_interpolation(channels):
    image = np.round(textured_image(30, 26, channels=channels)).astype(np.uint8)
    target = (16, 18)
    head = head_matrix(target, angle=-0.3)
    got = resampled(graph_resample.GraphResampler(target, target, channels, fill_mode="nearest"), image, head)
    assert got.shape == (16, 18, channels)
    assert np.abs(got - reference(image, head, target, target, fill_mode="nearest")).max() <= ROUNDING
    # Nearest: each output pixel is the input pixel under its sample point, away from
    # pixel boundaries (float32 against float64 may pick the neighbour right on one).
    r = graph_resample.GraphResampler(target, target, channels, interpolation="nearest", fill_mode="reflect")
    got = resampled(r, image, head)
    want = reference(image, head, target, target, fill_mode="reflect", order=0)
    assert np.mean(np.any(got != want, axis=-1)) <= 0.02


def test_aspect_crop_and_a_cropped_output_size():
    image = np.round(textured_image(40, 90)).astype(np.uint8)
    crop = np.array([[1, 0, 4], [0, 1, 3], [0, 0, 1]], np.float32)  # a 12 x 10 window at (4, 3)
    r = graph_resample.GraphResampler((20, 20), (12, 10), 3, keep_aspect_ratio=True)
    got = resampled(r, image, crop)
    # The legacy centre crop (40 x 40 of the 40 x 90 image), then the window.
    want = reference(image[:, 25:65], crop, (20, 20), (12, 10))
    assert got.shape == (12, 10, 3)
    assert np.abs(got - want).max() <= ROUNDING


def test_one_compiled_warp_for_every_image_size_and_large_shrinks_are_averaged():
    target = (10, 10)
    r = graph_resample.GraphResampler(target, target, 3, fill_mode="reflect")
    identity = np.eye(3, dtype=np.float32)
    # Up to 4x the target on each side (the buffer's capacity) the single bilinear
    # resample is kept, at every size.
    for h, w in [(40, 40), (13, 37), (5, 7), (1, 1)]:
        image = np.round(textured_image(h, w)).astype(np.uint8)
        got = resampled(r, image, identity)
        assert np.abs(got - reference(image, identity, target, target)).max() <= ROUNDING, (h, w)
    # Beyond 4x, area-averaged first: a 1-pixel checkerboard shrunk 8x is grey, not
    # single black or white pixels.
    board = np.repeat((np.indices((80, 80)).sum(axis=0) % 2 * 255).astype(np.uint8)[..., None], 3, axis=-1)
    got = resampled(r, board, identity)
    assert abs(got.mean() - 127.5) < 1.0 and got.std() < 1.0
    assert r._warp.experimental_get_tracing_count() == 1


def test_argument_errors():
    with pytest.raises(ValueError, match="interpolation"):
        graph_resample.GraphResampler((4, 4), (4, 4), 3, interpolation="bicubic")
    with pytest.raises(ValueError, match="fill_mode"):
        graph_resample.GraphResampler((4, 4), (4, 4), 3, fill_mode="edge")


def test_graph_only_route_gives_the_default_routes_images(route_tree):
    # Same per-image matrices (same chunk seeds), one resample each (OpenCV against the
    # XLA warp), the same per-batch tail: the good files' images agree to a level.
    # (Stand-ins for bad files differ: the default route re-augments the stand-in file
    # in the bad file's slot, the per-image routes copy a processed neighbour.)
    default = route_datasets.build(route_tree, "opencv_groups", shuffle=False)
    graph_only = route_datasets.build(route_tree, "graph_only", shuffle=False)
    assert "fused with the resize" in graph_only.route.reason
    good = [i for i, name in enumerate(default.filenames) if not name.endswith(("empty.jpg", "late.png", "text.jpg"))]
    for _ in range(2):  # two epochs: each draws anew, both routes alike
        a = np.concatenate([x for x, _ in default.as_numpy_iterator()])[good]
        b = np.concatenate([x for x, _ in graph_only.as_numpy_iterator()])[good]
        assert np.abs(a - b).max() <= 1.5
        assert np.abs(a - b).mean() < 0.05
