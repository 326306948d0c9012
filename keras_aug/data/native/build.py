"""Compiles `resample_op.cc` (and `header_op.cc`) into a TensorFlow op library, once per TF version and source.

The library lands in a per-user cache, `$KERAS_AUG_OPS_DIR` or
`~/.cache/keras_aug/ops` (`$XDG_CACHE_HOME` is honoured), in a folder named by the
TensorFlow version and a hash of the source and compile command
(`<tf version>-<hash>/keras_aug_ops.so`): a new TF or a changed source gets a new
build, every other process reuses it. Parallel processes (tf.data service workers,
test runs) take a file lock around the compile and the library appears by an atomic
rename, so none reads a half-written file and only one compiles. The compiler is
`$CXX`, else `g++` (8-18 s on a shared 2-core machine; it needs TF's headers, which
the TF wheel ships).
"""

import contextlib
import fcntl
import hashlib
import os
import pathlib
import subprocess
import tempfile

SOURCE = pathlib.Path(__file__).with_name("resample_op.cc")
# Compiled into the same library: the graph-only route's header facts (`KerasAugHeaderFacts`).
EXTRA_SOURCES = (pathlib.Path(__file__).with_name("header_op.cc"),)
LIBRARY_NAME = "keras_aug_ops.so"
CACHE_ENV = "KERAS_AUG_OPS_DIR"
# -O3 but no -march=native: the cache may sit on a disk that machines of other CPUs share.
# -fno-math-errno lets std::lrint be one instruction (the kernel never reads errno);
# -fno-trapping-math lets GCC vectorize the loop of a row's points (comparisons and
# selects without branches; the kernel never reads floating-point exception flags).
# Neither changes a value: both only drop promises about errno and exception flags.
OPTIMIZE = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-fPIC", "-shared", "-w"]


class BuildError(RuntimeError):
    """The op library could not be compiled; the message says why (compiler output tail)."""


def cache_root():
    """The folder holding every build: `$KERAS_AUG_OPS_DIR`, else the user cache."""
    if os.environ.get(CACHE_ENV):
        return pathlib.Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "keras_aug" / "ops"


def compiler():
    """The C++ compiler command: `$CXX`, else g++."""
    return os.environ.get("CXX") or "g++"


def _command(output):
    import tensorflow as tf

    flags = tf.sysconfig.get_compile_flags() + tf.sysconfig.get_link_flags()
    return [compiler(), str(SOURCE), *map(str, EXTRA_SOURCES), "-o", str(output), *OPTIMIZE, *flags]


def library_path():
    """Where this TF version's build of the current source lives (whether built or not)."""
    import tensorflow as tf

    digest = hashlib.sha256(SOURCE.read_bytes())
    for extra in EXTRA_SOURCES:
        digest.update(extra.read_bytes())
    digest.update(" ".join(_command(LIBRARY_NAME)[2 + len(EXTRA_SOURCES):]).encode())
    return cache_root() / f"{tf.__version__}-{digest.hexdigest()[:16]}" / LIBRARY_NAME


def build():
    """Returns the path of the compiled library, compiling it first if needed.

    Raises:
        BuildError: no compiler, or the compile failed (the message has its output).
    """
    path = library_path()
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.parent / "build.lock"):
        if path.exists():  # another process built it while we waited
            return path
        fd, partial = tempfile.mkstemp(suffix=".so.partial", dir=path.parent)
        os.close(fd)
        try:
            _compile(partial)
            os.chmod(partial, 0o755)  # mkstemp made it private; a shared cache needs it readable
            os.replace(partial, path)  # atomic: readers see no library or a whole one
        finally:
            if os.path.exists(partial):
                os.remove(partial)
    return path


def _compile(output):
    command = _command(output)
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except OSError as e:  # FileNotFoundError, PermissionError: no usable compiler
        raise BuildError(f"no C++ compiler: cannot run {command[0]!r} ({e.strerror}); set CXX") from None
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise BuildError(f"{command[0]} failed (exit {done.returncode}) compiling {SOURCE.name}:\n{tail}")


@contextlib.contextmanager
def _locked(lock_path):
    """An exclusive lock between processes (released when the file closes, even on a crash)."""
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
