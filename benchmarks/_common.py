"""Shared helpers for the benchmark scripts: timing, machine notes, tables.

Two figures per measurement, both medians over repeats:
  * images per second (wall clock): what a training loop sees, but on a
    shared or throttled machine it moves with whatever else runs;
  * process CPU milliseconds per image (`time.process_time()` around the
    timed loop, all threads of the process, divided by the images): the
    steadier figure for comparing implementations on a busy machine.
"""

import os
import platform
import re
import shlex
import statistics
import sys
import time

import numpy as np


class Measurement:
    """Median images/s and CPU ms/image of a callable, or why it could not run."""

    def __init__(self, images_per_s=None, cpu_ms_per_image=None, error=None, compile_s=None):
        self.images_per_s = images_per_s
        self.cpu_ms_per_image = cpu_ms_per_image
        self.error = error
        self.compile_s = compile_s

    @property
    def ok(self):
        return self.error is None


def short_error(exc, limit=90):
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    match = re.search(r"No registered '(\w+)' OpKernel for XLA_CPU_JIT", text)
    if match:
        return f"no XLA kernel for {match.group(1)}"
    match = re.search(r"Detected unsupported operations when trying to compile graph[^:]*: (\w+)", text)
    if match:
        return f"no XLA kernel for {match.group(1)}"
    return text[:limit] + ("..." if len(text) > limit else "")


def sync(value):
    """Makes sure a result has been computed (TF on CPU runs eagerly; cheap)."""
    for leaf in _leaves(value):
        if hasattr(leaf, "block_until_ready"):  # a JAX array: wait for the device
            leaf.block_until_ready()
        elif hasattr(leaf, "_numpy"):
            leaf._numpy()  # no copy for CPU tensors
        elif hasattr(leaf, "numpy"):
            leaf.numpy()


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def measure(run, images_per_call, repeats=3, warmup=2, min_repeat_s=1.0, max_calls=50):
    """Times `run()` (one call processes `images_per_call` images).

    `warmup` calls first (the first one traces and compiles: its time is
    reported as compile_s), then `repeats` timed repeats of N calls each, N
    chosen so a repeat lasts about `min_repeat_s` of CPU time.
    """
    try:
        start = time.perf_counter()
        sync(run())
        compile_s = time.perf_counter() - start
        call_cpu = None
        for _ in range(max(warmup - 1, 1)):
            c0 = time.process_time()
            sync(run())
            call_cpu = time.process_time() - c0
    except Exception as exc:  # noqa: BLE001 - reported in the table
        return Measurement(error=short_error(exc))
    calls = int(min(max_calls, max(1, round(min_repeat_s / max(call_cpu, 1e-6)))))
    rates, cpus = [], []
    for _ in range(repeats):
        w0 = time.perf_counter()
        c0 = time.process_time()
        for _ in range(calls):
            out = run()
        sync(out)
        cpu = time.process_time() - c0
        wall = time.perf_counter() - w0
        images = calls * images_per_call
        rates.append(images / wall)
        cpus.append(1000.0 * cpu / images)
    return Measurement(statistics.median(rates), statistics.median(cpus), compile_s=compile_s)


def machine_notes():
    import keras  # noqa: PLC0415 - imported late on purpose

    backend = keras.backend.backend()
    if backend == "jax":
        import jax  # noqa: PLC0415

        engine = f"JAX {jax.__version__} on {jax.devices()[0].device_kind} ({jax.default_backend()})"
    else:
        import tensorflow as tf  # noqa: PLC0415

        engine = f"TensorFlow {tf.__version__}"
    lines = [
        "command: " + " ".join(shlex.quote(a) for a in [os.path.basename(sys.executable)] + sys.argv),
        f"python {platform.python_version()}, Keras {keras.__version__} ({backend} backend), {engine}, "
        f"numpy {np.__version__}",
        f"CPU: {_cpu_model()}, os.cpu_count()={os.cpu_count()}, "
        f"usable CPUs={len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}, "
        f"load average at start={_loadavg()}",
    ]
    try:
        import albumentations  # noqa: PLC0415
        import cv2  # noqa: PLC0415

        lines.append(f"albumentations {albumentations.__version__}, OpenCV {cv2.__version__} "
                     f"({cv2.getNumThreads()} threads)")
    except ImportError:
        lines.append("albumentations: not installed (pip install 'keras-aug-layers[bench]')")
    return lines


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _loadavg():
    try:
        return ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


def fmt(value, digits=1):
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}f}" if value >= 10 else f"{value:.{digits + 1}f}"


def ratio(ours, reference):
    if ours is None or reference is None or reference == 0:
        return "—"
    return f"{ours / reference:.1f}×"


def markdown_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def text_table(header, rows):
    cols = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cols) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cols]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
