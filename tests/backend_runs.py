"""Runs of the suite in fresh processes, started early and one after another in the background.

Keras picks its backend once per process, so `tests/jax` and the no-TensorFlow
check run in subprocesses with KERAS_BACKEND=jax; the example's end-to-end run
is a fresh process too. The main suite is mostly single-threaded: started when
collection finishes (tests/conftest.py), these runs use the other core while it
works, and the tests that need them (`RUNS[name].needed_by`) wait for their
results. They run one at a time so that they do not also take the main suite's
core; together they take less time than the main suite.
"""

import atexit
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

Run = collections.namedtuple("Run", ["command", "backend", "needed_by"])

# The example's tiny settings (tests/test_examples.py checks what it prints and writes).
EXAMPLE_ARGS = ["--epochs", "2", "--images-per-class", "8", "--size", "48", "--batch-size", "8", "--out", "run",
                "--verbose", "1"]

# In start order: the longest first.
RUNS = {
    "jax_suite": Run([sys.executable, "-m", "pytest", "tests/jax", "-q", "-p", "no:cacheprovider", "-o", "addopts="],
                     "jax", "tests/test_backends.py"),
    "without_tensorflow": Run([sys.executable, "tests/jax/without_tensorflow.py"], "jax", "tests/test_backends.py"),
    "example_binary_cnn": Run([sys.executable, os.path.join(ROOT, "examples", "train_binary_cnn.py")] + EXAMPLE_ARGS,
                              "tensorflow", "tests/test_examples.py"),
}

Result = collections.namedtuple("Result", ["code", "stdout", "stderr", "workdir"])


class _Job:
    """One run: its own working directory (removed at exit) and, once started, its process."""

    def __init__(self, name):
        self.name = name
        self.workdir = tempfile.mkdtemp(prefix=f"keras_aug_{name}_")
        atexit.register(shutil.rmtree, self.workdir, ignore_errors=True)
        self.process = None
        self.logs = None

    def start(self):
        run = RUNS[self.name]
        env = dict(os.environ, KERAS_BACKEND=run.backend)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        # The JAX runs need the repository as their working directory (`tests/jax`); the
        # example writes where it is run.
        cwd = ROOT if run.backend == "jax" else self.workdir
        self.logs = (tempfile.TemporaryFile(mode="w+"), tempfile.TemporaryFile(mode="w+"))
        self.process = subprocess.Popen(run.command, cwd=cwd, env=env, stdout=self.logs[0], stderr=self.logs[1],
                                        text=True)


_jobs = {}
_lock = threading.Lock()


def _job(name):
    with _lock:
        if name not in _jobs:
            _jobs[name] = _Job(name)
        return _jobs[name]


def _run_in_turn(jobs):
    for job in jobs:
        with _lock:
            fresh = job.process is None
            if fresh:
                job.start()
        if fresh:
            job.process.wait()


def start_for(nodeids):
    """Starts, one after another in a background thread, every run a collected test needs."""
    names = [name for name, run in RUNS.items() if any(n.startswith(run.needed_by) for n in nodeids)]
    jobs = [_job(name) for name in names]
    threading.Thread(target=_run_in_turn, args=(jobs,), daemon=True).start()


def result(name, timeout):
    """The Result of run `name`, waiting at most `timeout` s from now (started now if it was not yet)."""
    job = _job(name)
    with _lock:
        if job.process is None:
            job.start()
    try:
        code = job.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        job.process.kill()
        code = job.process.wait()
    out, err = job.logs
    out.seek(0)
    err.seek(0)
    return Result(code, out.read(), err.read(), job.workdir)
