"""`python -m keras_aug preview` and `scan`, end to end on a generated class-per-folder tree.

Some runs are subprocesses (what a user types, byte-identical PNGs across processes, one
line on stderr), started in the background when this module is collected so that they
overlap the main suite (tests/backend_runs.py); the rest call `main` in-process to keep the
suite fast.
"""

import json
import os
import pathlib
import re
import shutil
import sys

import keras
import numpy as np
import pytest
from PIL import Image

import keras_aug
from keras_aug.__main__ import main
from keras_aug.visualize import draw

import backend_runs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# TensorFlow's native start-up log, which no Python code can silence (absl prints it
# before TF_CPP_MIN_LOG_LEVEL is read): it is not the command's output.
TF_NATIVE_LOG = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] )"
)
PLANTED_BAD = {
    os.path.join("cats", "empty.jpg"): "empty file",
    os.path.join("cats", "notes.png"): "not an image",
    os.path.join("dogs", "truncated.jpg"): "truncated",
}
PLANTED_NOT_LISTED = {os.path.join("dogs", "readme.txt"): "extension", "labels.csv": "not in a class sub-folder"}
PLANTED_DUPLICATES = [
    [os.path.join("cats", "a0.png"), os.path.join("dogs", "copy_of_a0.png")],
    [os.path.join("dogs", "b1.jpg"), os.path.join("dogs", "b1_again.jpg")],
]


def write_tree_and_specs(folder):
    """Writes `folder/tree` and `folder/specs` (see the fixtures); tests/backend_runs.py calls it too."""
    root = os.path.join(folder, "tree")
    _write_tree(pathlib.Path(root))
    os.makedirs(os.path.join(folder, "specs"))
    _write_specs(pathlib.Path(folder) / "specs")


def _write_tree(root):
    rng = np.random.default_rng(0)
    for name in ("cats", "dogs"):
        (root / name).mkdir(parents=True)
    for i in range(4):
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(root / "cats" / f"a{i}.png")
        Image.fromarray(rng.integers(0, 255, (30, 20, 3), dtype=np.uint8)).save(root / "dogs" / f"b{i}.jpg")
    shutil.copy(root / "cats" / "a0.png", root / "dogs" / "copy_of_a0.png")
    shutil.copy(root / "dogs" / "b1.jpg", root / "dogs" / "b1_again.jpg")
    (root / "cats" / "empty.jpg").write_bytes(b"")
    (root / "cats" / "notes.png").write_text("not a picture")
    data = (root / "dogs" / "b2.jpg").read_bytes()
    (root / "dogs" / "truncated.jpg").write_bytes(data[:-100])  # the header is whole, the end is missing
    (root / "dogs" / "readme.txt").write_text("about the dogs")
    (root / "labels.csv").write_text("file,label\n")


def _layers():
    return [keras_aug.RandomFlip("horizontal"), keras_aug.RandomRotation(0.1), keras_aug.RandomZoom(0.2)]


def _write_specs(folder):
    with open(folder / "layers.json", "w") as f:
        json.dump([keras.saving.serialize_keras_object(layer) for layer in _layers()], f)
    model = keras.Sequential([keras.Input((32, 32, 3)), keras_aug.Pipeline(_layers()),
                              keras.layers.Rescaling(1 / 255), keras.layers.Conv2D(2, 3)])
    model.save(folder / "model.keras")
    plain = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3)])
    plain.save(folder / "plain.keras")
    (folder / "my_augment.py").write_text(
        "import keras_aug\n\n"
        "def make():\n"
        "    return keras_aug.Pipeline([keras_aug.RandomFlip('horizontal'), keras_aug.RandomRotation(0.1),\n"
        "                               keras_aug.RandomZoom(0.2)])\n"
    )
    (folder / "unknown2.json").write_text('{"class_name": "Rotate", "config": {}}')


