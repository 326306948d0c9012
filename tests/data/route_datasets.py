"""One small dataset per route, built the same way in the tests and in their subprocesses.

`write_tree(root)` writes 2 classes of small images plus files that fail: a PNG whose
pixel data is corrupt (passes the header probe, fails while decoding: a stand-in takes its
place), a JPEG truncated in the middle with its end marker kept (passes the probe; the
decoders fill the missing part with grey), a zero-byte file and text saved as .jpg (both
rejected by the probe). `build(root, route)` builds the dataset of one route with a seeded
augmentation that has both per-image (geometric) and per-batch (brightness) parts.
"""

import io
import os

import numpy as np
from PIL import Image

import keras_aug
import keras_aug.data as kd

ROUTES = ("opencv_groups", "opencv_per_image", "graph", "graph_only")
RUNTIME_BAD = "b/late.png"  # fails only while decoding


def write_tree(root, per_class=9):
    rng = np.random.default_rng(0)
    for c, cls in enumerate("ab"):
        os.makedirs(os.path.join(root, cls), exist_ok=True)
        for i in range(per_class + c):
            image = rng.integers(0, 255, (12 + i, 16, 3), dtype=np.uint8)
            fmt = "PNG" if i % 3 == 0 else "JPEG"
            Image.fromarray(image).save(os.path.join(root, cls, f"{i:02d}.{fmt.lower()}"), fmt)
    data = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(data, "PNG")
    png = bytearray(data.getvalue())
    idat = png.index(b"IDAT")
    png[idat + 10 : idat + 40] = bytes(30)
    with open(os.path.join(root, RUNTIME_BAD), "wb") as f:
        f.write(bytes(png))
    data = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(data, "JPEG", quality=95)
    jpeg = data.getvalue()
    with open(os.path.join(root, "a", "truncated.jpg"), "wb") as f:
        f.write(jpeg[: len(jpeg) // 2] + b"\xff\xd9")
    open(os.path.join(root, "a", "empty.jpg"), "wb").close()
    with open(os.path.join(root, "b", "text.jpg"), "w") as f:
        f.write("not a jpeg\n" * 10)
    return root


def augment():
    return keras_aug.Pipeline(
        [keras_aug.RandomFlip("horizontal"), keras_aug.RandomZoom(0.2), keras_aug.RandomBrightness(0.2)],
        seed=1,
    )


_SHARED = {}


def shared(root, route):
    """`build(root, route)`, built once per process (tracing the augmentation is the cost)."""
    if (root, route) not in _SHARED:
        _SHARED[root, route] = build(root, route)
    return _SHARED[root, route]


def build(root, route, **kwargs):
    """The dataset of `route` on the tree (asserts that it took that route)."""
    settings = dict(target_size=(10, 10), batch_size=4, seed=11, augment=augment(), verbose=False,
                    on_bad_file="ignore", class_mode="sparse")
    settings.update(
        {
            "opencv_groups": {},
            "opencv_per_image": {"interpolation": "nearest"},
            "graph": {"fuse_resize": False},
            "graph_only": {"distributable": True},
        }[route]
    )
    settings.update(kwargs)
    ds = kd.from_directory(root, **settings)
    assert ds.route.name == route, (ds.route, route)
    return ds
