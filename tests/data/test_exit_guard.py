"""A script that ends with an unfinished iterator exits cleanly (keras_aug.data.exit_guard).

Without the exit gate, tf.data threads still inside the default route's Python callbacks
(OpenCV loader, matrix sampler) ask for the GIL while Python finalizes: the process
aborts ("terminate called without an active exception", exit code 134) or hangs. It is
intermittent (without the gate, 7 of 8 runs of this script failed on a loaded 2-core
machine), so the script runs in two processes at once.
"""

import os
import subprocess
import sys

import pytest
import tensorflow as tf

from data_helpers import noise, save
from keras_aug.data import exit_guard

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNS = 2
FILES_PER_CLASS = 1000  # enough that the pipeline is still busy when the script ends
# A healthy run takes 6-8 CPU s (importing TensorFlow and Keras, and their teardown).
# Larger images than the target: each loader call decodes and shrinks, so calls are
# still running when the script ends.
TIMEOUT_S = 120

SCRIPT = """
import sys
import keras_aug
augment = keras_aug.Pipeline([
    keras_aug.RandomFlip("horizontal"), keras_aug.RandomRotation(0.1),
    keras_aug.RandomZoom(0.2), keras_aug.RandomTranslation(0.1, 0.1),
])
ds = keras_aug.data.from_directory(sys.argv[1], target_size=(64, 64), batch_size=16, seed=1, augment=augment)
iterator = iter(ds)
images, labels = next(iterator)
print("route", ds.route.name, "batch", tuple(images.shape))
"""


def _tree(root):
    """2 classes of FILES_PER_CLASS 256x256 JPEGs (hard links to one file: fast to write)."""
    first = save(os.path.join(root, "a", "0.jpg"), noise(256, 256, seed=1), fmt="JPEG")
    for cls in ("a", "b"):
        os.makedirs(os.path.join(root, cls), exist_ok=True)
        for i in range(FILES_PER_CLASS):
            path = os.path.join(root, cls, f"{i}.jpg")
            if path != first:
                os.link(first, path)
    return root


def test_unfinished_default_route_iterator_exits_cleanly(tmp_path):
    root = _tree(str(tmp_path / "tree"))
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               TF_CPP_MIN_LOG_LEVEL="2")
    procs = [
        subprocess.Popen([sys.executable, "-c", SCRIPT, root], env=env, cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(RUNS)
    ]
    results = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            results.append(("hung", out, err))
            continue
        results.append((proc.returncode, out, err))
    for code, out, err in results:
        assert code == 0, f"exit code {code}\nstdout: {out}\nstderr tail: {err[-2000:]}"
        assert "route opencv_groups batch (16, 64, 64, 3)" in out, out
        assert "terminate called" not in err, err[-2000:]


def test_closed_gate_fails_in_the_graph_without_calling_python():
    """After `close`, a guarded callback errors in the graph and its function never runs."""
    gate = exit_guard.Gate()  # a gate of its own: the module's stays open for other tests
    calls = []

    def double(x):
        calls.append(x)
        return x * 2

    @tf.function
    def run(x):
        return gate.numpy_function(double, [x], tf.int32, stateful=False)

    assert int(run(tf.constant(3))) == 6 and calls == [3]
    gate.close()
    with pytest.raises(tf.errors.InvalidArgumentError, match="callbacks are closed"):
        run(tf.constant(4))
    assert calls == [3]