@pytest.fixture(scope="module")
def tree():
    """cats: 4 PNGs 40x48 (+ a duplicate, an empty file, a text file named .png);
    dogs: 4 JPEGs 30x20 (+ duplicates, a truncated JPEG, a .txt); labels.csv at the root.

    The folder the command-line runs in fresh processes use (tests/backend_runs.py): they
    start, in the background, when this module's tests are collected."""
    return pathlib.Path(backend_runs.workdir("cli_scan_json")) / "tree"


@pytest.fixture(scope="module")
def specs():
    """The same pipeline as each spec kind: JSON configs, a .keras model, module:attribute;
    a plain model, and a JSON naming an unknown layer."""
    return pathlib.Path(backend_runs.workdir("cli_scan_json")) / "specs"


def _own_stderr(text):
    return [line for line in text.splitlines() if line.strip() and not TF_NATIVE_LOG.match(line)]


PREVIEW = backend_runs.CLI_PREVIEW[2:]  # ["--seed", "5", "--n", "2", "--images", "3", "--size", "32"]


def test_preview_each_spec_kind_writes_the_same_png_in_separate_processes(tree, specs, tmp_path, monkeypatch,
                                                                          capsys):
    outputs = {}
    # The two kinds that rebuild layers from their configs run as a user types them, each in a
    # fresh process (nothing registered or imported beforehand; started in the background:
    # tests/backend_runs.py); the module kind runs in this process, importing from the working
    # directory as `python -m` does (this process is another process for the comparison below).
    for kind in ("json", "keras"):
        code, out, err, folder = backend_runs.result(f"cli_preview_{kind}", timeout=180)
        assert code == 0, err[-2000:]
        assert f"wrote {kind}.png: 3 images x (original + 2 augmented)" in out
        outputs[kind] = (pathlib.Path(folder) / f"{kind}.png").read_bytes()
    out = tmp_path / "module.png"
    monkeypatch.chdir(specs)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(specs))])
    monkeypatch.delitem(sys.modules, "my_augment", raising=False)
    assert main(["preview", str(tree), "--pipeline", "my_augment:make", "-o", str(out)] + PREVIEW) == 0
    assert f"wrote {out}: 3 images x (original + 2 augmented)" in capsys.readouterr().out
    outputs["module"] = out.read_bytes()
    sys.modules.pop("my_augment", None)
    # The same pipeline and seed: byte-identical PNGs from three processes (two fresh ones and
    # this one) and three spec kinds.
    assert outputs["json"] == outputs["keras"] == outputs["module"]
    picture = np.asarray(Image.open(pathlib.Path(folder) / "json.png"))
    assert picture.shape == (4 + 3 * (32 + draw.text_height() + 4), 4 + 3 * (32 + 4), 3)
    # In this process too, from a file path spec; another seed draws another picture.
    same, other = tmp_path / "same.png", tmp_path / "other.png"
    spec = f"{specs / 'my_augment.py'}:make"
    assert main(["preview", str(tree), "--pipeline", spec, "-o", str(same)] + PREVIEW) == 0
    assert same.read_bytes() == outputs["json"]
    args = ["preview", str(tree), "--pipeline", spec, "-o", str(other)] + PREVIEW
    args[args.index("5")] = "6"
    assert main(args) == 0
    assert other.read_bytes() != outputs["json"]


def test_preview_takes_every_class_in_turn_and_reports_skipped_files(tree, tmp_path, capsys):
    out = tmp_path / "all.png"
    assert main(["preview", str(tree), "-o", str(out), "--images", "20", "--n", "1", "--size", "24",
                 "--seed", "0"]) == 0
    printed = capsys.readouterr().out
    for path, reason in PLANTED_BAD.items():
        assert re.search(re.escape(str(tree / path)) + r": .*" + reason, printed), printed
    good = 4 + 6  # the cats, the dogs (with two copies); not the three bad files
    assert f"{good} images x (original + 1 augmented)" in printed
    picture = np.asarray(Image.open(out))
    assert picture.shape[0] == 4 + good * (24 + draw.text_height() + 4)


