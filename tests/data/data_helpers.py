"""Image-writing helpers for the data tests (imported by conftest and the tests)."""

import os

import numpy as np
from PIL import Image

# Distinct solid colours: every good file in the bad-file tree is one of these, so the
# content of an output image tells which file it came from.
PALETTE = [
    (230, 20, 20), (20, 230, 20), (20, 20, 230), (230, 230, 20), (20, 230, 230),
    (230, 20, 230), (120, 60, 10), (10, 120, 60), (60, 10, 120), (200, 200, 200),
    (90, 90, 90), (160, 100, 220),
]


def save(path, array_or_image, fmt=None, **kwargs):
    """Writes an image (uint8 array or PIL image) creating parent folders."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img = array_or_image if isinstance(array_or_image, Image.Image) else Image.fromarray(array_or_image)
    img.save(path, format=fmt, **kwargs)
    return path


def noise(h, w, c=3, seed=0):
    """A smooth-ish random image (a blurred gradient plus noise), uint8 [h, w, c]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = (yy * 255 / max(h - 1, 1))[..., None] * np.linspace(0.2, 1.0, c) + (xx * 255 / max(w - 1, 1))[..., None] * np.linspace(1.0, 0.2, c)
    img = base / 2 + rng.normal(0, 10, (h, w, c))
    img = np.clip(img, 0, 255).astype(np.uint8)
    return img if c > 1 else img[..., 0]


def solid(h, w, colour):
    return np.full((h, w, 3), colour, dtype=np.uint8)


def exif_bytes(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def cmyk_jpeg(colour):
    r, g, b = [v / 255 for v in colour]
    k = 1 - max(r, g, b)
    c, m, y = [(1 - v - k) / (1 - k) if k < 1 else 0 for v in (r, g, b)]
    arr = np.full((10, 14, 4), [c * 255, m * 255, y * 255, k * 255], dtype=np.uint8)
    return Image.fromarray(arr, mode="CMYK")


def assert_good_files_and_stand_ins(images, good, bad, tolerance=3):
    """One epoch of the bad tree: every good file at least once, plus one stand-in (a copy
    of a good file) per bad file (all are found while reading: the dataset opens no file
    before the first batch), so the epoch keeps its length.

    Returns the good file (relative path) each image shows.
    """
    colours = np.round(np.asarray(images).mean(axis=(1, 2))).astype(int)
    assert len(colours) == len(good) + len(bad), (len(colours), len(good), len(bad))
    shown = [min(good, key=lambda rel: np.abs(c - good[rel]).max()) for c in colours]
    for colour, rel in zip(colours, shown):
        assert np.abs(colour - good[rel]).max() <= tolerance, (colour, rel, good[rel])
    assert set(shown) == set(good)
    return shown
