"""The JAX-backend runs of the suite, started early so they overlap the main suite.

Keras picks its backend once per process, so `tests/jax` and the no-TensorFlow
check run in subprocesses with KERAS_BACKEND=jax. The main suite is mostly
single-threaded; started when collection finishes (tests/conftest.py), these
runs use the other core while it works, and tests/test_backends.py waits for
their results.
"""

import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

COMMANDS = {
    "jax_suite": [sys.executable, "-m", "pytest", "tests/jax", "-q", "-p", "no:cacheprovider", "-o", "addopts="],
    "without_tensorflow": [sys.executable, "tests/jax/without_tensorflow.py"],
}

_started = {}


def start(name):
    """Starts run `name` in the background (once); its output goes to a temporary file."""
    if name not in _started:
        env = dict(os.environ, KERAS_BACKEND="jax")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        log = tempfile.TemporaryFile(mode="w+")
        process = subprocess.Popen(COMMANDS[name], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        _started[name] = (process, log)
    return _started[name]


def result(name, timeout):
    """(return code, output) of run `name`, started now if it was not yet."""
    process, log = start(name)
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
    log.seek(0)
    return code, log.read()