def test_preview_of_one_file(tree, tmp_path):
    out = tmp_path / "one.png"
    assert main(["preview", str(tree / "dogs" / "b0.jpg"), "-o", str(out), "--n", "3", "--size", "20",
                 "--seed", "1"]) == 0
    assert np.asarray(Image.open(out)).shape[:2] == (4 + 20 + draw.text_height() + 4, 4 + 4 * 24)


def test_preview_without_arguments_draws_the_built_in_scene_with_its_boxes(tmp_path):
    # The earlier usage, `python -m keras_aug preview --out preview.png`, still works.
    out = tmp_path / "grid.png"
    assert main(["preview", "--out", str(out), "--n", "3", "--size", "48", "--seed", "3"]) == 0
    grid = np.asarray(Image.open(out))
    step = 48 + 4
    tiles = [grid[4:4 + 48, 4 + c * step:4 + c * step + 48].astype(int) for c in range(4)]
    # Per-sample parameters: no two tiles are the same augmentation.
    assert all(np.abs(tiles[i] - tiles[j]).mean() > 1 for i in range(4) for j in range(i + 1, 4))
    for tile in tiles:  # both boxes are drawn in their class colours on every tile
        for colour in draw.PALETTE[:2]:
            assert (tile == colour).all(axis=-1).sum() > 20


