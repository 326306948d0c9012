"""The data path's fused resize + geometric resample (OpenCV), against scipy."""

import math

import numpy as np
import pytest
import tensorflow as tf

from geo_helpers import rotation_about_centre
from geo_helpers import scipy_warp
from sample_images import textured_image

import keras_aug
import keras_aug.data as kd
from keras_aug.data import epochs
from keras_aug.data import pipeline
from keras_aug.data import resample

FILL_MODES = ["constant", "nearest", "reflect", "mirror", "wrap"]


def head_matrix(target_size, angle=0.5, zoom=1.15, shift=(1.3, -2.1)):
    """Rotation about the centre, zoom out, shift: an output -> input matrix at target size."""
    th, tw = target_size
    m = rotation_about_centre(angle, th, tw)
    zoom_m = np.array([[zoom, 0, tw / 2 * (1 - zoom)], [0, zoom, th / 2 * (1 - zoom)], [0, 0, 1]])
    shift_m = np.array([[1, 0, shift[0]], [0, 1, shift[1]], [0, 0, 1]])
    return (m @ zoom_m @ shift_m).astype(np.float32)


def reference(image, head, target_size, output_size, fill_mode="reflect", fill_value=0.0, order=1):
    """scipy: the resize matrix (hand-built) times the head matrix, one resample in float."""
    h, w = image.shape[:2]
    th, tw = target_size
    resize = np.array([[w / tw, 0, 0], [0, h / th, 0], [0, 0, 1]])
    return scipy_warp(image.astype(np.float64), resize @ head, output_size, order=order,
                      fill_mode=fill_mode, fill_value=fill_value)


def grid_error_bound(image, scale):
    """What OpenCV's 1/32-pixel sample grid can cost: a 1/64-pixel shift of each of the
    input's steepest neighbour differences (times the output->input scale), plus 0.5
    for rounding uint8 results."""
    img = image.astype(np.float64)
    steepest = max(np.abs(np.diff(img, axis=0)).max(), np.abs(np.diff(img, axis=1)).max())
    rounding = 0.5 if image.dtype == np.uint8 else 0.0
    return rounding + 2 * steepest * scale / 64 + 1e-3


@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_matches_scipy_for_every_fill_mode(fill_mode):
    image = np.round(textured_image(41, 57)).astype(np.uint8)
    target, out = (24, 20), (24, 20)
    head = head_matrix(target)
    r = resample.Resampler(target, out, fill_mode=fill_mode, fill_value=37.0)
    got = r(image, head)
    want = reference(image, head, target, out, fill_mode=fill_mode, fill_value=37.0)
    assert got.shape == (24, 20, 3) and got.dtype == np.uint8
    diff = np.abs(got - want)
    assert diff.max() <= grid_error_bound(image, 57 / 20 * 1.15), (fill_mode, diff.max())
    assert diff.mean() < 0.5


@pytest.mark.parametrize("channels,dtype", [(1, np.uint8), (4, np.uint8), (3, np.float32), (2, np.float64)])
def test_channels_and_dtypes(channels, dtype):
    image = textured_image(30, 26, channels=channels).astype(dtype)
    if dtype == np.uint8:
        image = np.round(textured_image(30, 26, channels=channels)).astype(np.uint8)
    target = (16, 18)
    head = head_matrix(target, angle=-0.3)
    got = resample.Resampler(target, target, fill_mode="nearest")(image, head)
    assert got.shape == (16, 18, channels) and got.dtype == dtype
    want = reference(image, head, target, target, fill_mode="nearest")
    assert np.abs(got - want).max() <= grid_error_bound(image, 30 / 16 * 1.15)


def test_nearest_interpolation_picks_the_pixel_under_each_sample():
    rng = np.random.RandomState(0)
    image = rng.randint(0, 256, (23, 31, 3)).astype(np.uint8)
    target = (17, 13)
    head = head_matrix(target, angle=0.37, zoom=0.93, shift=(0.123, 0.377))
    got = resample.Resampler(target, target, interpolation="nearest", fill_mode="reflect")(image, head)
    want = reference(image, head, target, target, fill_mode="reflect", order=0)
    # Only samples within OpenCV's fixed-point resolution of a pixel boundary may pick
    # the neighbour: a handful at most, never a systematic shift.
    assert np.mean(np.any(got != want, axis=-1)) <= 0.02


def test_output_size_of_a_crop_and_the_aspect_crop():
    image = np.round(textured_image(40, 90)).astype(np.uint8)
    target = (20, 20)
    # keep_aspect_ratio: the legacy centre crop (40 x 40 of the 40 x 90 image) first.
    r = resample.Resampler(target, (12, 10), keep_aspect_ratio=True)
    crop = np.array([[1, 0, 4], [0, 1, 3], [0, 0, 1]], np.float32)  # a 12 x 10 window at (4, 3)
    got = r(image, crop)
    top, left, ch, cw = resample.aspect_crop(40, 90, target)
    assert (top, left, ch, cw) == (0, 25, 40, 40)
    want = reference(image[:, 25:65], crop, target, (12, 10))
    assert got.shape == (12, 10, 3)
    assert np.abs(got - want).max() <= grid_error_bound(image, 2)


def test_large_shrinks_are_area_averaged_not_aliased():
    # A 1-pixel checkerboard shrunk 8x: bilinear sampling alone would read single
    # pixels (black or white); averaging gives grey everywhere.
    board = (np.indices((160, 160)).sum(axis=0) % 2 * 255).astype(np.uint8)[..., None]
    identity = np.eye(3, dtype=np.float32)
    got = resample.Resampler((20, 20), (20, 20), fill_mode="reflect")(board, identity)
    assert abs(got.mean() - 127.5) < 1.0 and got.std() < 1.0
    # Up to 4x the single bilinear resample is kept (same as tf.image.resize).
    smooth = np.round(textured_image(80, 80)).astype(np.uint8)
    got = resample.Resampler((20, 20), (20, 20))(smooth, identity)
    want = reference(smooth, identity, (20, 20), (20, 20))
    assert np.abs(got - want).max() <= grid_error_bound(smooth, 4)


