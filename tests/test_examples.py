"""The examples run end to end (tiny settings, in a subprocess).

The training example's run starts in the background when this test is collected
(tests/backend_runs.py: `example_binary_cnn`, with `EXAMPLE_ARGS`), so that it
overlaps the main suite; the test checks what it printed and wrote.
"""

import os
import re
import sys

import backend_runs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# What a user would take for a bug in the main job's output (issue 13).
SHUFFLE_WARNING = "`shuffle=True` was passed, but will be ignored"
UNKNOWN_STEPS = re.compile(r"\d+/Unknown")
RAN_OUT_OF_DATA = "Your input ran out of data"


def test_train_binary_cnn_tiny():
    code, out, err, workdir = backend_runs.result("example_binary_cnn", timeout=240)
    assert code == 0, out[-3000:] + err[-3000:]
    # backend_runs.EXAMPLE_ARGS: 2 epochs, 8 images per class, 48x48, batches of 8.
    run = os.path.join(workdir, "run")
    everything = out + err
    assert SHUFFLE_WARNING not in everything, everything[-3000:]
    assert "Found 16 images belonging to 2 classes." in out
    assert "Comparison: each model at its best epoch by validation accuracy (weights restored" in out, out
    for name in ("with augmentation", "without augmentation"):
        match = re.search(
            rf"validation accuracy {name}: ([01]\.\d{{3}}) \(best epoch ([12])/2, weights restored; "
            rf"mean of the last 2 epochs ([01]\.\d{{3}});",
            out,
        )
        assert match, out
    match = re.search(r"reloaded in a fresh process: max \|served - predict\| = (\S+) \(OK\)", out)
    assert match and float(match.group(1)) <= 1e-5, out
    assert os.path.exists(os.path.join(run, "serving", "saved_model.pb"))
    # The built-in data set: two classes, training and validation splits.
    for split in ("train", "validation"):
        for name in ("discs", "rings"):
            assert os.listdir(os.path.join(run, "rings_vs_discs", split, name))
    # Datasets of known length (keras_aug.data, issue 11): every epoch shows 2/2 steps
    # from its first step, and Keras never runs out of data.
    assert not UNKNOWN_STEPS.search(everything), UNKNOWN_STEPS.search(everything).group(0)
    assert RAN_OUT_OF_DATA not in everything, everything[-3000:]
    steps = re.findall(r"(?<!Epoch )(?<![\d/])(\d+)/(\d+)(?![\d/])", out)
    assert ("2", "2") in steps and all(total == "2" for _, total in steps), steps


def test_make_dataset_is_deterministic_and_cached(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        from make_dataset import make_dataset
    finally:
        sys.path.pop(0)
    a = make_dataset(str(tmp_path / "a"), images_per_class=2, size=32, quiet=True)
    b = make_dataset(str(tmp_path / "b"), images_per_class=2, size=32, quiet=True)
    files = sorted(os.listdir(os.path.join(a, "train", "rings")))
    assert files == ["ring.0000.jpg", "ring.0001.jpg"]
    for name in files:
        with open(os.path.join(a, "train", "rings", name), "rb") as fa, open(os.path.join(b, "train", "rings", name), "rb") as fb:
            assert fa.read() == fb.read()
    mtime = os.path.getmtime(os.path.join(a, "train", "rings", files[0]))
    make_dataset(str(tmp_path / "a"), images_per_class=2, size=32, quiet=True)  # cached: not rewritten
    assert os.path.getmtime(os.path.join(a, "train", "rings", files[0])) == mtime