@pytest.mark.parametrize(
    "args, message",
    [
        (["preview", "{tree}/nope"], r"IMAGE_OR_DIR .*nope: no such file or directory"),
        (["preview", "{tree}", "--pipeline", "{specs}/missing.json"], r"missing.json: no such file"),
        (["preview", "{tree}", "--pipeline", "{specs}/broken.json"], r"broken.json: not a readable JSON file"),
        (["preview", "{tree}", "--pipeline", "{specs}/unknown.json"], r"unknown layer name 'RandomFlipp' in layer 1"),
        (["preview", "{tree}", "--pipeline", "{specs}/badconfig.json"], r"bad config for RandomZoom in layer 0"),
        (["preview", "{tree}", "--pipeline", "{specs}/garbage.keras"], r"garbage.keras: cannot load the model"),
        (["preview", "{tree}", "--pipeline", "{specs}/plain.keras"], r"no keras_aug augmentation layers"),
        (["preview", "{tree}", "--pipeline", "no_such_module_xyz:make"], r"cannot import 'no_such_module_xyz'"),
        (["preview", "{tree}", "--pipeline", "keras_aug:NoSuchLayer"], r"'keras_aug' has no attribute 'NoSuchLayer'"),
        (["preview", "{tree}", "--pipeline", "layers.yaml"], r"must be a .keras file, a .json file"),
        (["preview", "{tree}", "--n", "0"], r"--n must be a positive integer"),
        (["preview", "--image", "x.png"], r"--image was replaced: pass the image .* as the first argument"),
        (["preview", "{tree}/cats/notes.png"], r"none of its 1 image files could be read"),
        (["scan", "{tree}/nope"], r"DIR .*nope: not a directory"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_status_2(args, message, tree, specs, tmp_path, capsys):
    (specs / "broken.json").write_text("[{")
    (specs / "unknown.json").write_text('[{"class_name": "RandomFlip", "config": {}}, {"class_name": "RandomFlipp"}]')
    (specs / "badconfig.json").write_text('[{"class_name": "RandomZoom", "config": {"height_factor": "big"}}]')
    (specs / "garbage.keras").write_bytes(b"not a zip file")
    args = [a.format(tree=tree, specs=specs) for a in args] + ["-o", str(tmp_path / "x.png")] * (args[0] == "preview")
    assert main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "x.png").exists()


def test_bad_input_in_a_subprocess_has_no_traceback():
    # `python -m keras_aug preview tree --pipeline specs/unknown2.json` (tests/backend_runs.py).
    code, _, err, _ = backend_runs.result("cli_bad_input", timeout=180)
    assert code == 2
    assert "Traceback" not in err
    own = _own_stderr(err)
    assert len(own) == 1 and own[0].startswith("error: --pipeline") and "unknown layer name 'Rotate'" in own[0], own


def test_scan_json_finds_every_planted_file():
    # `python -m keras_aug scan tree --json` (tests/backend_runs.py).
    code, out, err, _ = backend_runs.result("cli_scan_json", timeout=180)
    assert code == 0, err[-2000:]
    report = json.loads(out)  # stdout holds only the JSON; the progress bar is on stderr
    assert "13/13" in err
    assert {s["path"]: s["reason"] for s in report["skipped"]}.keys() == PLANTED_BAD.keys()
    for item in report["skipped"] + report["not_listed"]:
        expected = {**PLANTED_BAD, **PLANTED_NOT_LISTED}[item["path"]]
        assert expected in item["reason"], item
    assert {s["path"] for s in report["not_listed"]} == PLANTED_NOT_LISTED.keys()
    assert [group["files"] for group in report["duplicates"]] == PLANTED_DUPLICATES
    assert [group["classes"] for group in report["duplicates"]] == [["cats", "dogs"], ["dogs"]]
    assert report["classes"] == [
        {"name": "cats", "files": 6, "good": 4, "skipped": 2},
        {"name": "dogs", "files": 7, "good": 6, "skipped": 1},
    ]
    assert (report["files"], report["good"]) == (13, 10)
    assert report["formats"] == {"PNG": 5, "JPEG": 5}  # copy_of_a0.png among the dogs
    assert report["sizes"]["most_common"] == [{"height": 40, "width": 48, "count": 5},
                                              {"height": 30, "width": 20, "count": 5}]
    assert report["sizes"]["height"] == [30, 40] and report["sizes"]["width"] == [20, 48]


def test_scan_shares_the_loaders_check(tree, capsys):
    # The loader's own report of the same tree names the same bad files with the same reasons.
    from keras_aug.data import scan_directory

    assert main(["scan", str(tree)]) == 0
    printed = capsys.readouterr().out
    for path, reason in scan_directory(str(tree))["bad"]:
        assert f"  {os.path.relpath(path, tree)}: {reason}" in printed
    assert "13/13" in printed  # the progress bar
    assert f"{PLANTED_DUPLICATES[0][0]}, {PLANTED_DUPLICATES[0][1]}  <- in different classes" in printed
    for path in PLANTED_NOT_LISTED:
        assert f"  {path}: " in printed
    assert main(["scan", str(tree), "--full"]) == 0
    assert len(scan_directory(str(tree), full=True)["bad"]) == len(PLANTED_BAD)


def test_readme_preview_is_what_its_documented_command_draws(tmp_path):
    # README: "python examples/make_dataset.py ... && python -m keras_aug preview ... -o docs/preview.png".
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        from make_dataset import make_dataset
    finally:
        sys.path.pop(0)
    data = make_dataset(str(tmp_path / "rings_vs_discs"), images_per_class=2, size=150, seed=1, quiet=True)
    out = tmp_path / "preview.png"
    spec = os.path.join(ROOT, "examples", "train_binary_cnn.py") + ":augmentation"
    assert main(["preview", os.path.join(data, "train"), "--pipeline", spec, "--images", "2", "--n", "4",
                 "--size", "128", "--seed", "0", "-o", str(out)]) == 0
    drawn = np.asarray(Image.open(out)).astype(int)
    committed = np.asarray(Image.open(os.path.join(ROOT, "docs", "preview.png"))).astype(int)
    assert drawn.shape == committed.shape
    # Byte-identical here; another CPU may round the warp's floats differently.
    assert np.abs(drawn - committed).mean() < 0.5
