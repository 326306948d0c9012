"""Input-pipeline benchmark: directory of JPEGs -> augmented 150x150 batches of 32.

Loaders, each measured over one full epoch in its OWN subprocess (so peak memory does
not mix):

* ``legacy``: tf-keras ``ImageDataGenerator(rotation_range, width/height_shift_range,
  zoom_range, horizontal_flip).flow_from_directory`` (the example's augmentation);
* ``keras_layers``: ``keras.utils.image_dataset_from_directory`` + Keras 3's
  RandomFlip/RandomRotation/RandomZoom/RandomTranslation mapped in tf.data;
* ``keras_plain``: ``keras.utils.image_dataset_from_directory``, no augmentation;
* ``ours``: ``keras_aug.data.from_directory(..., augment=keras_aug.Pipeline([...]))``
  (route ``opencv_groups``);
* ``ours_plain``: ``keras_aug.data.from_directory`` without augmentation (route ``graph``);
* the other routes with the same augmentation: ``ours_per_image`` (``interpolation=
  "nearest"``: resize, then one OpenCV warp per image), ``ours_graph``
  (``fuse_resize=False``), ``ours_graph_only`` (``distributable=True``: the native
  resample op), ``ours_graph_only_xla`` (the same with ``graph_resampler="xla"``).

Data sets (generated once into ``--cache``, default /tmp/keras_aug_bench):
(a) ``small``: 2,000 photo-like JPEGs of 250-500 px; (b) ``large``: 500 photo-like JPEGs
of 1,500-4,000 px.

Reported per loader: images/s over the first epoch (wall clock), process CPU
milliseconds per image (``time.process_time`` over the epoch / images: all threads of the
process), the same two over the last of ``--epochs`` epochs ("steady": no tracing or
compiling left), the first batch's latency (from the end of the set-up), peak RSS of the
process (``resource.getrusage``), and the set-up time (listing, probing) outside the
epochs. Each loader runs ``--repeats`` times (default 3), the loaders taking
turns, and the table gives the median of each figure (and the range of the CPU time): on
this shared 2-core machine one run of a loader can be 20-40% off another.

    python benchmarks/pipeline.py --markdown              # everything, README-ready table
    python benchmarks/pipeline.py --small 400 --large 50  # quicker
    python benchmarks/pipeline.py --loaders ours,keras_plain --datasets small
    python benchmarks/pipeline.py --construction 2000,20000,200000 --datasets none
    python benchmarks/pipeline.py --construction 20000 --constructors keras_plain,ours_plain --datasets none

``--construction`` measures the set-up alone (the call that lists and builds the dataset;
wall and process CPU seconds; each library is imported before the timer and its import
reported apart), then the first batch's latency, on trees of hard links to the small data
set's files, against ``keras.utils.image_dataset_from_directory``, each in its own
subprocess, ``--repeats`` times per size (the loaders taking turns; the ratio of ours
without augmentation to Keras is taken per round).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LOADERS = ("legacy", "keras_layers", "keras_plain", "ours", "ours_plain", "ours_per_image", "ours_graph",
           "ours_graph_only", "ours_graph_only_xla")
# from_directory's arguments per route loader (with the augmentation).
ROUTE_SETTINGS = {
    "ours": {},
    "ours_per_image": {"interpolation": "nearest"},
    "ours_graph": {"fuse_resize": False},
    "ours_graph_only": {"distributable": True, "graph_resampler": "native"},
    "ours_graph_only_xla": {"distributable": True, "graph_resampler": "xla"},
}
CONSTRUCTORS = ("keras_plain", "ours_plain", "ours", "ours_graph_only")
DATASETS = ("small", "large")
SIZE = (150, 150)
BATCH = 32
# The example's augmentation, in each API's terms.
ROTATION = 0.1  # fraction of a full turn (Keras 3) == 36 degrees (legacy rotation_range)
ZOOM = 0.2
SHIFT = 0.1


# ------------------------------------------------------------------ data
_GRAIN = {}


def write_photo_like(path, rng, width, height):
    """A photo-like JPEG: smooth lighting and texture, shapes with sharp edges, grain.

    Built at low resolution with numpy, then upscaled and finished in PIL (C code), so
    12-megapixel images take well under a second.
    """
    import numpy as np
    from PIL import Image
    from PIL import ImageChops
    from PIL import ImageDraw

    sys.path.insert(0, os.path.join(ROOT, "examples"))
    from make_dataset import photo_like

    factor = max(1, min(width, height) // 200)
    small = photo_like(rng, max(8, height // factor), max(8, width // factor))
    image = Image.fromarray(small.clip(0, 255).astype(np.uint8)).resize((width, height), Image.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 9)):
        x0, y0 = rng.uniform(0, width), rng.uniform(0, height)
        w, h = rng.uniform(0.05, 0.4) * width, rng.uniform(0.05, 0.4) * height
        colour = tuple(int(c) for c in rng.randint(0, 256, 3))
        (draw.ellipse if rng.rand() < 0.5 else draw.rectangle)([x0, y0, x0 + w, y0 + h], fill=colour)
    # Film grain: a noise tile (made once per sigma) pasted across the image.
    sigma = int(rng.randint(3, 9))
    if sigma not in _GRAIN:
        _GRAIN[sigma] = Image.merge("RGB", [Image.effect_noise((1024, 1024), sigma) for _ in range(3)])
    tile = _GRAIN[sigma].rotate(90 * int(rng.randint(4)))
    grain = Image.new("RGB", (width, height))
    ox, oy = (int(v) for v in rng.randint(0, 1024, 2))
    for top in range(-oy, height, 1024):
        for left in range(-ox, width, 1024):
            grain.paste(tile, (left, top))
    image = ImageChops.add(image, grain, scale=1.0, offset=-128)
    image.save(path, quality=int(rng.randint(85, 95)))


def make_data(cache, name, count, low, high, seed):
    """cache/name/{a,b}/*.jpg with `count` images of random sides in [low, high]."""
    import numpy as np

    root = os.path.join(cache, name)
    stamp = os.path.join(root, ".settings")
    settings = f"{count} {low} {high} {seed} v1"
    if os.path.exists(stamp) and open(stamp).read() == settings:
        return root
    rng = np.random.RandomState(seed)
    start = time.time()
    for i in range(count):
        folder = os.path.join(root, "ab"[i % 2])
        os.makedirs(folder, exist_ok=True)
        width, height = (int(rng.randint(low, high + 1)) for _ in range(2))
        write_photo_like(os.path.join(folder, f"{i:05d}.jpg"), rng, width, height)
    with open(stamp, "w") as f:
        f.write(settings)
    print(f"# wrote {count} JPEGs of {low}-{high} px to {root} in {time.time() - start:.0f} s", file=sys.stderr)
    return root


# --------------------------------------------------------------- loaders
def _legacy(directory):
    from tf_keras.preprocessing.image import ImageDataGenerator

    generator = ImageDataGenerator(
        rotation_range=ROTATION * 360,
        width_shift_range=SHIFT,
        height_shift_range=SHIFT,
        zoom_range=ZOOM,
        horizontal_flip=True,
    )
    it = generator.flow_from_directory(
        directory, target_size=SIZE, batch_size=BATCH, class_mode="binary", seed=0
    )

    def epoch():
        for i in range(len(it)):
            yield it[i]
        it.on_epoch_end()

    return epoch


def _keras(directory, augment):
    import keras
    import tensorflow as tf

    ds = keras.utils.image_dataset_from_directory(
        directory, image_size=SIZE, batch_size=BATCH, label_mode="binary", seed=0, verbose=False
    )
    if augment:
        layers = keras.Sequential(
            [
                keras.layers.RandomFlip("horizontal", seed=0),
                keras.layers.RandomRotation(ROTATION, seed=0),
                keras.layers.RandomZoom(ZOOM, seed=0),
                keras.layers.RandomTranslation(SHIFT, SHIFT, seed=0),
            ]
        )
        ds = ds.map(lambda x, y: (layers(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    return lambda: iter(ds)


def _ours(directory, route=None):
    """`from_directory` without augmentation (route None) or with it on a route loader's settings."""
    import keras_aug

    if route is None:
        ds = keras_aug.data.from_directory(
            directory, target_size=SIZE, batch_size=BATCH, class_mode="binary", seed=0, verbose=False
        )
        return lambda: iter(ds)

    augment = keras_aug.Pipeline(
        [
            keras_aug.RandomFlip("horizontal"),
            keras_aug.RandomRotation(ROTATION),
            keras_aug.RandomZoom(ZOOM),
            keras_aug.RandomTranslation(SHIFT, SHIFT),
        ],
        seed=0,
    )
    ds = keras_aug.data.from_directory(
        directory, target_size=SIZE, batch_size=BATCH, class_mode="binary", seed=0, augment=augment, verbose=False,
        **ROUTE_SETTINGS[route],
    )
    print(f"# route: {ds.route}", file=sys.stderr)
    return lambda: iter(ds)


def _epochs_of(loader, directory):
    """`epoch() -> iterator of (x, y) batches` of a loader (its set-up done here)."""
    if loader == "legacy":
        return _legacy(directory)
    if loader in ("keras_layers", "keras_plain"):
        return _keras(directory, augment=loader == "keras_layers")
    if loader == "ours_plain":
        return _ours(directory)
    if loader in ROUTE_SETTINGS:
        return _ours(directory, loader)
    raise SystemExit(f"unknown loader {loader!r}; choose from {LOADERS}")


def _peak_rss_mb():
    """Peak resident memory of this process. VmHWM resets at exec; ru_maxrss does not
    (Linux carries the parent's high-water mark into the child), so prefer VmHWM."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import_library(loader):
    """Imports the loader's library (wall s, process CPU s), so the set-up times the call alone.

    Importing TensorFlow imports Keras; `keras_aug` and its lazily loaded `keras_aug.data`
    are imported here. Outside an installed package (`PYTHONDONTWRITEBYTECODE`, no
    `__pycache__`) this compiles keras_aug's sources every run: a per-process cost that
    does not grow with the tree, reported beside the set-up, not in it.
    """
    t0, cpu0 = time.perf_counter(), time.process_time()
    if loader.startswith("ours"):
        import keras_aug
        import keras_aug.data  # noqa: F401
    elif loader.startswith("keras"):
        import keras  # noqa: F401
    elif loader == "legacy":
        import tf_keras  # noqa: F401
    return time.perf_counter() - t0, time.process_time() - cpu0


def worker(loader, directory, epochs=2):
    """Runs one loader for `epochs` epochs in this process; prints a JSON line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf  # noqa: F401  (import cost outside the timings)

    import_s, import_cpu_s = _import_library(loader)
    t0, cpu0 = time.perf_counter(), time.process_time()
    epoch = _epochs_of(loader, directory)
    setup, setup_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if epochs == 0:  # set-up only (the construction curve), then the first batch alone
        t0 = time.perf_counter()
        next(iter(epoch()))
        first_batch = time.perf_counter() - t0
        print(json.dumps(dict(loader=loader, setup_s=setup, setup_cpu_s=setup_cpu, first_batch_s=first_batch,
                              import_s=import_s, import_cpu_s=import_cpu_s, peak_rss_mb=_peak_rss_mb())))
        return
    figures = []
    first_batch = None
    for _ in range(epochs):
        images = 0
        checksum = 0.0
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for x, _ in epoch():
            x = np.asarray(x)
            if first_batch is None:
                first_batch = time.perf_counter() - wall0
            assert x.shape[1:3] == SIZE, x.shape
            images += x.shape[0]
            checksum += float(x[:, ::37, ::37].mean())
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        figures.append((images, images / wall, 1000 * cpu / images))
    print(
        json.dumps(
            dict(
                loader=loader,
                images=figures[0][0],
                setup_s=setup,
                first_batch_s=first_batch,
                images_per_s=figures[0][1],
                cpu_ms_per_image=figures[0][2],
                steady_images_per_s=figures[-1][1],
                steady_cpu_ms_per_image=figures[-1][2],
                peak_rss_mb=_peak_rss_mb(),
            )
        )
    )


# ------------------------------------------------------------------ main
NAMES = {
    "legacy": "tf-keras ImageDataGenerator.flow_from_directory + augmentation",
    "keras_layers": "keras.utils.image_dataset_from_directory + Keras 3 layers in map",
    "keras_plain": "keras.utils.image_dataset_from_directory, no augmentation",
    "ours": "keras_aug.data.from_directory(augment=Pipeline): route opencv_groups",
    "ours_plain": "keras_aug.data.from_directory, no augmentation: route graph",
    "ours_per_image": "same, interpolation='nearest': route opencv_per_image",
    "ours_graph": "same, fuse_resize=False: route graph",
    "ours_graph_only": "same, distributable=True: route graph_only (native resample op)",
    "ours_graph_only_xla": "same, graph_resampler='xla': route graph_only (XLA warp)",
}


def run_one(loader, directory, timeout, epochs=2):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--_worker", loader, directory, str(epochs)],
        capture_output=True, text=True, env=env, timeout=timeout,
    )
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"loader": loader, "error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(lines[-1])


def median_of(loader, runs):
    """The median of each measurement over a loader's runs, with the CPU range."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    keys = ("images_per_s", "cpu_ms_per_image", "peak_rss_mb", "setup_s", "first_batch_s", "steady_images_per_s",
            "steady_cpu_ms_per_image")
    out = {"loader": loader, "runs": len(ok), "images": ok[0]["images"]}
    out.update({k: float(statistics.median(r[k] for r in ok)) for k in keys})
    for key in ("cpu_ms_per_image", "steady_cpu_ms_per_image"):
        cpu = [r[key] for r in ok]
        out[key + "_range"] = (min(cpu), max(cpu))
    return out


def _ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "–"


def markdown(all_results, command, load, construction=None):
    out = [f"Command: `{command}`", "", f"Machine: {os.cpu_count()} CPU cores, shared; load average before the run: {load}", ""]
    for name, (desc, results) in all_results.items():
        by = {r["loader"]: r for r in results if "error" not in r}
        plain, layers, legacy = by.get("keras_plain"), by.get("keras_layers"), by.get("legacy")
        out += [f"### ({name}) {desc}", ""]
        out += [
            "| loader | images/s | CPU ms/image (range) | steady images/s | steady CPU ms/image (range) | first batch s | peak RSS MB | set-up s | images/s vs Keras+layers | vs legacy | steady CPU/image vs Keras plain | vs Keras+layers | peak RSS vs Keras plain |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in results:
            if "error" in r:
                out.append(f"| {NAMES[r['loader']]} | error: {r['error']} ||||||||||||")
                continue
            cpu, steady = r["cpu_ms_per_image_range"], r["steady_cpu_ms_per_image_range"]
            out.append(
                f"| {NAMES[r['loader']]} | {r['images_per_s']:.0f} | {r['cpu_ms_per_image']:.2f} "
                f"({cpu[0]:.2f}-{cpu[1]:.2f}) | {r['steady_images_per_s']:.0f} | "
                f"{r['steady_cpu_ms_per_image']:.2f} ({steady[0]:.2f}-{steady[1]:.2f}) | {r['first_batch_s']:.2f} | "
                f"{r['peak_rss_mb']:.0f} | {r['setup_s']:.1f} | "
                f"{_ratio(r['images_per_s'], layers and layers['images_per_s'])} | "
                f"{_ratio(r['images_per_s'], legacy and legacy['images_per_s'])} | "
                f"{_ratio(r['steady_cpu_ms_per_image'], plain and plain['steady_cpu_ms_per_image'])} | "
                f"{_ratio(r['steady_cpu_ms_per_image'], layers and layers['steady_cpu_ms_per_image'])} | "
                f"{_ratio(r['peak_rss_mb'], plain and plain['peak_rss_mb'])} |"
            )
        out.append("")
    if construction:
        out += [
            "### Construction (set-up only: the call that lists and builds the dataset), then the first batch",
            "",
            "Each cell: set-up wall seconds, median (min-max); set-up CPU seconds, median (min-max); the library's "
            "import (CPU seconds, before the timer, not in the set-up); first batch seconds. The ratios are ours "
            "plain / Keras plain per round (the two ran back to back), median (min-max).",
            "",
        ]
        loaders = [l for l in next(iter(construction.values())) if l != "ratios"]
        out += ["| files | " + " | ".join(NAMES[l] for l in loaders)
                + " | set-up, ours plain / Keras plain (wall) | (CPU) |",
                "|---:|" + "---:|" * (len(loaders) + 2)]
        for files, row in construction.items():
            cells = [_construction_cell(row[l]) for l in loaders]
            ratios = row.get("ratios") or {}
            cells += [_spread_text(ratios.get(f), "×") for f in ("setup_s", "setup_cpu_s")]
            out.append(f"| {files:,} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def _spread_text(spread, unit=""):
    if not spread:
        return "–"
    median, low, high = spread
    return f"{median:.2f}{unit} ({low:.2f}-{high:.2f})"


def _construction_cell(figures):
    if figures is None:
        return "error"
    wall, cpu, imported, first = (figures[f] for f in CONSTRUCTION_FIGURES)
    return (f"{_spread_text(wall)}; CPU {_spread_text(cpu)}; import CPU {imported[0]:.2f}; "
            f"1st batch {first[0]:.2f}")


def link_tree(cache, source, count):
    """cache/links_<count>/{a,b}/...: `count` hard links, round robin over `source`'s files."""
    root = os.path.join(cache, f"links_{count}")
    stamp = os.path.join(root, ".settings")
    if os.path.exists(stamp) and open(stamp).read() == f"{source} {count}":
        return root
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(source) for f in fs if f.endswith(".jpg"))
    for i in range(count):
        folder = os.path.join(root, "ab"[i % 2], f"{i // 10000:03d}")
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, f"{i:06d}.jpg")
        if not os.path.exists(target):
            os.link(files[i % len(files)], target)
    with open(stamp, "w") as f:
        f.write(f"{source} {count}")
    return root


CONSTRUCTION_FIGURES = ("setup_s", "setup_cpu_s", "import_cpu_s", "first_batch_s")


def construction_curve(args, counts):
    """{files: {loader: {figure: (median, min, max)} or None, "ratios": ...}} on hard-link trees.

    Figures: the set-up's wall seconds and process CPU seconds (the call alone: the
    library is imported before the timer, and its import's CPU seconds reported), and
    the first batch's latency after it (probing, where a loader probes lazily, happens
    there). "ratios": `{figure: (median, min, max)}` of ours_plain / keras_plain per
    round, for the set-up's wall and CPU seconds (None without both loaders).
    """
    source = make_data(args.cache, f"small_{args.small}", args.small, 250, 500, seed=1)
    curve = {}
    for count in counts:
        directory = link_tree(args.cache, source, count)
        constructors = args.constructors.split(",")
        runs = {loader: [] for loader in constructors}
        rounds = []
        for _ in range(args.repeats):
            this_round = {}
            for loader in constructors:
                r = run_one(loader, directory, args.timeout, epochs=0)
                print(f"# construction {count} {loader}: {json.dumps(r)}", file=sys.stderr)
                if "error" not in r:
                    runs[loader].append(r)
                    this_round[loader] = r
            rounds.append(this_round)
        curve[count] = {
            loader: {f: _spread([r[f] for r in rs]) for f in CONSTRUCTION_FIGURES} if rs else None
            for loader, rs in runs.items()
        }
        paired = [r for r in rounds if "ours_plain" in r and "keras_plain" in r]
        curve[count]["ratios"] = {
            f: _spread([r["ours_plain"][f] / r["keras_plain"][f] for r in paired]) for f in ("setup_s", "setup_cpu_s")
        } if paired else None
    return curve


def _spread(values):
    return float(statistics.median(values)), float(min(values)), float(max(values))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Directory -> augmented batches: throughput, CPU, memory.")
    parser.add_argument("--cache", default="/tmp/keras_aug_bench", help="where the generated JPEGs live")
    parser.add_argument("--small", type=int, default=2000, help="(a) number of 250-500 px JPEGs")
    parser.add_argument("--large", type=int, default=500, help="(b) number of 1,500-4,000 px JPEGs")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--loaders", default=",".join(LOADERS))
    parser.add_argument("--markdown", action="store_true", help="print a README-ready table")
    parser.add_argument("--output", help="also write the markdown to this file")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per loader run")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per run (the last one is 'steady')")
    parser.add_argument("--repeats", type=int, default=3, help="runs per loader (round robin); medians reported")
    parser.add_argument("--construction", default="", help="comma-separated file counts for the set-up curve")
    parser.add_argument("--constructors", default=",".join(CONSTRUCTORS),
                        help=f"loaders of the set-up curve (default: {','.join(CONSTRUCTORS)})")
    parser.add_argument("--_worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._worker:
        return worker(args._worker[0], args._worker[1], int(args._worker[2]))

    command = "python benchmarks/pipeline.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"# {command.strip()}", file=sys.stderr)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    specs = {
        "small": (args.small, 250, 500, f"{args.small} JPEGs of 250-500 px"),
        "large": (args.large, 1500, 4000, f"{args.large} JPEGs of 1,500-4,000 px"),
    }
    all_results = {}
    for name in [d for d in args.datasets.split(",") if d != "none"]:
        count, low, high, desc = specs[name]
        directory = make_data(args.cache, f"{name}_{count}", count, low, high, seed={"small": 1, "large": 2}[name])
        runs = {loader: [] for loader in args.loaders.split(",")}
        # Round robin, so a slow spell of the shared machine hits every loader alike.
        for _ in range(args.repeats):
            for loader in runs:
                r = run_one(loader, directory, args.timeout, args.epochs)
                runs[loader].append(r)
                print(f"# {name} {loader}: {json.dumps(r)}", file=sys.stderr)
        results = [median_of(loader, rs) for loader, rs in runs.items()]
        all_results[name] = (
            desc + f" -> {SIZE[0]}x{SIZE[1]} batches of {BATCH}, {args.epochs} epochs, median of {args.repeats} runs",
            results,
        )
    counts = [int(c) for c in args.construction.split(",") if c]
    construction = construction_curve(args, counts) if counts else None
    if args.markdown or args.output:
        text = markdown(all_results, command.strip(), load, construction)
        if args.markdown:
            print(text)
        if args.output:
            with open(args.output, "w") as f:
                f.write(text + "\n")
    else:
        print(json.dumps({"epochs": {k: v[1] for k, v in all_results.items()}, "construction": construction}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
