"""Bad files, colour conversions and EXIF orientation."""

import os
import re
import warnings

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from PIL import ImageOps

import keras_aug.data as kd
from keras_aug.data import decoding

from data_helpers import assert_good_files_and_stand_ins, exif_bytes, noise, save


def one_epoch(ds):
    xs = [x.numpy() for x, _ in ds]
    return np.concatenate(xs) if xs else np.zeros((0,))


def test_bad_tree_yields_every_good_file_and_a_stand_in_per_decode_failure(bad_tree):
    root, good, bad, max_pixels = bad_tree
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = kd.from_directory(
            root, target_size=(6, 6), batch_size=4, seed=5, max_pixels=max_pixels, verbose=False
        )
        images = one_epoch(ds)
    # By content: each good file is a distinct solid colour.
    assert_good_files_and_stand_ins(images, good, bad)
    assert len(images) == ds.samples == len(good) + len(bad)
    # Every bad file: named in a warning once, counted, with its reason.
    messages = [str(w.message) for w in caught]
    reported = dict(ds.bad_files)
    assert len(ds.bad_files) == len(bad)
    for rel, word in bad.items():
        path = os.path.join(root, rel)
        assert path in reported, rel
        assert word in (reported[path] + " " + path), (rel, reported[path])
        assert sum(path in m for m in messages) == 1, rel
    # A second epoch neither loses nor re-reports anything.
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        assert_good_files_and_stand_ins(one_epoch(ds), good, bad)
    assert not [w for w in again if "skipping bad image" in str(w.message)]
    assert len(ds.bad_files) == len(bad)


def test_on_bad_file_raise_names_the_file(bad_tree):
    root, _, bad, max_pixels = bad_tree
    # Nothing is read when the dataset is built; the first bad file read stops the epoch.
    ds = kd.from_directory(root, on_bad_file="raise", max_pixels=max_pixels, verbose=False)
    with pytest.raises(Exception, match="|".join(re.escape(os.path.basename(rel)) for rel in bad)):
        one_epoch(ds)


def test_on_bad_file_raise_at_decode_time_names_the_file(tmp_path):
    # A corruption only the decoder sees: the error that stops iteration names the file.
    import io

    data = io.BytesIO(); Image.fromarray(noise(20, 20, seed=6)).save(data, "PNG")
    png = bytearray(data.getvalue())
    idat = png.index(b"IDAT")
    png[idat + 10 : idat + 40] = bytes(30)
    save(str(tmp_path / "t" / "c" / "good.png"), noise(8, 8), fmt="PNG")
    (tmp_path / "t" / "c" / "late.png").write_bytes(bytes(png))
    ds = kd.from_directory(str(tmp_path / "t"), target_size=(4, 4), on_bad_file="raise", verbose=False)
    with pytest.raises(Exception, match=r"late\.png"):
        one_epoch(ds)


def test_on_bad_file_ignore_is_silent_but_counts(bad_tree):
    root, good, bad, max_pixels = bad_tree
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = kd.from_directory(root, target_size=(4, 4), on_bad_file="ignore", max_pixels=max_pixels, verbose=False)
        assert len(one_epoch(ds)) == len(good) + len(bad)
    assert not [w for w in caught if "skipping bad image" in str(w.message)]
    assert len(ds.bad_files) == len(bad)


@pytest.mark.parametrize("color_mode, channels", [("grayscale", 1), ("rgb", 3), ("rgba", 4)])
def test_every_good_kind_converts_to_color_mode(bad_tree, color_mode, channels):
    root, good, bad, max_pixels = bad_tree
    ds = kd.from_directory(
        root, target_size=(5, 5), color_mode=color_mode, max_pixels=max_pixels, on_bad_file="ignore", verbose=False
    )
    images = one_epoch(ds)
    assert images.shape == (len(good) + len(bad), 5, 5, channels)
    if color_mode == "rgba":
        # Files without alpha get an opaque channel; the RGBA PNG keeps its 128.
        assert sorted(set(np.round(images[..., 3].mean(axis=(1, 2))).astype(int))) == [128, 255]


def _oriented_reference(path):
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"), dtype=np.float32)


