"""Fixtures that write small image trees into tmp_path (tiny images: the suite stays fast)."""

import io
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from data_helpers import PALETTE, cmyk_jpeg, exif_bytes, noise, save, solid  # noqa: E402
import route_datasets  # noqa: E402


@pytest.fixture(scope="session")
def route_tree(tmp_path_factory):
    """The tree of `route_datasets` (good files, and files that fail), written once."""
    return route_datasets.write_tree(str(tmp_path_factory.mktemp("routes") / "tree"))


@pytest.fixture
def clean_tree(tmp_path):
    """3 classes, 17 files: jpg/png/JPG/jpeg, a nested folder, ignored non-image names.

    Every image is 12x16 (h x w) so pixel values can be compared without resampling.
    """
    root = tmp_path / "clean"
    counts = {"ant": 5, "bee": 7, "cow": 5}
    seed = 0
    for cls, n in counts.items():
        for i in range(n):
            seed += 1
            ext = ["png", "jpg", "PNG", "jpeg", "png"][i % 5]
            fmt = "JPEG" if ext.lower() in ("jpg", "jpeg") else "PNG"
            sub = "nested" if (cls == "bee" and i >= 5) else ""
            save(str(root / cls / sub / f"img_{i:02d}.{ext}"), noise(12, 16, seed=seed), fmt=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    # Not white-listed: ignored by the legacy generator, so by us too.
    (root / "ant" / "notes.txt").write_text("not an image")
    save(str(root / "cow" / "anim.gif"), noise(12, 16, seed=99), fmt="GIF")
    # A file at the top level is not a class.
    save(str(root / "stray.png"), noise(12, 16, seed=98), fmt="PNG")
    return str(root)


@pytest.fixture
def bad_tree(tmp_path):
    """Good files of every kind (each a distinct solid colour) plus every kind of bad file.

    Returns (root, good, bad, max_pixels): `good` maps relative path -> expected RGB
    colour, `bad` maps relative path -> a word the reason must contain.
    """
    root = tmp_path / "mixed"
    good, bad = {}, {}
    colours = iter(PALETTE)

    def add_good(rel, image, fmt, expected, **kwargs):
        save(str(root / rel), image, fmt=fmt, **kwargs)
        good[rel] = expected

    c = next(colours); add_good("a/rgb.jpg", solid(10, 14, c), "JPEG", c, quality=95)
    c = next(colours); add_good("a/rgb.png", solid(10, 14, c), "PNG", c)
    g = 77; add_good("a/gray.png", np.full((10, 14), g, np.uint8), "PNG", (g, g, g))
    g = 177; add_good("a/gray.jpg", np.full((10, 14), g, np.uint8), "JPEG", (g, g, g), quality=95)
    c = next(colours)
    rgba = np.concatenate([solid(10, 14, c), np.full((10, 14, 1), 128, np.uint8)], -1)
    add_good("a/rgba.png", rgba, "PNG", c)
    c = next(colours); add_good("b/palette.png", Image.fromarray(solid(10, 14, c)).convert("P"), "PNG", c)
    c = next(colours); add_good("b/cmyk.jpg", cmyk_jpeg(c), "JPEG", c, quality=95)
    g = 200
    add_good("b/sixteen.png", Image.fromarray(np.full((10, 14), g * 257, np.uint16)), "PNG", (g, g, g))
    c = next(colours); add_good("b/rotated.jpg", solid(10, 14, c), "JPEG", c, quality=95, exif=exif_bytes(6))
    c = next(colours); add_good("b/plain.bmp", solid(10, 14, c), "BMP", c)
    c = next(colours); add_good("b/plain.tiff", solid(10, 14, c), "TIFF", c)

    # ---- bad files ----
    big = solid(120, 100, (1, 2, 3))
    data = io.BytesIO(); Image.fromarray(noise(40, 40, seed=5)).save(data, "JPEG", quality=95)
    jpeg = data.getvalue()
    (root / "a" / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2]); bad["a/truncated.jpg"] = "truncated"
    (root / "a" / "corrupt.jpg").write_bytes(jpeg[:2] + bytes(range(256)) * 4); bad["a/corrupt.jpg"] = "not an image"
    (root / "a" / "empty.png").write_bytes(b""); bad["a/empty.png"] = "empty"
    (root / "b" / "text.jpg").write_text("this is not a jpeg\n" * 20); bad["b/text.jpg"] = "not an image"
    (root / "b" / "vector.png").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>"); bad["b/vector.png"] = "not an image"
    save(str(root / "b" / "float.tif"), Image.fromarray(np.ones((10, 14), np.float32)), fmt="TIFF"); bad["b/float.tif"] = "unsupported"
    save(str(root / "b" / "huge.png"), big, fmt="PNG"); bad["b/huge.png"] = "pixel limit"
    # Corruption the header probe cannot see: PNG pixel data (IDAT) overwritten, file end
    # intact (TF fails while decoding), and a truncated BMP (PIL fails while decoding).
    data = io.BytesIO(); Image.fromarray(noise(20, 20, seed=6)).save(data, "PNG")
    png = bytearray(data.getvalue())
    idat = png.index(b"IDAT")
    png[idat + 10 : idat + 40] = bytes(30)
    (root / "a" / "badcrc.png").write_bytes(bytes(png)); bad["a/badcrc.png"] = "a/badcrc.png"
    data = io.BytesIO(); Image.fromarray(noise(20, 20, seed=7)).save(data, "BMP")
    (root / "b" / "short.bmp").write_bytes(data.getvalue()[:300]); bad["b/short.bmp"] = "b/short.bmp"
    return str(root), good, bad, 10_000


@pytest.fixture(scope="session")
def native_op():
    """The compiled resample op, built (first time on a machine: 10-20 s) and loaded once.

    Fails (does not skip) where it cannot load: the native op is a feature under test.
    """
    from keras_aug.data import native

    loaded = native.load()
    assert loaded.ok, f"the native resample op did not load: {loaded.reason}"
    return loaded.resample
