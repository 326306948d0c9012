"""Where the graph-only route's CPU goes: its per-image stages, and each new iterator's cost.

The pipeline benchmark (`benchmarks/pipeline.py`) gives the graph-only route's CPU per
image as a whole; this script splits it, on the same 2,000 JPEGs of 250-500 px (made by
`pipeline.make_data` into `--cache`), 150x150 outputs:

* per-image stages, each a `tf.data` map over every file (parallel, batched by 32), process
  CPU ms per image over `--repeats` passes after a warm-up pass (the stages' differences
  are what each step adds): reading the file; + its header facts in the graph
  (`graph_header.facts`); + decoding (the DCT-scaled `switch_case` decoder); + the fused
  resample (`graph_resample.GraphResampler`, a fixed matrix with a rotation), with each of
  its resamplers (the native op, the XLA warp);
* each resampler alone on a fixed image (no file: the XLA warp on its padded buffer), and
  an empty map (tf.data's own cost);
* each new iterator of a graph-only dataset (native op, then XLA warp) and a default-route
  (`opencv_groups`) dataset with the
  pipeline benchmark's augmentation: set-up, creating it, then its first batch, process CPU
  seconds and wall seconds (`fit` makes one per epoch; the first one also traces, compiles
  and optimizes), and for the first, the wall time from the call that builds the dataset to
  its first batch (with `--repeats 0` the process has traced and compiled nothing before);
  `keras_aug.data` is imported before these timers (its import is printed apart: without
  `__pycache__`, e.g. under PYTHONDONTWRITEBYTECODE, it compiles the sources every run).

    python benchmarks/graph_route_stages.py
    python benchmarks/graph_route_stages.py --repeats 5 --iterators 4
    python benchmarks/graph_route_stages.py --repeats 0 --iterators 2
    python benchmarks/graph_route_stages.py --repeats 0 --iterators 1 --routes native

Run on a shared machine, read the CPU times, and compare stages only within one run.
"""

import argparse
import glob
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TARGET = (150, 150)
# A rotation of about 6 degrees, a zoom and a shift, at the target size (as the head's matrices are).
MATRIX = [[1.05, 0.1, -5.0], [-0.1, 0.95, 4.0], [0.0, 0.0, 1.0]]


def stage_functions(files):
    """{name: index -> tensor} for each stage of the graph-only route's per-image path."""
    import tensorflow as tf

    from keras_aug.data import decoding
    from keras_aug.data import graph_header
    from keras_aug.data import graph_resample

    paths = tf.constant(files)
    decode = decoding.make_graph_decoder("rgb", None)
    # Raises with the reason if the native op does not build or load.
    native = graph_resample.GraphResampler(TARGET, TARGET, 3, fill_mode="reflect", resampler="native")
    xla = graph_resample.GraphResampler(TARGET, TARGET, 3, fill_mode="reflect", resampler="xla")
    matrix = tf.constant(MATRIX, tf.float32)
    buffer = tf.zeros([xla.capacity * 3], tf.uint8)
    image = tf.zeros([280, 330, 3], tf.uint8)

    def read(i):
        return tf.io.read_file(tf.gather(paths, i))

    def decoded(i):
        data = read(i)
        route, ratio_index, orientation = graph_header.facts(data, TARGET)
        return decode(tf.gather(paths, i), decoding.decoder_branch(route, ratio_index), orientation, i, data=data)

    return {
        "empty map (tf.data's own cost)": lambda i: tf.zeros([1], tf.uint8),
        "read the file": lambda i: tf.strings.length(read(i)),
        "+ header facts": lambda i: graph_header.facts(read(i), TARGET),
        "+ decode": lambda i: tf.shape(decoded(i)),
        "+ fused resample, native op (the route's path)": lambda i: native(decoded(i), matrix),
        "+ fused resample, XLA warp": lambda i: xla(decoded(i), matrix),
        "native op alone (fixed 330x280 image)": lambda i: native(image, matrix),
        "XLA warp alone (fixed 330x280 buffer)": lambda i: xla._warp(buffer, 280, 330, matrix),
    }


