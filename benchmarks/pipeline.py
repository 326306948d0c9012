"""Input-pipeline benchmark: directory of JPEGs -> augmented 150x150 batches of 32.

Loaders, each measured over one full epoch in its OWN subprocess (so peak memory does
not mix):

* ``legacy``: tf-keras ``ImageDataGenerator(rotation_range, width/height_shift_range,
  zoom_range, horizontal_flip).flow_from_directory`` (the example's augmentation);
* ``keras_layers``: ``keras.utils.image_dataset_from_directory`` + Keras 3's
  RandomFlip/RandomRotation/RandomZoom/RandomTranslation mapped in tf.data;
* ``keras_plain``: ``keras.utils.image_dataset_from_directory``, no augmentation;
* ``ours``: ``keras_aug.data.from_directory(..., augment=keras_aug.Pipeline([...]))``;
* ``ours_plain``: ``keras_aug.data.from_directory`` without augmentation (for reference).

Data sets (generated once into ``--cache``, default /tmp/keras_aug_bench):
(a) ``small``: 2,000 photo-like JPEGs of 250-500 px; (b) ``large``: 500 photo-like JPEGs
of 1,500-4,000 px.

Reported per loader: images/s over the epoch (wall clock), process CPU milliseconds per
image (``time.process_time`` over the epoch / images: all threads of the process), peak
RSS of the process (``resource.getrusage``), and the set-up time (listing, probing)
outside the epoch. Each loader runs ``--repeats`` times (default 3), the loaders taking
turns, and the table gives the median of each figure (and the range of the CPU time): on
this shared 2-core machine one run of a loader can be 20-40% off another.

    python benchmarks/pipeline.py --markdown              # everything, README-ready table
    python benchmarks/pipeline.py --small 400 --large 50  # quicker
    python benchmarks/pipeline.py --loaders ours,keras_plain --datasets small
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
LOADERS = ("legacy", "keras_layers", "keras_plain", "ours", "ours_plain")
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
    return (it[i] for i in range(len(it)))


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
    return iter(ds.prefetch(tf.data.AUTOTUNE))


def _ours(directory, augment=True):
    import keras_aug

    if not augment:
        ds = keras_aug.data.from_directory(
            directory, target_size=SIZE, batch_size=BATCH, class_mode="binary", seed=0, verbose=False
        )
        return iter(ds)

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
        directory, target_size=SIZE, batch_size=BATCH, class_mode="binary", seed=0, augment=augment, verbose=False
    )
    return iter(ds)


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


def worker(loader, directory):
    """Runs one loader for one epoch in this process; prints a JSON line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf  # noqa: F401  (import cost outside the timings)

    t0 = time.perf_counter()
    if loader == "legacy":
        batches = _legacy(directory)
    elif loader in ("keras_layers", "keras_plain"):
        batches = _keras(directory, augment=loader == "keras_layers")
    elif loader in ("ours", "ours_plain"):
        batches = _ours(directory, augment=loader == "ours")
    else:
        raise SystemExit(f"unknown loader {loader!r}; choose from {LOADERS}")
    setup = time.perf_counter() - t0
    images = 0
    checksum = 0.0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for x, _ in batches:
        x = np.asarray(x)
        assert x.shape[1:3] == SIZE, x.shape
        images += x.shape[0]
        checksum += float(x[:, ::37, ::37].mean())
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak_mb = _peak_rss_mb()
    print(
        json.dumps(
            dict(
                loader=loader,
                images=images,
                setup_s=setup,
                wall_s=wall,
                images_per_s=images / wall,
                cpu_ms_per_image=1000 * cpu / images,
                peak_rss_mb=peak_mb,
            )
        )
    )


# ------------------------------------------------------------------ main
NAMES = {
    "legacy": "tf-keras ImageDataGenerator.flow_from_directory + augmentation",
    "keras_layers": "keras.utils.image_dataset_from_directory + Keras 3 layers in map",
    "keras_plain": "keras.utils.image_dataset_from_directory, no augmentation",
    "ours": "keras_aug.data.from_directory(augment=Pipeline)",
    "ours_plain": "keras_aug.data.from_directory, no augmentation",
}


