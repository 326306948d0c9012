"""The fused data path's file groups: Python decoding equals the graph's, bad files, errors."""

import os
import warnings

import numpy as np
import pytest
import tensorflow as tf

import keras_aug
import keras_aug.data as kd
from keras_aug.data import decoding
from keras_aug.data import epochs
from keras_aug.data import file_groups
from keras_aug.data import resample
from keras_aug.data import routes

from data_helpers import assert_good_files_and_stand_ins, exif_bytes, noise, save


def graph_decode(probe, color_mode, ratio):
    """The graph decoder's output for one probed file (the reference)."""
    decode = decoding.make_graph_decoder(
        color_mode, lambda index: decoding.pil_decode(probe.path, color_mode, ratio)
    )
    branch = decoding.decoder_branch(probe.route, int(np.log2(ratio)))
    return decode(
        tf.constant(probe.path), tf.constant(branch), tf.constant(probe.orientation), tf.constant(0, tf.int64),
    ).numpy()


def never_flip():
    """A fused geometric layer that never fires: the fused path with identity matrices."""
    layer = keras_aug.RandomFlip("horizontal")
    layer.sample = lambda shape, draws: {
        k: tf.zeros_like(v) for k, v in type(layer).sample(layer, shape, draws).items()
    }
    return layer


def per_image_path(monkeypatch):
    """Builds datasets with the per-image path (graph decode, one resample call per image)."""
    monkeypatch.setattr(routes.opencv_groups, "elements", routes.opencv_per_image.elements)


@pytest.mark.parametrize("color_mode", ["grayscale", "rgb", "rgba"])
def test_decode_array_equals_the_graph_decoder_for_every_good_kind(bad_tree, color_mode):
    root, good, _, max_pixels = bad_tree
    for rel in good:
        probe = decoding.probe_file(os.path.join(root, rel), max_pixels)
        for ratio in (1, 2):
            expected = graph_decode(probe, color_mode, ratio)
            got = decoding.decode_array(probe, color_mode, ratio)
            assert got.flags["C_CONTIGUOUS"] and got.dtype == np.uint8
            np.testing.assert_array_equal(got, expected, err_msg=f"{rel} ratio {ratio}")
            if color_mode == "rgb":
                padded = decoding.decode_array(probe, color_mode, ratio, pad_rgb=True)
                np.testing.assert_array_equal(padded[..., :3], expected)
                assert (padded[..., 3] == 255).all()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_decode_array_orients_all_eight_exif_cases_like_the_graph(tmp_path, fmt):
    image = noise(24, 40, seed=3)
    for orientation in range(1, 9):
        path = save(str(tmp_path / f"o{orientation}.{fmt.lower()}"), image, fmt=fmt, exif=exif_bytes(orientation))
        probe = decoding.probe_file(path)
        assert probe.orientation == orientation
        for ratio in (1, 2) if fmt == "JPEG" else (1,):
            np.testing.assert_array_equal(
                decoding.decode_array(probe, "rgb", ratio), graph_decode(probe, "rgb", ratio),
                err_msg=f"orientation {orientation} ratio {ratio}",
            )


def test_decode_array_raises_on_undecodable_data(tmp_path):
    path = save(str(tmp_path / "a.jpg"), noise(16, 16), fmt="JPEG")
    probe = decoding.probe_file(path)
    with open(path, "r+b") as f:
        f.truncate(300)  # the header survives, the entropy-coded data does not
    with pytest.raises(ValueError, match="could not decode"):
        decoding.decode_array(probe, "rgb")
    with pytest.raises(ValueError, match="color_mode"):
        decoding.decode_array(probe, "bgr")


@pytest.mark.parametrize(
    "interpolation, head_chunk, group_size",
    # The default chunk holds the whole tree; chunks of 5 (the tree's 17 files and the
    # end sentinel make 4) in groups of 3 or 5 cover padded groups at each chunk's end.
    [("bilinear", None, None), ("nearest", None, None), ("bilinear", 5, 3), ("bilinear", 5, 5)],
)
def test_file_groups_equal_the_per_image_path(clean_tree, monkeypatch, interpolation, head_chunk, group_size):
    if head_chunk is not None:
        monkeypatch.setattr(epochs, "HEAD_CHUNK", head_chunk)
        monkeypatch.setattr(file_groups, "GROUP_SIZE", group_size)
    # RandomBrightness runs per batch, seeded from the epoch key the groups carry.
    aug = lambda: keras_aug.Pipeline(  # noqa: E731
        [keras_aug.RandomFlip("horizontal"), keras_aug.RandomRotation(0.2, interpolation=interpolation),
         keras_aug.RandomZoom(0.3, interpolation=interpolation), keras_aug.RandomBrightness(0.3)]
    )
    kwargs = dict(target_size=(9, 7), batch_size=5, seed=3, interpolation=interpolation, class_mode="sparse",
                  verbose=False)
    grouped = [(x.numpy(), y.numpy()) for x, y in kd.from_directory(clean_tree, augment=aug(), **kwargs)]
    per_image_path(monkeypatch)
    single = [(x.numpy(), y.numpy()) for x, y in kd.from_directory(clean_tree, augment=aug(), **kwargs)]
    assert len(grouped) == len(single) == 4
    for (a, ya), (b, yb) in zip(grouped, single):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ya, yb)


