"""The graph-only route's steady CPU per image, whole, against its parts and the default route.

`benchmarks/graph_route_stages.py` times the per-image stages alone; this script times
whole datasets on the same 2,000 JPEGs (150x150 batches of 32, the pipeline benchmark's
four geometric layers), in one process, the datasets taking turns in each round, so their
differences are paired:

* `default route`: `from_directory(..., augment=...)` (route opencv_groups);
* `graph_only`: the same with `distributable=True`;
* `graph_only, free warp`: the same, the fused resample replaced by a zero image that still
  reads the decoded one (what the route would cost with a warp that cost nothing);
* `graph_only, no augment`: `distributable=True` without `augment` (decode, `tf.image.resize`);
* `per-image path alone`: read, header facts, decode and the fused resample as one parallel
  tf.data map over the files, batched by 32 (no epochs, stand-ins, labels or batch tail).

Each epoch's process CPU is split into creating the iterator (`fit` makes one per epoch)
and iterating it (each batch converted to numpy, as `benchmarks/pipeline.py` does).

    python benchmarks/graph_route_breakdown.py --rounds 2

Run on a shared machine: read the CPU times and the paired differences within a round.
"""

import argparse
import glob
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SIZE = (150, 150)


def _augment():
    import keras_aug
    from pipeline import ROTATION
    from pipeline import SHIFT
    from pipeline import ZOOM

    return keras_aug.Pipeline(
        [keras_aug.RandomFlip("horizontal"), keras_aug.RandomRotation(ROTATION), keras_aug.RandomZoom(ZOOM),
         keras_aug.RandomTranslation(SHIFT, SHIFT)],
        seed=0,
    )


def _free_warp(resampler_class):
    """A `GraphResampler.__call__` that returns zeros but still depends on the decoded image."""
    import tensorflow as tf

    def call(self, image, head_matrix):
        touch = tf.cast(image[0, 0, 0] * 0, tf.uint8) + tf.cast(head_matrix[0, 0] * 0, tf.uint8)
        return tf.zeros([*self.output_size, self.channels], tf.uint8) + touch

    return call


def datasets(directory, files):
    """{name: dataset} of the compared configurations (each built once)."""
    import tensorflow as tf

    import keras_aug
    from graph_route_stages import stage_functions
    from keras_aug.data import graph_resample

    common = dict(target_size=SIZE, batch_size=32, class_mode="binary", seed=0, verbose=False)
    found = {
        "default route": keras_aug.data.from_directory(directory, augment=_augment(), **common),
        "graph_only": keras_aug.data.from_directory(directory, augment=_augment(), distributable=True, **common),
    }
    real_call = graph_resample.GraphResampler.__call__
    graph_resample.GraphResampler.__call__ = _free_warp(graph_resample.GraphResampler)
    try:  # the call is traced when the dataset is built
        found["graph_only, free warp"] = keras_aug.data.from_directory(
            directory, augment=_augment(), distributable=True, **common)
    finally:
        graph_resample.GraphResampler.__call__ = real_call
    found["graph_only, no augment"] = keras_aug.data.from_directory(directory, distributable=True, **common)
    path = stage_functions(files)["+ fused resample, native op (the route's path)"]
    found["per-image path alone"] = (
        tf.data.Dataset.range(len(files)).map(path, num_parallel_calls=tf.data.AUTOTUNE).batch(32).prefetch(2))
    return found


def epoch_cpu(ds):
    """(images, CPU s creating the iterator, CPU s iterating it) of one epoch."""
    import numpy as np

    c0 = time.process_time()
    it = iter(ds)
    c1 = time.process_time()
    images = 0
    for batch in it:
        x = np.asarray(batch[0] if isinstance(batch, tuple) else batch)
        images += x.shape[0]
        float(x[:, ::37, ::37].mean())
    return images, c1 - c0, time.process_time() - c1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default="/tmp/keras_aug_bench", help="where the generated JPEGs live")
    parser.add_argument("--rounds", type=int, default=2, help="timed epochs per dataset, taking turns")
    args = parser.parse_args()
    from pipeline import make_data

    directory = make_data(args.cache, "small_2000", 2000, 250, 500, seed=1)
    files = sorted(glob.glob(os.path.join(directory, "*", "*.jpg")))
    found = datasets(directory, files)
    for ds in found.values():  # warm-up epoch: tracing, compiling, first probes
        epoch_cpu(ds)
    print(f"# {len(files)} JPEGs; CPU ms per image (creating the iterator + iterating); load {os.getloadavg()}",
          flush=True)
    results = {name: [] for name in found}
    for r in range(args.rounds):
        for name, ds in found.items():
            images, create, iterate = epoch_cpu(ds)
            results[name].append((1000 * create / images, 1000 * iterate / images))
        print(f"round {r}: " + "; ".join(f"{n} {c + i:.3f} ({c:.3f} + {i:.3f})" for n, [*_, (c, i)] in
                                          results.items()), flush=True)
    for name, rows in results.items():
        total = sorted(c + i for c, i in rows)
        ratio = sorted((c + i) / (dc + di) for (c, i), (dc, di) in zip(rows, results["default route"]))
        print(f"{name:26s} median {statistics.median(total):.3f} ms/image ({total[0]:.3f}-{total[-1]:.3f}); "
              f"x default route {ratio[0]:.2f}-{ratio[-1]:.2f}", flush=True)


if __name__ == "__main__":
    main()