def run_one(loader, directory, timeout):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--_worker", loader, directory],
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
    keys = ("images_per_s", "cpu_ms_per_image", "peak_rss_mb", "setup_s")
    out = {"loader": loader, "runs": len(ok), "images": ok[0]["images"]}
    out.update({k: float(statistics.median(r[k] for r in ok)) for k in keys})
    cpu = [r["cpu_ms_per_image"] for r in ok]
    out["cpu_range"] = (min(cpu), max(cpu))
    return out


def _ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "–"


def markdown(all_results, command, load):
    out = [f"Command: `{command}`", "", f"Machine: {os.cpu_count()} CPU cores; load average before the run: {load}", ""]
    for name, (desc, results) in all_results.items():
        by = {r["loader"]: r for r in results if "error" not in r}
        plain, layers, legacy = by.get("keras_plain"), by.get("keras_layers"), by.get("legacy")
        out += [f"### ({name}) {desc}", ""]
        out += [
            "| loader | images/s | CPU ms/image (range) | peak RSS MB | set-up s | images/s vs Keras+layers | vs legacy | vs Keras plain | CPU/image vs Keras plain | peak RSS vs Keras plain |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in results:
            if "error" in r:
                out.append(f"| {NAMES[r['loader']]} | error: {r['error']} |||||||||")
                continue
            out.append(
                f"| {NAMES[r['loader']]} | {r['images_per_s']:.0f} | {r['cpu_ms_per_image']:.2f} "
                f"({r['cpu_range'][0]:.2f}-{r['cpu_range'][1]:.2f}) | "
                f"{r['peak_rss_mb']:.0f} | {r['setup_s']:.1f} | "
                f"{_ratio(r['images_per_s'], layers and layers['images_per_s'])} | "
                f"{_ratio(r['images_per_s'], legacy and legacy['images_per_s'])} | "
                f"{_ratio(r['images_per_s'], plain and plain['images_per_s'])} | "
                f"{_ratio(r['cpu_ms_per_image'], plain and plain['cpu_ms_per_image'])} | "
                f"{_ratio(r['peak_rss_mb'], plain and plain['peak_rss_mb'])} |"
            )
        out.append("")
    return "\n".join(out)


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
    parser.add_argument("--repeats", type=int, default=3, help="runs per loader (round robin); medians reported")
    parser.add_argument("--_worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._worker:
        return worker(*args._worker)

    command = "python benchmarks/pipeline.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"# {command.strip()}", file=sys.stderr)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    specs = {
        "small": (args.small, 250, 500, f"{args.small} JPEGs of 250-500 px"),
        "large": (args.large, 1500, 4000, f"{args.large} JPEGs of 1,500-4,000 px"),
    }
    all_results = {}
    for name in args.datasets.split(","):
        count, low, high, desc = specs[name]
        directory = make_data(args.cache, f"{name}_{count}", count, low, high, seed={"small": 1, "large": 2}[name])
        runs = {loader: [] for loader in args.loaders.split(",")}
        # Round robin, so a slow spell of the shared machine hits every loader alike.
        for _ in range(args.repeats):
            for loader in runs:
                r = run_one(loader, directory, args.timeout)
                runs[loader].append(r)
                print(f"# {name} {loader}: {json.dumps(r)}", file=sys.stderr)
        results = [median_of(loader, rs) for loader, rs in runs.items()]
        all_results[name] = (
            desc + f" -> {SIZE[0]}x{SIZE[1]} batches of {BATCH}, one epoch, median of {args.repeats} runs",
            results,
        )
    if args.markdown or args.output:
        text = markdown(all_results, command.strip(), load)
        if args.markdown:
            print(text)
        if args.output:
            with open(args.output, "w") as f:
                f.write(text + "\n")
    else:
        print(json.dumps({k: v[1] for k, v in all_results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
