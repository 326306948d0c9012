"""Tests written to kill mutants that survived the data area's mutation sample (`tools/mutation.py`).

Each checks a documented behaviour no other test pinned down, against hand-computed values.
"""

import warnings

import numpy as np
import pytest
import tensorflow as tf

import keras_aug.data as kd
from keras_aug.data import decoding
from keras_aug.data import resample
from keras_aug.data import routes

from data_helpers import noise, save


def test_bad_file_log_defaults_to_warning_once_per_path():
    log = decoding.BadFileLog()  # documented default: on_bad_file="warn"
    assert log.on_bad_file == "warn"
    with pytest.warns(UserWarning, match="skipping bad image file 'a.jpg': truncated"):
        log.report("a.jpg", "truncated")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second report of the same path warns nothing
        log.report("a.jpg", "truncated")
    assert log == [("a.jpg", "truncated")]


def test_from_directory_records_its_directory_like_legacy(clean_tree):
    from tf_keras.preprocessing.image import ImageDataGenerator

    legacy = ImageDataGenerator().flow_from_directory(clean_tree, target_size=(8, 8), shuffle=False)
    ds = kd.from_directory(clean_tree, target_size=(8, 8), shuffle=False, verbose=False)
    assert ds.directory == legacy.directory == clean_tree


def test_scan_directory_counts_the_files_of_each_decoder_by_name(tmp_path):
    root = tmp_path / "tree"
    for rel, fmt in [("a/x.jpg", "JPEG"), ("a/y.png", "PNG"), ("b/z.bmp", "BMP"), ("b/w.jpeg", "JPEG")]:
        save(str(root / rel), noise(10, 12), fmt=fmt)
    report = kd.scan_directory(str(root))
    assert report["routes"] == {"tf_jpeg": 2, "tf_png": 1, "pil": 1}
    assert report["files"] == 4 and report["bad"] == [] and report["rotated"] == 0


def test_short_error_keeps_the_human_part_of_any_exception():
    # PIL raises plain exceptions (no `message` attribute): their text is the reason.
    assert decoding.short_error(OSError("image file is truncated")) == "image file is truncated"
    assert decoding.decode_failure(OSError("broken data stream")) == "cannot decode (OSError: broken data stream)"
    tf_error = tf.errors.InvalidArgumentError(None, None, "{{function_node __inference_f_7}} Invalid JPEG data [Op:X]")
    assert decoding.short_error(tf_error) == "Invalid JPEG data"


@pytest.mark.parametrize("axis", [0, 1], ids=["rows", "columns"])
def test_large_shrinks_are_area_averaged_along_each_axis(axis):
    # One-pixel stripes shrunk 7x along one axis: bilinear sampling alone lands on
    # whole pixels (7i + 3) and reads pure black or white; an area average mixes
    # 3-4 stripes of each colour, so no pixel is near 0 or 255.
    stripes = (np.indices((140, 140))[axis] % 2 * 255).astype(np.uint8)[..., None]
    got = resample.Resampler((20, 20), (20, 20), fill_mode="reflect")(stripes, np.eye(3, dtype=np.float32))
    assert got.shape == (20, 20, 1)
    assert 60 < got.min() and got.max() < 195


@pytest.mark.parametrize("changes, route, words", [
    ({"distributable": True}, "graph_only", "distributable=True"),
    ({"head": []}, "graph", "nothing to fuse with the resize"),
    ({"fuse_resize": False}, "graph", "fuse_resize=False"),
    ({"opencv_covers": False}, "graph", "the OpenCV resample does not cover these settings"),
    ({"files": False}, "opencv_per_image", "arrays with leading geometric layers"),
    ({"same_interpolation": False}, "opencv_per_image", "the resize filter differs"),
    ({}, "opencv_groups", "fused with the resize"),
])
def test_each_route_choice_gives_its_own_reason(changes, route, words):
    settings = dict(files=True, head=["a geometric layer"], same_interpolation=True, opencv_covers=True,
                    fuse_resize=True, distributable=False)
    module, reason = routes.choose(**dict(settings, **changes))
    assert module.NAME == route
    assert words in reason
