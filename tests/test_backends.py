"""Every backend the README promises: the JAX-backend tests, run in their own process.

Keras picks its backend once per process, so the tests under `tests/jax` run in
a subprocess with KERAS_BACKEND=jax; a failure there prints its report here.
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(args, env_extra, timeout):
    env = dict(os.environ, **env_extra)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_jax_backend_suite_passes():
    result = _run([sys.executable, "-m", "pytest", "tests/jax", "-q", "-p", "no:cacheprovider",
                   "-o", "addopts="], {"KERAS_BACKEND": "jax"}, timeout=900)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]


def test_jax_backend_runs_every_layer_without_tensorflow():
    # `import tensorflow` raises in that process: the layers must not need it under JAX.
    result = _run([sys.executable, "tests/jax/without_tensorflow.py"], {"KERAS_BACKEND": "jax"}, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    assert "layers ran without TensorFlow" in result.stdout