def test_exif_orientation_matches_pil_exif_transpose(tmp_path):
    # PNG carries EXIF too and decodes losslessly: an exact comparison of all 8 cases,
    # through the graph op (all 8) and through a whole pipeline (a transposing one).
    image = noise(6, 10, seed=1)
    for orientation in range(1, 9):
        path = save(str(tmp_path / f"o{orientation}.png"), image, fmt="PNG", exif=exif_bytes(orientation))
        ref = _oriented_reference(path)
        got = decoding.orient(tf.constant(image), tf.constant(orientation)).numpy()
        np.testing.assert_array_equal(got, ref.astype(np.uint8), err_msg=f"orientation {orientation}")
    path = save(str(tmp_path / "tree" / "x" / "img.png"), image, fmt="PNG", exif=exif_bytes(7))
    ref = _oriented_reference(path)
    ds = kd.from_directory(
        str(tmp_path / "tree"), target_size=ref.shape[:2], batch_size=1, interpolation="nearest", verbose=False
    )
    (x, _), = list(ds)
    np.testing.assert_array_equal(x.numpy()[0], ref)


@pytest.mark.parametrize("ext, fmt", [("jpg", "JPEG"), ("tiff", "TIFF")])
def test_exif_rotated_files_on_both_routes(tmp_path, ext, fmt):
    # JPEG: TF route (orientation applied in the graph); TIFF: PIL route.
    path = save(
        str(tmp_path / "o" / "x" / f"img.{ext}"), noise(8, 16, seed=2), fmt=fmt, exif=exif_bytes(6),
        **({"quality": 95} if fmt == "JPEG" else {}),
    )
    ref = _oriented_reference(path)
    assert ref.shape[:2] == (16, 8)
    ds = kd.from_directory(str(tmp_path / "o"), target_size=(16, 8), batch_size=1, verbose=False)
    (x, _), = list(ds)
    np.testing.assert_array_equal(x.numpy()[0], ref)


def test_probe_routes_and_reasons(bad_tree):
    root, good, bad, max_pixels = bad_tree
    probes = {rel: decoding.probe_file(os.path.join(root, rel), max_pixels) for rel in list(good) + list(bad)}
    assert probes["a/rgb.jpg"].route == decoding.ROUTE_TF_JPEG
    assert probes["a/gray.png"].route == decoding.ROUTE_TF_PNG
    assert probes["b/sixteen.png"].route == decoding.ROUTE_TF_PNG
    assert probes["b/cmyk.jpg"].route == decoding.ROUTE_PIL
    assert probes["b/rotated.jpg"].orientation == 6
    assert probes["b/rotated.jpg"].display_size == (14, 10)
    for rel in good:
        assert probes[rel].ok, rel
    # The decode-time failures pass the header probe (they are caught in the pipeline).
    assert probes["a/badcrc.png"].ok and probes["b/short.bmp"].ok
    for rel in ("a/truncated.jpg", "a/corrupt.jpg", "a/empty.png", "b/text.jpg", "b/float.tif", "b/huge.png"):
        assert not probes[rel].ok and bad[rel] in probes[rel].reason


def test_jpeg_with_trailing_bytes_is_not_lost(tmp_path):
    # Some cameras append data after EOI: the tail check fails, the confirming decode
    # succeeds, the file is kept.
    path = save(str(tmp_path / "t" / "x" / "a.jpg"), noise(8, 8), fmt="JPEG")
    with open(path, "ab") as f:
        f.write(os.urandom(4096).replace(b"\xff\xd9", b"\x00\x00"))
    assert decoding.probe_file(path).ok
    ds = kd.from_directory(str(tmp_path / "t"), target_size=(8, 8), verbose=False)
    assert len(one_epoch(ds)) == 1 and len(ds.bad_files) == 0


@pytest.mark.parametrize(
    "size, target, keep, expected",
    [((800, 600), (100, 100), False, 4), ((800, 600), (75, 75), False, 8), ((100, 100), (64, 64), False, 1),
     ((800, 200), (100, 100), True, 2), ((200, 800), (100, 100), False, 2)],
)
def test_dct_ratio(size, target, keep, expected):
    probe = decoding.Probe(path="x", format="JPEG", width=size[1], height=size[0])
    assert decoding.dct_ratio(probe, target, keep) == expected


def test_reduced_dct_decode_matches_pil_draft(tmp_path):
    # A big JPEG is decoded at 1/4 scale in the graph; the result equals PIL's draft decode.
    yy, xx = np.mgrid[0:96, 0:128]
    img = np.stack([yy * 2, xx * 2, (yy + xx)], -1).astype(np.uint8)
    path = save(str(tmp_path / "b" / "x" / "big.jpg"), img, fmt="JPEG", quality=95)
    probe = decoding.probe_file(path)
    assert decoding.dct_ratio(probe, (24, 32)) == 4
    ref = decoding.pil_decode(path, "rgb", ratio=4)
    assert ref.shape == (24, 32, 3)
    ds = kd.from_directory(str(tmp_path / "b"), target_size=(24, 32), batch_size=1, verbose=False)
    (x, _), = list(ds)
    np.testing.assert_array_equal(x.numpy()[0], ref.astype(np.float32))


