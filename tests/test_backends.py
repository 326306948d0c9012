"""Every backend the README promises: the JAX-backend tests, run in their own processes.

Keras picks its backend once per process, so the tests under `tests/jax` run in
a subprocess with KERAS_BACKEND=jax (started early: tests/backend_runs.py); a
failure there prints its report here.
"""

import backend_runs


def test_jax_backend_suite_passes():
    code, output, errors, _ = backend_runs.result("jax_suite", timeout=900)
    output += errors
    assert code == 0, output[-10000:]
    assert " passed" in output and "skipped" not in output, output[-2000:]


def test_jax_backend_runs_every_layer_without_tensorflow():
    # `import tensorflow` raises in that process: the layers must not need it under JAX.
    code, output, errors, _ = backend_runs.result("without_tensorflow", timeout=600)
    output += errors
    assert code == 0, output[-8000:]
    assert "layers ran without TensorFlow" in output
