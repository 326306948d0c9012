"""Runs of the suite in fresh processes, started early and one after another in the background.

Keras picks its backend once per process, so `tests/jax` and the no-TensorFlow
check run in subprocesses with KERAS_BACKEND=jax; the example's end-to-end run
and the command-line runs of tests/test_cli.py are fresh processes as a user
starts them. Each costs seconds of TensorFlow import and tracing. The main
suite is mostly single-threaded: started when collection finishes
(tests/conftest.py), these runs use the other core while it works, and the
tests that need them (`RUNS[name].needed_by`) wait for their results. They run
one at a time, in the order the suite reads them, so that they do not also take
the main suite's core; together they take less time than the main suite.
"""

import atexit
import collections
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# command: the arguments after `python`; needed_by: the node id (prefix) of the test that reads
# the result; folder: the working directory, shared by the runs that name the same one (the JAX
# runs: the repository), prepared once by `prepare` ("module:function", called with its path).
Run = collections.namedtuple("Run", ["command", "backend", "needed_by", "folder", "prepare"])

# The example's tiny settings (tests/test_examples.py checks what it prints and writes).
EXAMPLE_ARGS = ["--epochs", "2", "--images-per-class", "8", "--size", "48", "--batch-size", "8", "--out", "run",
                "--verbose", "1"]
# `python -m keras_aug` as a user types it, in a folder holding tests/test_cli.py's `tree` and `specs`.
CLI_PREVIEW = ["preview", "tree", "--seed", "5", "--n", "2", "--images", "3", "--size", "32"]
CLI_PREPARE = "test_cli:write_tree_and_specs"

# In start order: the order in which the suite reads them.
RUNS = {
    "jax_suite": Run(["-m", "pytest", "tests/jax", "-q", "-p", "no:cacheprovider", "-o", "addopts="],
                     "jax", "tests/test_backends.py", ROOT, None),
    "without_tensorflow": Run(["tests/jax/without_tensorflow.py"], "jax", "tests/test_backends.py", ROOT, None),
    **{
        f"cli_preview_{kind}": Run(["-m", "keras_aug"] + CLI_PREVIEW + ["--pipeline", spec, "-o", f"{kind}.png"],
                                   "tensorflow", "tests/test_cli.py::test_preview_each_spec_kind", "cli",
                                   CLI_PREPARE)
        for kind, spec in (("json", "specs/layers.json"), ("keras", "specs/model.keras"))
    },
    "cli_bad_input": Run(["-m", "keras_aug", "preview", "tree", "--pipeline", "specs/unknown2.json"], "tensorflow",
                         "tests/test_cli.py::test_bad_input_in_a_subprocess", "cli", CLI_PREPARE),
    "cli_scan_json": Run(["-m", "keras_aug", "scan", "tree", "--json"], "tensorflow",
                         "tests/test_cli.py::test_scan_json", "cli", CLI_PREPARE),
    "example_binary_cnn": Run([os.path.join(ROOT, "examples", "train_binary_cnn.py")] + EXAMPLE_ARGS, "tensorflow",
                              "tests/test_examples.py", "example", None),
}

Result = collections.namedtuple("Result", ["code", "stdout", "stderr", "workdir"])


_folders = {}


def _folder(run):
    """The run's working directory: made (removed at exit) and prepared once per name."""
    if os.path.isabs(run.folder):
        return run.folder
    if run.folder not in _folders:
        path = tempfile.mkdtemp(prefix=f"keras_aug_{run.folder}_")
        atexit.register(shutil.rmtree, path, ignore_errors=True)
        if run.prepare:
            module, function = run.prepare.split(":")
            getattr(importlib.import_module(module), function)(path)
        _folders[run.folder] = path
    return _folders[run.folder]


class _Job:
    """One run: its working directory (prepared on creation) and, once started, its process."""

    def __init__(self, name):
        self.name = name
        self.workdir = _folder(RUNS[name])
        self.process = None
        self.logs = None

    def start(self):
        run = RUNS[self.name]
        env = dict(os.environ, KERAS_BACKEND=run.backend)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        self.logs = (tempfile.TemporaryFile(mode="w+"), tempfile.TemporaryFile(mode="w+"))
        self.process = subprocess.Popen([sys.executable] + run.command, cwd=self.workdir, env=env,
                                        stdout=self.logs[0], stderr=self.logs[1], text=True)


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
    jobs = [_job(name) for name in names]  # prepared here, in the main thread
    threading.Thread(target=_run_in_turn, args=(jobs,), daemon=True).start()


def workdir(name):
    """The working directory of run `name` (made and prepared now if it was not yet)."""
    return _job(name).workdir


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