def test_pil_decode_defaults_to_full_size_rgb(tmp_path):
    # A palette PNG: without arguments, PIL's own RGB conversion at full size.
    path = save(str(tmp_path / "p.png"), Image.fromarray(noise(6, 10)).convert("P"))
    with Image.open(path) as im:
        expected = np.asarray(im.convert("RGB"))
    np.testing.assert_array_equal(decoding.pil_decode(path), expected)


@pytest.mark.parametrize("full", [False, True])
def test_scan_directory(bad_tree, full):
    root, good, bad, max_pixels = bad_tree
    report = kd.scan_directory(root, max_pixels=max_pixels, full=full)
    assert report["files"] == len(good) + len(bad)
    found = {path for path, _ in report["bad"]}
    runtime_only = {os.path.join(root, "a/badcrc.png"), os.path.join(root, "b/short.bmp")}
    expected = {os.path.join(root, rel) for rel in bad}
    assert found == (expected if full else expected - runtime_only)
    assert report["rotated"] == 1
    assert sum(report["routes"].values()) == len(good) + (0 if full else len(runtime_only))


def test_decoder_branch_is_the_same_in_python_and_in_the_graph():
    cases = [(decoding.ROUTE_TF_JPEG, r) for r in range(4)] + [(decoding.ROUTE_TF_PNG, 0), (decoding.ROUTE_PIL, 0), (-1, 0)]
    expected = [0, 1, 2, 3, decoding.BRANCH_PNG, decoding.BRANCH_PIL, decoding.BRANCH_BAD]
    assert [decoding.decoder_branch(route, ratio) for route, ratio in cases] == expected
    graph = [int(decoding.decoder_branch(tf.constant(route), tf.constant(ratio))) for route, ratio in cases]
    assert graph == expected


def test_graph_decoder_sentinel_and_rejected_branches(tmp_path):
    decode = decoding.make_graph_decoder("rgb", None)
    index = tf.constant(0, tf.int64)
    # The sentinel opens no file: a path that does not exist still gives the 1x1 zeros.
    missing = tf.constant(str(tmp_path / "missing.jpg"))
    none = decode(missing, tf.constant(decoding.BRANCH_NONE), tf.constant(1), index).numpy()
    np.testing.assert_array_equal(none, np.zeros((1, 1, 3), np.uint8))
    path = str(tmp_path / "ok.jpg")
    save(path, noise(8, 8))
    for branch, reason in ((decoding.BRANCH_BAD, "rejected by the header probe"), (decoding.BRANCH_PIL, "needs PIL")):
        with pytest.raises(tf.errors.InvalidArgumentError, match=reason):
            decode(tf.constant(path), tf.constant(branch), tf.constant(1), index)
    # An orientation other than 1 is applied (6: rotate 90 clockwise), 1 leaves the pixels.
    plain = decode(tf.constant(path), tf.constant(0), tf.constant(1), index).numpy()
    rotated = decode(tf.constant(path), tf.constant(0), tf.constant(6), index).numpy()
    np.testing.assert_array_equal(plain, tf.io.decode_jpeg(tf.io.read_file(path), dct_method="INTEGER_ACCURATE").numpy())
    np.testing.assert_array_equal(rotated, np.rot90(plain, -1))


def test_graph_constant_is_made_once_per_traced_graph_value_and_dtype():
    made = {}

    @tf.function(autograph=False)
    def traced():
        c = decoding.graph_constant
        made["first"] = [c(3), c(3, tf.int64), c([2, 4]), c(b"Exif", tf.string)]
        made["again"] = [c(3), c(3, tf.int64), c([2, 4]), c(b"Exif", tf.string)]
        made["graph"] = tf.compat.v1.get_default_graph()
        return c(3) + c(4)

    assert int(traced()) == 7
    first, again = made["first"], made["again"]
    assert all(a is b for a, b in zip(first, again))  # the same ops, not copies
    assert first[0] is not first[1] and first[0].dtype == tf.int32 and first[1].dtype == tf.int64
    assert [op.type for op in made["graph"].get_operations()].count("Const") == 5  # 3, 3 (int64), [2, 4], b"Exif", 4
    # Another graph gets its own constants (an op of one graph cannot feed another's).
    made_before = first[0]

    @tf.function(autograph=False)
    def other():
        made["other"] = decoding.graph_constant(3)
        return made["other"]

    assert int(other()) == 3 and made["other"] is not made_before
