"""The compiled resample op (`keras_aug.data.native`) against numpy and the XLA warp; its
build cache, its fallback, and its use in a parallel tf.data map."""

import os
import stat
import threading
import warnings

import numpy as np
import pytest
import tensorflow as tf

import keras_aug.data as kd
import route_datasets
from keras_aug.data import graph_resample
from keras_aug.data.native import build
from keras_aug.data.native import loader

FILL_MODES = ("constant", "nearest", "reflect", "mirror", "wrap")
NUMPY_PAD = {"constant": "constant", "nearest": "edge", "reflect": "symmetric", "mirror": "reflect", "wrap": "wrap"}
MARGIN = 64  # the reference pads this far; test matrices read within it


def numpy_warp(image, matrix, output_size, interpolation, fill_mode, fill_value=0.0):
    """Independent reference: pad with numpy's own mode, then read the padded image.

    Output pixel (i, j) reads input point M @ (j + 0.5, i + 0.5, 1) (float32, as the op);
    bilinear blends the four pixels whose centres surround it, in float64.
    """
    extra = {"constant_values": fill_value} if fill_mode == "constant" else {}
    padded = np.pad(image.astype(np.float64), ((MARGIN, MARGIN), (MARGIN, MARGIN), (0, 0)), NUMPY_PAD[fill_mode],
                    **extra)
    m = np.asarray(matrix, np.float32)
    yc, xc = np.meshgrid(np.arange(output_size[0], dtype=np.float32) + np.float32(0.5),
                         np.arange(output_size[1], dtype=np.float32) + np.float32(0.5), indexing="ij")
    x = m[0, 0] * xc + m[0, 1] * yc + m[0, 2]
    y = m[1, 0] * xc + m[1, 1] * yc + m[1, 2]
    if interpolation == "nearest":
        xi, yi = np.floor(x).astype(int) + MARGIN, np.floor(y).astype(int) + MARGIN
        assert xi.min() >= 0 and yi.min() >= 0 and xi.max() < padded.shape[1] and yi.max() < padded.shape[0]
        return padded[yi, xi].astype(np.uint8)
    x0, y0 = np.floor(x - 0.5), np.floor(y - 0.5)
    fx, fy = (x - 0.5 - x0)[..., None], (y - 0.5 - y0)[..., None]
    xi, yi = x0.astype(int) + MARGIN, y0.astype(int) + MARGIN
    assert xi.min() >= 0 and yi.min() >= 0 and xi.max() + 1 < padded.shape[1] and yi.max() + 1 < padded.shape[0]
    top = padded[yi, xi] * (1 - fx) + padded[yi, xi + 1] * fx
    bottom = padded[yi + 1, xi] * (1 - fx) + padded[yi + 1, xi + 1] * fx
    return np.clip(np.round(top * (1 - fy) + bottom * fy), 0, 255).astype(np.uint8)


def affine(angle=0.4, scale=(1.3, 0.8), shift=(-3.2, 2.7), centre=(6.0, 5.0)):
    """An output -> input matrix: rotation and anisotropic scale about `centre`, then a shift
    (reads outside the image, so every fill mode is exercised)."""
    c, s = np.cos(angle), np.sin(angle)
    cx, cy = centre
    linear = np.array([[c, -s], [s, c]]) @ np.diag(scale)
    offset = np.array([cx, cy]) - linear @ np.array([cx, cy]) + np.array(shift)
    return np.array([[*linear[0], offset[0]], [*linear[1], offset[1]], [0, 0, 1]], np.float32)


