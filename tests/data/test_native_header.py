"""The compiled header-facts op (`KerasAugHeaderFacts`) against the graph's header code
(`graph_header.facts`) and the Python probe, on real files and on damaged headers."""

import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from data_helpers import exif_bytes
from data_helpers import noise
from data_helpers import save
from keras_aug.data import decoding
from keras_aug.data import graph_header
from keras_aug.data import native

TARGETS = [((7, 3), False), ((3, 8), False), ((7, 3), True), ((3, 8), True), ((30, 70), False), ((150, 150), False)]


@pytest.fixture(scope="module")
def facts_op():
    loaded = native.load()
    assert loaded.ok, f"the native op library did not load: {loaded.reason}"
    return loaded.header_facts


def native_facts(op, data, target, keep=False, max_pixels=None):
    out = op(tf.constant(data), target_height=target[0], target_width=target[1], keep_aspect_ratio=keep,
             max_pixels=-1 if max_pixels is None else max_pixels)
    return tuple(int(v) for v in out)


def graph_facts(data, target, keep=False, max_pixels=None):
    return tuple(int(v) for v in graph_header.facts(tf.constant(data), target, keep, max_pixels))


def test_route_constants_match_decoding():
    assert (decoding.ROUTE_TF_JPEG, decoding.ROUTE_TF_PNG) == (0, 1)  # hard-coded in header_op.cc


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("options", [{}, {"dpi": (72, 72)}])  # a JFIF APP0 before the EXIF APP1
def test_exif_files_match_the_graph_and_the_probe(tmp_path, facts_op, orientation, options):
    path = save(str(tmp_path / "x.jpg"), noise(30, 70, seed=orientation), fmt="JPEG", exif=exif_bytes(orientation),
                **options)
    probe = decoding.probe_file(path)
    data = open(path, "rb").read()
    for target, keep in TARGETS:
        got = native_facts(facts_op, data, target, keep)
        assert got == graph_facts(data, target, keep), (target, keep)
        assert got[2] == probe.orientation == orientation and got[0] == probe.route
        assert 1 << got[1] == decoding.dct_ratio(probe, target, keep)


@pytest.mark.parametrize("size", [(1, 1), (17, 9), (400, 260), (1200, 2000)])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "progressive"])
def test_plain_files_and_sizes(tmp_path, facts_op, size, fmt):
    kind = "JPEG" if fmt == "progressive" else fmt
    extra = {"progressive": True} if fmt == "progressive" else {}
    path = save(str(tmp_path / f"x.{kind.lower()}"), noise(*size, seed=1), fmt=kind, **extra)
    data = open(path, "rb").read()
    for target, keep in TARGETS:
        assert native_facts(facts_op, data, target, keep) == graph_facts(data, target, keep), (target, keep)
    pixels = size[0] * size[1]
    assert native_facts(facts_op, data, (5, 5), max_pixels=pixels) == graph_facts(data, (5, 5), max_pixels=pixels)
    for facts in (lambda: native_facts(facts_op, data, (5, 5), max_pixels=pixels - 1),
                  lambda: graph_facts(data, (5, 5), max_pixels=pixels - 1)):
        with pytest.raises(tf.errors.InvalidArgumentError, match="pixel limit"):
            facts()


def test_files_that_are_neither_fail_as_in_the_graph(facts_op):
    for data in [b"not an image", b"", b"\xff\xd8", b"\x89PNG\r\n", b"GIF89a" + bytes(20)]:
        for facts in (lambda: native_facts(facts_op, data, (5, 7)), lambda: graph_facts(data, (5, 7))):
            with pytest.raises(tf.errors.InvalidArgumentError, match="needs PIL"):
                facts()


def _exif_jpeg(orientation, seed):
    buffer = io.BytesIO()
    Image.fromarray(noise(40, 60, seed=seed)).save(buffer, format="JPEG", exif=exif_bytes(orientation))
    return buffer.getvalue()


def test_damaged_headers_never_lose_what_the_graph_reads(facts_op):
    # Random bytes overwritten in the first 200 (markers, EXIF block, frame header):
    # where the graph's header code reads facts, the op reads the same ones; where the
    # graph fails (libjpeg refuses the header) the op may still read a size (the file
    # then fails at decoding: a bad file either way).
    rng = np.random.default_rng(0)
    base = [_exif_jpeg(o, o) for o in (1, 3, 6, 8)]
    agreed = 0
    for trial in range(300):
        data = bytearray(base[trial % len(base)])
        for _ in range(rng.integers(1, 4)):
            data[rng.integers(3, 200)] = rng.integers(0, 256)
        data = bytes(data)
        try:
            want = graph_facts(data, (10, 12))
        except tf.errors.InvalidArgumentError:
            continue
        assert native_facts(facts_op, data, (10, 12)) == want, trial
        agreed += 1
    assert agreed > 100


def test_the_route_reads_the_same_facts_with_the_op_as_with_the_graph(tmp_path, facts_op):
    # graph_resampler="native" reads the header facts with the op, "xla" with graph_header:
    # the same files come out (EXIF orientations 1-8 on non-square JPEGs, DCT-scaled ones,
    # PNGs) and the same ones fail (truncated, corrupt, empty), to the resamplers' level.
    import route_datasets
    import keras_aug.data as kd

    root = route_datasets.write_tree(str(tmp_path / "tree"))
    for o in range(1, 9):
        save(str(tmp_path / "tree" / "a" / f"exif{o}.jpg"), noise(9 + 8 * o, 40, seed=o), fmt="JPEG",
             exif=exif_bytes(o))
    save(str(tmp_path / "tree" / "b" / "large.jpg"), noise(300, 200, seed=9), fmt="JPEG")  # decoded at 1/8
    images = {}
    for kind in ("native", "xla"):
        ds = kd.from_directory(root, target_size=(12, 10), batch_size=None, seed=3, augment=route_datasets.augment(),
                               distributable=True, graph_resampler=kind, verbose=False, on_bad_file="ignore")
        assert ds.route.resampler == kind
        images[kind] = np.stack([np.asarray(x) for x, _ in ds])
    diff = np.abs(images["native"].astype(float) - images["xla"].astype(float))
    assert images["native"].shape == images["xla"].shape and diff.max() <= 1.0 + 1e-3, diff.max()