def per_image(files, repeats):
    import tensorflow as tf

    rows = []
    for name, fn in stage_functions(files).items():
        ds = tf.data.Dataset.range(len(files)).map(fn, num_parallel_calls=tf.data.AUTOTUNE).batch(32).prefetch(2)
        for _ in ds:  # warm-up: tracing, XLA compile
            pass
        cpu = []
        for _ in range(repeats):
            c0 = time.process_time()
            for _ in ds:
                pass
            cpu.append(1000 * (time.process_time() - c0) / len(files))
        rows.append((name, cpu))
        print(f"{name:48s} CPU ms/image " + " ".join(f"{c:.3f}" for c in cpu), flush=True)
    return rows


ITERATOR_ROUTES = {
    "native": ("graph_only native", {"distributable": True, "graph_resampler": "native"}),
    "xla": ("graph_only xla", {"distributable": True, "graph_resampler": "xla"}),
    "opencv_groups": ("opencv_groups", {}),
}


def iterators(directory, count, routes=tuple(ITERATOR_ROUTES)):
    import tensorflow as tf  # noqa: F401

    c0, w0 = time.process_time(), time.perf_counter()
    import keras_aug
    import keras_aug.data  # noqa: F401  (imported on first use otherwise: timed here, not in the set-up)

    print(f"importing keras_aug and keras_aug.data: {time.process_time() - c0:.2f} CPU s, "
          f"{time.perf_counter() - w0:.2f} s wall (before the timers below)", flush=True)

    for route, settings in (ITERATOR_ROUTES[r] for r in routes):
        augment = keras_aug.Pipeline(
            [keras_aug.RandomFlip("horizontal"), keras_aug.RandomRotation(0.1), keras_aug.RandomZoom(0.2),
             keras_aug.RandomTranslation(0.1, 0.1)],
            seed=0,
        )
        c0, w0 = time.process_time(), time.perf_counter()
        ds = keras_aug.data.from_directory(directory, target_size=TARGET, batch_size=32, class_mode="binary", seed=0,
                                           augment=augment, verbose=False, **settings)
        print(f"{route}: set-up {time.process_time() - c0:.2f} CPU s, {time.perf_counter() - w0:.2f} s wall", flush=True)
        for k in range(count):
            c1, w1 = time.process_time(), time.perf_counter()
            it = iter(ds)
            c2, w2 = time.process_time(), time.perf_counter()
            next(it)
            c3, w3 = time.process_time(), time.perf_counter()
            print(f"{route}: iterator {k}: creating it {c2 - c1:.2f} CPU s ({w2 - w1:.2f} wall), "
                  f"its first batch {c3 - c2:.2f} CPU s ({w3 - w2:.2f} wall)", flush=True)
            if k == 0:
                print(f"{route}: from the call to the first batch: {w3 - w0:.2f} s wall, {c3 - c0:.2f} CPU s",
                      flush=True)
            del it


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default="/tmp/keras_aug_bench", help="where the generated JPEGs live")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed passes per stage (0: skip the stages: the iterators then start in a fresh process)")
    parser.add_argument("--iterators", type=int, default=3, help="iterators per dataset (0: skip)")
    parser.add_argument("--routes", default=",".join(ITERATOR_ROUTES),
                        help="datasets of the iterator timings, in this order (one per process: a fresh start)")
    args = parser.parse_args()
    from pipeline import make_data

    directory = make_data(args.cache, "small_2000", 2000, 250, 500, seed=1)
    files = sorted(glob.glob(os.path.join(directory, "*", "*.jpg")))
    print(f"# {len(files)} JPEGs in {directory}; load average {os.getloadavg()}", flush=True)
    if args.repeats:
        per_image(files, args.repeats)
    if args.iterators:
        iterators(directory, args.iterators, args.routes.split(","))


if __name__ == "__main__":
    main()