def noise(height, width, channels, seed=0):
    """Uncorrelated pixels: a wrong neighbour or weight shows as a large error."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), dtype=np.uint8)


def run_op(op, image, matrix, output_size, interpolation="bilinear", fill_mode="constant", fill_value=0.0):
    return op(image, matrix, output_height=output_size[0], output_width=output_size[1],
              interpolation=interpolation, fill_mode=fill_mode, fill_value=fill_value).numpy()


def assert_close(got, want, context):
    """Within one level: float32 against float64 blends round differently at .5 only."""
    diff = np.abs(got.astype(int) - want.astype(int))
    assert got.shape == want.shape and got.dtype == np.uint8, context
    assert diff.max() <= 1, (context, diff.max(), np.argwhere(diff > 1)[:3])
    assert np.mean(diff > 0) < 0.02, context


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_matches_numpy_and_the_xla_warp_for_every_fill_mode(native_op, fill_mode, interpolation):
    image = noise(13, 17, 3)
    head = affine()
    fill = 201.0
    got = run_op(native_op, image, head, (12, 11), interpolation, fill_mode, fill)
    want = numpy_warp(image, head, (12, 11), interpolation, fill_mode, fill)
    if interpolation == "nearest":  # same float32 sample points: the same pixels exactly
        np.testing.assert_array_equal(got, want, err_msg=fill_mode)
    else:
        assert_close(got, want, fill_mode)
    # The route's two resamplers agree within a level; both fold the resize (13 x 17 to a
    # 10 x 12 target) into the head matrix: its rows scaled by 17/12 and 13/10.
    settings = dict(target_size=(10, 12), output_size=(12, 11), channels=3, interpolation=interpolation,
                    fill_mode=fill_mode, fill_value=fill)
    results = {}
    for kind in ("native", "xla"):
        resampler = graph_resample.GraphResampler(**settings, resampler=kind)
        ds = tf.data.Dataset.from_tensors((image, head)).map(resampler)
        results[kind] = next(iter(ds)).numpy()
    folded = head * np.array([17 / 12, 13 / 10, 1], np.float32)[:, None]
    np.testing.assert_array_equal(results["native"], run_op(native_op, image, folded, (12, 11), interpolation,
                                                            fill_mode, fill))
    assert_close(results["native"], results["xla"], fill_mode)


@pytest.mark.parametrize(
    "size, output_size, channels",
    [((1, 1), (5, 4), 3), ((1, 9), (4, 6), 1), ((9, 1), (3, 3), 4), ((5, 4), (37, 29), 2), ((60, 45), (4, 3), 3)],
    ids=["1x1", "1xN", "Nx1", "enlarge", "shrink"],
)
def test_odd_sizes_and_channel_counts(native_op, size, output_size, channels):
    image = noise(*size, channels, seed=1)
    # The output grid mapped onto the whole image, rotated a little about its centre.
    h, w = size
    resize = np.diag([w / output_size[1], h / output_size[0], 1.0]).astype(np.float32)
    matrix = affine(0.2, (1, 1), (0.3, -0.2), (w / 2, h / 2)) @ resize
    for fill_mode in FILL_MODES:
        for interpolation in ("bilinear", "nearest"):
            got = run_op(native_op, image, matrix, output_size, interpolation, fill_mode, 9.0)
            want = numpy_warp(image, matrix, output_size, interpolation, fill_mode, 9.0)
            assert_close(got, want, (fill_mode, interpolation))


def test_points_exactly_on_the_far_edges(native_op):
    # Half a pixel right and down: the last row and column read x == width, y == height
    # exactly, which is outside (fill), not the next row's first pixel.
    image = noise(5, 7, 3, seed=2)
    shift = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]], np.float32)
    for fill_mode in FILL_MODES:
        got = run_op(native_op, image, shift, (5, 7), "nearest", fill_mode, 9.0)
        np.testing.assert_array_equal(got, numpy_warp(image, shift, (5, 7), "nearest", fill_mode, 9.0))
        # The identity reads pixel centres exactly: the image itself, whatever the fill mode.
        np.testing.assert_array_equal(run_op(native_op, image, np.eye(3, dtype=np.float32), (5, 7), "bilinear",
                                             fill_mode, 9.0), image)


def test_large_shrinks_are_area_averaged_first_as_on_the_xla_route(native_op):
    # 1-pixel checkerboard shrunk 16x: area-averaged to 2x the target first, so grey.
    board = np.repeat((np.indices((160, 160)).sum(axis=0) % 2 * 255).astype(np.uint8)[..., None], 3, axis=-1)
    got = {}
    for kind in ("native", "xla"):
        resampler = graph_resample.GraphResampler((10, 10), (10, 10), 3, fill_mode="reflect", resampler=kind)
        got[kind] = next(iter(tf.data.Dataset.from_tensors((board, np.eye(3, dtype=np.float32))).map(resampler)))
    assert abs(got["native"].numpy().mean() - 127.5) < 1.0 and got["native"].numpy().std() < 1.0
    assert_close(got["native"].numpy(), got["xla"].numpy(), "shrink")


def test_bad_arguments_are_refused(native_op):
    image, matrix = noise(4, 4, 3), np.eye(3, dtype=np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="1-4 channels"):
        run_op(native_op, noise(4, 4, 5), matrix, (2, 2))
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match="rank 3|must be"):
        run_op(native_op, image[..., 0], matrix, (2, 2))
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match="3, 3|must be"):
        run_op(native_op, image, np.eye(2, dtype=np.float32), (2, 2))
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match="fill_mode"):
        run_op(native_op, image, matrix, (2, 2), fill_mode="edge")
    with pytest.raises(ValueError, match=r"graph_resampler must be one of \('auto', 'native', 'xla'\)"):
        kd.from_directory("/nonexistent", graph_resampler="opencv")
    with pytest.raises(ValueError, match="resampler must be 'native' or 'xla'"):
        graph_resample.GraphResampler((4, 4), (4, 4), 3, resampler="auto")


def test_a_parallel_map_gives_the_sequential_results(native_op):
    # Many calls of the one kernel at once (tf.data's threads), unordered: same pixels.
    images = np.stack([noise(23, 19, 3, seed=s) for s in range(48)])
    matrices = np.stack([affine(0.1 * s, (1.1, 0.9), (s % 5, -1.0)) for s in range(48)])

    def warp(i):
        return i, native_op(tf.gather(images, i), tf.gather(matrices, i), output_height=16, output_width=14,
                            fill_mode="reflect")

    ds = tf.data.Dataset.range(48).map(warp, num_parallel_calls=8, deterministic=False)
    parallel = dict((int(i), out.numpy()) for i, out in ds)
    for s in range(48):
        np.testing.assert_array_equal(parallel[s], run_op(native_op, images[s], matrices[s], (16, 14),
                                                          fill_mode="reflect"), err_msg=s)


@pytest.fixture
def fresh_loader(monkeypatch, tmp_path):
    """No op loaded yet in this process (as far as `load` knows), an empty cache, no warnings given."""
    monkeypatch.setattr(loader, "_LOADED", None)
    monkeypatch.setattr(graph_resample, "_warned", set())
    monkeypatch.setenv(build.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path


def test_without_a_compiler_the_route_falls_back_to_xla_and_says_why(fresh_loader, monkeypatch, route_tree):
    monkeypatch.setenv("CXX", str(fresh_loader / "no-such-compiler"))
    with pytest.warns(RuntimeWarning, match="uses the XLA warp .*no C\\+\\+ compiler.*no-such-compiler"):
        ds = route_datasets.build(route_tree, "graph_only")
    assert ds.route.resampler == "xla"
    assert "the native op is unavailable (no C++ compiler" in ds.route.reason and ds.route.reason in repr(ds)
    assert len(list(ds)) == len(ds)
    with warnings.catch_warnings():  # once per reason and process
        warnings.simplefilter("error")
        route_datasets.build(route_tree, "graph_only")
    with pytest.raises(RuntimeError, match="graph_resampler='native'.*no C\\+\\+ compiler"):
        route_datasets.build(route_tree, "graph_only", graph_resampler="native")


def test_a_compile_error_and_a_load_error_are_reasons_too(fresh_loader, monkeypatch):
    broken = fresh_loader / "broken.cc"
    broken.write_text("this is not C++\n")
    monkeypatch.setattr(build, "SOURCE", broken)
    loaded = loader.load()
    assert not loaded.ok and "failed (exit" in loaded.reason and "broken.cc" in loaded.reason
    assert not any(build.library_path().parent.glob("*.partial"))  # no half-written library left
    monkeypatch.setattr(loader, "_LOADED", None)
    build.library_path().write_bytes(b"not a shared library")  # as if another TF's build sat there
    loaded = loader.load()
    assert not loaded.ok and "tf.load_op_library" in loaded.reason


def test_parallel_builds_compile_once_and_publish_a_whole_library(fresh_loader, monkeypatch):
    # A stand-in compiler that is slow and counts its runs: four threads racing to build
    # into one empty cache must run it once and all get the same, complete file.
    calls = fresh_loader / "calls"
    compiler = fresh_loader / "slow-cxx"
    compiler.write_text(
        "#!/bin/sh\n"
        f"echo run >> {calls}\n"
        'while [ "$1" != "-o" ]; do shift; done\n'
        'printf partial > "$2"; sleep 1; printf " whole" >> "$2"\n'
    )
    compiler.chmod(compiler.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CXX", str(compiler))
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(build.build())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(paths) == 4 and len(set(paths)) == 1
    assert calls.read_text().count("run") == 1
    assert paths[0].read_text() == "partial whole" and os.access(paths[0], os.R_OK)
    assert not any(paths[0].parent.glob("*.partial"))


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_wide_outputs_cross_chunks_and_read_up_to_the_last_pixel(native_op, channels):
    # The bilinear kernel computes a row's points in chunks of 64 pixels, then blends the
    # interior ones 8 bytes at a time (stopping short of the image's end) and the rest by
    # the fill mode: a 150-wide output (chunks of 64, 64, 22) of a map that reads every
    # part of the image, its last row and column included, with fractional weights.
    image = noise(23, 41, channels, seed=3)
    h, w = image.shape[:2]
    out = (9, 150)
    # Output pixel centres spread from just inside the first pixel centre to just past
    # the last one, along both axes (a slight shear, so rows differ).
    matrix = np.array([[(w - 0.3) / out[1], 0.05, 0.35], [0.01, (h - 0.4) / out[0], 0.3], [0, 0, 1]], np.float32)
    for fill_mode in FILL_MODES:
        got = run_op(native_op, image, matrix, out, "bilinear", fill_mode, 77.0)
        assert_close(got, numpy_warp(image, matrix, out, "bilinear", fill_mode, 77.0), (channels, fill_mode))


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_points_beyond_one_period_of_the_edges(native_op, interpolation):
    # Reflect, mirror and wrap map indices within one image size of an edge in closed form
    # and farther ones by a modulo: shifts of 0.5 to 3.5 image sizes take both.
    image = noise(6, 5, 3, seed=4)
    for shift in (-17.3, -9.6, -3.2, 3.7, 8.4, 16.9):
        matrix = np.array([[0.9, 0.2, shift], [-0.15, 1.1, -shift / 2], [0, 0, 1]], np.float32)
        for fill_mode in FILL_MODES:
            got = run_op(native_op, image, matrix, (8, 40), interpolation, fill_mode, 5.0)
            want = numpy_warp(image, matrix, (8, 40), interpolation, fill_mode, 5.0)
            if interpolation == "nearest":
                np.testing.assert_array_equal(got, want, err_msg=(shift, fill_mode))
            else:
                assert_close(got, want, (shift, fill_mode))


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_the_resize_folded_in_the_op_is_the_graph_fold_bit_for_bit(native_op, interpolation):
    # resize_height/width: the op scales the matrix's rows by width / resize_width and
    # height / resize_height (float32), as the XLA route's `_fold_resize` does in TF ops.
    for (h, w), target, seed in [((13, 17), (10, 12), 5), ((280, 330), (150, 150), 6), ((7, 3), (9, 11), 7)]:
        image = noise(h, w, 3, seed=seed)
        head = affine(0.3, (1.1, 0.9), (1.5, -2.0), (target[1] / 2, target[0] / 2))
        sx = tf.cast(w, tf.float32) / target[1]
        sy = tf.cast(h, tf.float32) / target[0]
        folded = (tf.constant(head) * tf.stack([sx, sy, 1.0])[:, None]).numpy()
        want = run_op(native_op, image, folded, target, interpolation, "reflect")
        got = native_op(image, head, output_height=target[0], output_width=target[1], interpolation=interpolation,
                        fill_mode="reflect", resize_height=target[0], resize_width=target[1]).numpy()
        np.testing.assert_array_equal(got, want, err_msg=(h, w))
        # Not a no-op: without the attributes the same matrix reads other points.
        assert (run_op(native_op, image, head, target, interpolation, "reflect") != want).any()
