"""Bad files among good ones, a good file first: every good file, by identity, and stand-ins.

The shared bad-file tree lists a corrupt file first, so a loader that lost "the first
file" would lose a file that is dropped anyway. Here good files open each class folder
and the listing, bad files (rejected by the header probe, or failing only while decoding;
all found while reading) sit between them, and each good file is a distinct solid colour, so an output image names its file.
"""

import io
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import keras_aug
import keras_aug.data as kd

from data_helpers import PALETTE, noise, save, solid


@pytest.fixture
def good_first_tree(tmp_path):
    """Returns (root, good: relative path -> colour, bad: relative paths)."""
    root = tmp_path / "good_first"
    colours = iter(PALETTE)
    good, bad = {}, []
    for rel, fmt in [("a/00_first.png", "PNG"), ("a/02_good.jpg", "JPEG"), ("a/04_good.png", "PNG"),
                     ("b/00_first.png", "PNG"), ("b/02_good.bmp", "BMP"), ("b/04_last.png", "PNG")]:
        colour = next(colours)
        save(str(root / rel), solid(10, 14, colour), fmt=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
        good[rel] = colour
    # Seen only while decoding (the header probe passes them): PNG pixel data zeroed, a BMP cut short.
    data = io.BytesIO()
    Image.fromarray(noise(20, 20, seed=6)).save(data, "PNG")
    png = bytearray(data.getvalue())
    idat = png.index(b"IDAT")
    png[idat + 10:idat + 40] = bytes(30)
    (root / "a" / "01_badcrc.png").write_bytes(bytes(png))
    data = io.BytesIO()
    Image.fromarray(noise(20, 20, seed=7)).save(data, "BMP")
    (root / "b" / "03_short.bmp").write_bytes(data.getvalue()[:300])
    # Seen by the probe: empty, and text named .jpg.
    (root / "a" / "03_empty.png").write_bytes(b"")
    (root / "b" / "01_text.jpg").write_text("not a jpeg\n" * 20)
    bad = ["a/01_badcrc.png", "a/03_empty.png", "b/01_text.jpg", "b/03_short.bmp"]
    return str(root), good, bad


def never_flip():
    """A geometric layer that never fires: the fused (file-group) route, identity matrices."""
    layer = keras_aug.RandomFlip("horizontal")
    layer.sample = lambda shape, draws: {
        k: tf.zeros_like(v) for k, v in type(layer).sample(layer, shape, draws).items()
    }
    return layer


@pytest.mark.parametrize("augment", [None, never_flip], ids=["graph_route", "file_group_route"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_every_good_file_once_when_bad_files_sit_between_good_ones(good_first_tree, augment, shuffle):
    root, good, bad = good_first_tree
    with pytest.warns(UserWarning):
        ds = kd.from_directory(root, target_size=(10, 14), batch_size=3, shuffle=shuffle, seed=1,
                               augment=augment and augment(), class_mode="sparse", verbose=False)
        batches = [(x.numpy(), y.numpy()) for x, y in ds]
    images = np.concatenate([x for x, _ in batches])
    labels = np.concatenate([y for _, y in batches])
    files = []
    for image, label in zip(images, labels):
        colour = np.round(image.mean(axis=(0, 1)))
        rel = min(good, key=lambda r: np.abs(colour - good[r]).max())
        assert np.abs(colour - good[rel]).max() <= 3, (colour, rel)  # a good file's colour, not a stand-in
        assert np.ptp(image, axis=(0, 1)).max() <= 6  # solid: not a blend of files
        assert label == ds.class_indices[rel.split("/")[0]], (rel, label)
        files.append(rel)
    # An exact epoch: each bad file is replaced by a stand-in, the next good element of
    # the epoch.
    assert len(files) == len(good) + len(bad)
    assert set(files) == set(good)
    assert sum(files.count(rel) - 1 for rel in good) == len(bad)
    if not shuffle:  # listing order kept, each stand-in where its file was
        assert files == ["a/00_first.png", "a/02_good.jpg", "a/02_good.jpg", "a/04_good.png", "a/04_good.png",
                         "b/00_first.png", "b/02_good.bmp", "b/02_good.bmp", "b/04_last.png", "b/04_last.png"]
    assert sorted(os.path.relpath(path, root) for path, _ in ds.bad_files) == bad