@pytest.mark.parametrize("group_size", [1, 4, 16])
def test_bad_tree_through_file_groups(bad_tree, monkeypatch, group_size):
    # Bad files inside groups of any size (all found while reading: the probe's rejects
    # and the decode failures, a corrupt PNG and a short BMP): every good file, a stand-in
    # per bad file, every bad file reported once by path.
    monkeypatch.setattr(file_groups, "GROUP_SIZE", group_size)
    root, good, bad, max_pixels = bad_tree
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = kd.from_directory(
            root, target_size=(6, 6), batch_size=4, seed=5, max_pixels=max_pixels, augment=never_flip(),
            class_mode="sparse", verbose=False,
        )
        batches = [(x.numpy(), y.numpy()) for x, y in ds]
    images = np.concatenate([x for x, _ in batches])
    labels = np.concatenate([y for _, y in batches])
    shown = assert_good_files_and_stand_ins(images, good, bad)
    # Each image, stand-ins included, carries its own file's label.
    for rel, label in zip(shown, labels):
        assert label == ds.class_indices[rel.split("/")[0]], (rel, label)
    reported = dict(ds.bad_files)
    assert len(reported) == len(bad)
    for rel in ("a/badcrc.png", "b/short.bmp"):
        path = os.path.join(root, rel)
        assert reported[path].startswith("cannot decode"), reported[path]
        assert sum(path in str(w.message) for w in caught) == 1
    # A second epoch neither loses nor re-reports anything.
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        assert_good_files_and_stand_ins(np.concatenate([x for x, _ in ds]), good, bad)
    assert not [w for w in again if "skipping bad image" in str(w.message)]
    assert len(ds.bad_files) == len(bad)


def test_on_bad_file_raise_inside_a_file_group_names_the_file(bad_tree, tmp_path):
    # A corruption only the decoder sees (the header probe passes it): with "raise" the
    # error that stops the iteration names the file.
    root, _, _, _ = bad_tree
    for rel in ("a/badcrc.png", "a/rgb.jpg"):
        data = open(os.path.join(root, rel), "rb").read()
        os.makedirs(tmp_path / "runtime" / "a", exist_ok=True)
        (tmp_path / "runtime" / rel).write_bytes(data)
    ds = kd.from_directory(
        str(tmp_path / "runtime"), target_size=(6, 6), augment=never_flip(), on_bad_file="raise", verbose=False
    )
    assert ds.samples == 2
    with pytest.raises(Exception, match=r"badcrc\.png"):
        list(ds)


def test_a_failing_resample_raises_instead_of_skipping_the_file(clean_tree, monkeypatch):
    def broken(self, image, head_matrix, out=None):
        raise RuntimeError("broken resample")

    monkeypatch.setattr(resample.Resampler, "__call__", broken)
    ds = kd.from_directory(clean_tree, target_size=(4, 4), augment=never_flip(), verbose=False)
    with pytest.raises(tf.errors.UnknownError, match="broken resample"):
        list(ds)
    assert len(ds.bad_files) == 0


def test_loader_skips_the_sentinel_reports_failures_and_fills_them_with_stand_ins(clean_tree, tmp_path):
    paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(clean_tree) for f in fs if f.endswith((".png", ".jpg")))
    probes = decoding.probe_files(paths)
    vanished = decoding.probe_file(save(str(tmp_path / "gone.png"), noise(12, 16), fmt="PNG"))
    os.remove(vanished.path)  # probed fine, gone by the time it is read
    probes.append(vanished)
    gone = len(probes) - 1
    reports = []
    resampler = resample.Resampler((12, 16), (12, 16))
    # The epoch's order: the vanished file sits at position 2, then files 5 and 6.
    order = np.array([1, 0, gone, 5, 6] + [i for i in range(2, gone) if i not in (5, 6)])
    loader = file_groups.FileGroupLoader(
        probes, [1] * len(probes), "rgb", resampler, lambda *r: reports.append(r), order=lambda key: order
    )
    identity = np.tile(np.eye(3, dtype=np.float32), (4, 1, 1))
    images, used = loader(np.array([1, -1, gone, 0]), np.array([0, 17, 2, 1]), np.int64(9), identity)
    # The failed file's slot holds the next file of the epoch's order (position 3: file 5).
    assert used.tolist() == [1, 5, 0]
    assert [path for path, _ in reports] == [vanished.path] and reports[0][1].startswith("cannot decode")
    assert images.shape == (3, 12, 16, 3)
    for image, index in zip(images, used):
        np.testing.assert_array_equal(image, decoding.decode_array(probes[index], "rgb"))
    # Known to fail: reported again (the log dedupes warnings), not read again, never a stand-in.
    images, used = loader(np.array([gone, 4]), np.array([2, 5]), np.int64(9), identity[:2])
    assert used.tolist() == [5, 4] and len(reports) == 2
