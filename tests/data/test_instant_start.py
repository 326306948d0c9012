"""Instant start: building a dataset opens no image file; the pipeline finds bad files.

The tree is 20,000 hard links to a few small images (the issue's size). Every way Python
code here can open a file is patched to record the path (`open`, `io.open`, `os.open`,
`PIL.Image.open`, `cv2.imread`, `tf.io.read_file`, `tf.io.gfile.GFile`); building the
dataset, on every route, must record no file of the tree, and the first batch must.
"""

import builtins
import io
import os

import cv2
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import keras_aug
import keras_aug.data as kd
from keras_aug.data import decoding
from keras_aug.data import graph_header

from data_helpers import exif_bytes, noise, save

FILES = 20_000
SETTINGS = {
    "opencv_groups": {},
    "opencv_per_image": {"interpolation": "nearest"},
    "graph": {"fuse_resize": False},
    "graph_only": {"distributable": True},
}


@pytest.fixture(scope="module")
def link_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("links") / "tree"
    sources = []
    for i, fmt in enumerate(["JPEG", "PNG", "JPEG"]):
        sources.append(save(str(root / f"src{i}.{fmt.lower()}"), noise(12, 16, seed=i), fmt=fmt))
    for i in range(FILES):
        folder = root / "ab"[i % 2]
        folder.mkdir(exist_ok=True)
        source = sources[i % len(sources)]
        os.link(source, folder / f"{i:05d}{os.path.splitext(source)[1]}")
    return str(root)


class OpenRecorder:
    """Records every path under `root` that the patched openers are asked to open."""

    def __init__(self, monkeypatch, root):
        self.root = os.path.realpath(root)
        self.opened = []
        for owner, name in [
            (builtins, "open"), (io, "open"), (os, "open"), (Image, "open"), (cv2, "imread"),
            (tf.io, "read_file"), (tf.io.gfile, "GFile"),
        ]:
            monkeypatch.setattr(owner, name, self._recording(getattr(owner, name)))

    def _recording(self, opener):
        def recorded(path, *args, **kwargs):
            if isinstance(path, (str, bytes, os.PathLike)):
                text = os.fsdecode(path) if not isinstance(path, str) else path
                if os.path.realpath(text).startswith(self.root):
                    self.opened.append(text)
            return opener(path, *args, **kwargs)

        return recorded


def augment():
    return keras_aug.Pipeline([keras_aug.RandomFlip("horizontal"), keras_aug.RandomZoom(0.2)], seed=3)


@pytest.mark.parametrize("route", list(SETTINGS))
def test_building_opens_no_image_file(link_tree, monkeypatch, route):
    recorder = OpenRecorder(monkeypatch, os.path.join(link_tree, "a"))
    ds = kd.from_directory(
        link_tree, target_size=(8, 8), batch_size=4, seed=1, augment=augment(), verbose=False,
        classes=["a", "b"], **SETTINGS[route],
    )
    assert ds.route.name == route
    assert recorder.opened == []
    assert len(ds) == FILES // 4 and ds.samples == FILES
    if route != "graph_only":  # tf.io.read_file there runs in the graph, past any patch
        x, _ = next(iter(ds))
        assert x.shape == (4, 8, 8, 3) and recorder.opened


def test_bad_files_are_found_while_reading_with_their_reasons(tmp_path):
    root = tmp_path / "t"
    save(str(root / "c" / "good.jpg"), noise(12, 16), fmt="JPEG")
    (root / "c" / "empty.jpg").write_bytes(b"")
    (root / "c" / "text.png").write_text("not an image")
    ds = kd.from_directory(str(root), target_size=(4, 4), batch_size=None, seed=0, on_bad_file="ignore",
                           verbose=False)
    assert ds.samples == 3 and len(ds.bad_files) == 0  # nothing read yet
    images = [x.numpy() for x, _ in ds]
    assert len(images) == 3  # two stand-ins: copies of the one good file
    assert all(np.array_equal(images[0], x) for x in images)
    reasons = dict((os.path.basename(p), r) for p, r in ds.bad_files)
    assert set(reasons) == {"empty.jpg", "text.png"}
    assert "empty" in reasons["empty.jpg"] and "not an image" in reasons["text.png"]


def test_on_bad_file_raise_raises_while_reading_naming_the_file(tmp_path):
    root = tmp_path / "t"
    save(str(root / "c" / "good.jpg"), noise(12, 16), fmt="JPEG")
    (root / "c" / "zero.jpg").write_bytes(b"")
    ds = kd.from_directory(str(root), target_size=(4, 4), on_bad_file="raise", verbose=False)
    with pytest.raises(Exception, match=r"zero\.jpg"):
        list(ds)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("options", [{}, {"dpi": (72, 72)}])  # with a JFIF APP0 before the EXIF APP1
def test_graph_header_reads_what_the_python_probe_reads(tmp_path, orientation, options):
    path = save(str(tmp_path / "x.jpg"), noise(30, 70, seed=orientation), fmt="JPEG", exif=exif_bytes(orientation),
                **options)
    probe = decoding.probe_file(path)
    data = tf.io.read_file(path)
    for target, keep in [((7, 3), False), ((3, 8), False), ((7, 3), True), ((3, 8), True), ((30, 70), False)]:
        route, ratio_index, got_orientation = graph_header.facts(data, target, keep)
        assert int(got_orientation) == probe.orientation == orientation
        assert int(route) == probe.route
        assert 1 << int(ratio_index) == decoding.dct_ratio(probe, target, keep), (target, keep)


def test_graph_header_on_files_without_exif_and_not_jpeg(tmp_path):
    plain = save(str(tmp_path / "p.jpg"), noise(10, 14), fmt="JPEG")
    png = save(str(tmp_path / "p.png"), noise(10, 14), fmt="PNG")
    for path in (plain, png):
        route, ratio_index, orientation = graph_header.facts(tf.io.read_file(path), (5, 7))
        assert (int(route), int(orientation)) == (decoding.probe_file(path).route, 1)
    assert graph_header.stored_size(tf.io.read_file(png), graph_header.file_route(tf.io.read_file(png))).numpy().tolist() == [10, 14]
    with pytest.raises(tf.errors.InvalidArgumentError, match="needs PIL"):
        graph_header.facts(tf.constant(b"not an image"), (5, 7))
    with pytest.raises(tf.errors.InvalidArgumentError, match="pixel limit"):
        graph_header.facts(tf.io.read_file(png), (5, 7), max_pixels=100)