def test_supports_and_argument_errors():
    assert resample.supports("bilinear", "wrap", tf.uint8, 3)
    assert not resample.supports("bicubic", "reflect", tf.uint8, 3)
    assert not resample.supports("bilinear", "reflect", tf.uint8, 5)
    assert not resample.supports("bilinear", "reflect", tf.int32, 3)
    with pytest.raises(ValueError, match="interpolation must be one of"):
        resample.Resampler((4, 4), (4, 4), interpolation="bicubic")
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        resample.Resampler((4, 4), (4, 4), fill_mode="edge")


def test_in_graph_inside_a_dataset_map():
    image = np.round(textured_image(21, 33)).astype(np.uint8)
    head = head_matrix((10, 12))
    r = resample.Resampler((10, 12), (10, 12))
    ds = tf.data.Dataset.from_tensors((image, head)).map(r.in_graph)
    out = next(iter(ds))
    assert out.shape == (10, 12, 3) and out.dtype == tf.uint8
    np.testing.assert_array_equal(out.numpy(), r(image, head))


def test_split_augment_takes_the_first_fused_run():
    rotate = keras_aug.RandomRotation(0.1, fill_mode="constant")
    zoom = keras_aug.RandomZoom(0.2, fill_mode="reflect")  # another fill: a second run
    erase = keras_aug.RandomErasing()
    head, tail = pipeline.split_augment(keras_aug.Pipeline([keras_aug.RandomFlip("horizontal"), rotate, zoom, erase]))
    assert [type(l).__name__ for l in head] == ["RandomFlip", "RandomRotation"]
    assert [type(l).__name__ for l in tail.layers] == ["RandomZoom", "RandomErasing"]
    assert pipeline.head_settings(head) == ("bilinear", "constant", 0.0)
    head, tail = pipeline.split_augment(keras_aug.Pipeline([erase, rotate]))
    assert head == [] and tail is not None
    head, tail = pipeline.split_augment(zoom)
    assert head == [zoom] and tail is None


def test_fuse_resize_must_be_a_bool(clean_tree):
    with pytest.raises(ValueError, match="fuse_resize must be True or False"):
        kd.from_directory(clean_tree, target_size=(4, 4), augment=keras_aug.RandomFlip(), fuse_resize="auto",
                          verbose=False)


def test_parameters_across_chunks_are_reproducible_and_differ(clean_tree, monkeypatch):
    # 17 files in chunks of 3: six chunks, each with its own seed.
    monkeypatch.setattr(epochs, "HEAD_CHUNK", 3)
    kwargs = dict(target_size=(12, 16), batch_size=17, seed=5, class_mode="sparse", verbose=False)

    def run(parallel):
        ds = kd.from_directory(clean_tree, augment=keras_aug.RandomRotation(0.3), num_parallel_calls=parallel,
                               shuffle=False, **kwargs)
        return [x.numpy() for x, _ in ds][0]

    one, four = run(1), run(4)
    np.testing.assert_array_equal(one, four)
    plain = [x.numpy() for x, _ in kd.from_directory(clean_tree, shuffle=False, **kwargs)][0]
    # Every image is rotated (none left as the plain resize), each by its own angle.
    changed = np.abs(one - plain).reshape(17, -1).mean(axis=1)
    assert np.all(changed > 1.0)
    assert len(np.unique(np.round(changed, 3))) == 17
    assert math.isfinite(float(one.sum()))


@pytest.fixture
def opencv_threads(monkeypatch):
    """OpenCV at its default thread count (its CPU count), no dataset built yet; restored.

    The CPU count is pinned to 4, so that the test does not depend on this machine's
    (with 1 CPU there is no pool to turn off).
    """
    import cv2

    before = cv2.getNumThreads()
    monkeypatch.setattr(resample, "_opencv_threads_checked", False)
    monkeypatch.setattr(cv2, "getNumberOfCPUs", lambda: 4)
    cv2.setNumThreads(4)
    yield cv2
    cv2.setNumThreads(before)


def test_the_first_fused_dataset_turns_opencv_threads_off_once(opencv_threads, clean_tree):
    cv2 = opencv_threads
    default = cv2.getNumThreads()
    kd.from_directory(clean_tree, target_size=(8, 8), verbose=False)  # no OpenCV: untouched
    assert cv2.getNumThreads() == default
    kd.from_directory(clean_tree, target_size=(8, 8), augment=keras_aug.RandomRotation(0.1), verbose=False)
    assert cv2.getNumThreads() == 1
    # A count the user sets afterwards stands, through later datasets.
    cv2.setNumThreads(default)
    kd.from_directory(clean_tree, target_size=(8, 8), augment=keras_aug.RandomRotation(0.1), verbose=False)
    assert cv2.getNumThreads() == default


def test_a_thread_count_set_before_the_first_dataset_stands(opencv_threads):
    cv2 = opencv_threads
    cv2.setNumThreads(cv2.getNumberOfCPUs() + 1)
    x = np.zeros((3, 10, 10, 3), np.uint8)
    kd.from_arrays(x, target_size=(8, 8), augment=keras_aug.RandomRotation(0.1))
    assert cv2.getNumThreads() == cv2.getNumberOfCPUs() + 1
