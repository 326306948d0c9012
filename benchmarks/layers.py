"""Throughput of keras_aug layers against Keras 3's own layers (and Albumentations).

One batch (default 64 x 224 x 224 x 3) on the CPU, called again and again:
  * keras_aug layers: uint8 and float32 inputs, in `tf.function` and in
    `tf.function(jit_compile=True)` (XLA);
  * the Keras 3 counterpart (`keras.layers.X`, same arguments,
    `training=True`), float32, in `tf.function`, and under XLA where it
    compiles (Keras's geometric layers use `ImageProjectiveTransformV3`,
    which has no XLA kernel: those rows say so);
  * the augmentation chain RandomFlip + RandomRotation(15 deg) +
    RandomZoom(0.2) + RandomTranslation(0.1, 0.1) + RandomShear(0.2):
    Keras's layers in a `keras.Sequential` (4 resamples) against
    `keras_aug.Pipeline` (one resample), and the same chain in Albumentations
    (uint8, OpenCV, one image at a time in a Python loop, stacked into a batch);
  * RandomResizedCrop and RandomAffine, which Keras lacks, against
    Albumentations.

Keras's AugMix draws its ops with Python's `random` when it is traced, so
one compiled function costs what its one draw of ops costs (13-27 CPU ms/image
over six runs of the same case): its row is the mean over 6 traces, seeded
0-5 so every run times the same draws, and the spread is printed.

Each row reports the median over `--repeats` of images/s (wall clock) and of
process CPU milliseconds per image (all threads, `time.process_time()`).
On a shared or throttled machine the CPU time is the steadier figure. The
"x ref" columns divide by the case's reference row measured in the same run
(the best Keras variant, else Albumentations): images/s ours / ref and
CPU ms ref / ours, so above 1 means faster than the reference.

With `--backend jax` the same cases run under Keras's JAX backend: ours and
Keras's layers each as `jax.jit` of the layer's `stateless_call` (the call
counter threads through, as in `fit`), and eagerly with `--eager`. The JAX run
imports no TensorFlow (benchmarks/gpu_check.sh runs it on a GPU machine
without TensorFlow); `CUDA_VISIBLE_DEVICES` is left alone there.

    python benchmarks/layers.py --repeats 3 --markdown
    python benchmarks/layers.py --quick                  # smoke run
    python benchmarks/layers.py --only 'chain|Rotation'  # some cases
    python benchmarks/layers.py --backend jax --eager --only 'chain|Flip'
    python benchmarks/layers.py --eager-only --batch 1      # eager calls only
"""

import argparse
import dataclasses
import math
import os
import random
import re
import statistics
import sys

BACKENDS = ("tensorflow", "jax")


def _backend_from_argv(argv):
    """--backend is read before Keras is imported: Keras picks its backend once per process."""
    for i, arg in enumerate(argv):
        if arg.startswith("--backend"):
            value = arg.split("=", 1)[1] if "=" in arg else (argv[i + 1] if i + 1 < len(argv) else "")
            if value not in BACKENDS:
                sys.exit(f"error: --backend must be one of {BACKENDS}; got {value!r}")
            return value
    return "tensorflow"


BACKEND = _backend_from_argv(sys.argv[1:])
os.environ["KERAS_BACKEND"] = BACKEND
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if BACKEND == "tensorflow":
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # the CPU numbers, even where a GPU exists

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import keras  # noqa: E402
import keras_aug  # noqa: E402
from keras_aug.core import eager  # noqa: E402
from _runners import modes as run_modes  # noqa: E402
from _runners import runner  # noqa: E402
from _common import Measurement  # noqa: E402
from _common import fmt  # noqa: E402
from _common import machine_notes  # noqa: E402
from _common import markdown_table  # noqa: E402
from _common import measure  # noqa: E402
from _common import ratio  # noqa: E402
from _common import text_table  # noqa: E402

try:
    import albumentations as A  # noqa: N812
    import cv2
except ImportError:  # optional: pip install 'keras-aug-layers[bench]'
    A = None
    cv2 = None

ROTATION = 15 / 360  # Keras factor: a fraction of a full turn (+-15 degrees)
SHEAR_DEG = math.degrees(math.atan(0.2))  # Keras shear factor 0.2 as an angle


@dataclasses.dataclass
class Case:
    name: str
    ours: object = None  # () -> keras_aug layer
    keras: object = None  # () -> Keras layer
    albumentations: object = None  # () -> A.Compose
    labels: bool = False  # feed {"images", "labels"} dicts (mixing layers)
    unfused: object = None  # () -> keras_aug layers in a keras.Sequential (chain only)
    note: str = ""
    keras_bytes_per_value: int = 0  # memory Keras's layer holds per input value, if large (skipped past KERAS_MAX_BYTES)
    # Keras's layer draws its ops with Python's `random` when it is traced, so one
    # trace costs what that one draw costs: average this many traces (seeded 0..n-1).
    keras_traces: int = 1
    # Per-call cost that varies with the random draws (the policies' ops, and the
    # row tiers they fall in: 5-15 CPU ms/image from call to call for AugMix on
    # a busy machine) needs more calls per repeat: at least this many CPU-s.
    min_repeat_s: float = 0.0


KERAS_MAX_BYTES = 4 << 30


def _layer(module, name):
    """keras_aug.<name> if it exists, else None (the case is skipped with a note)."""
    return getattr(keras_aug, name, None) if module is None else getattr(module, name, None)


def chain_keras():
    return keras.Sequential([
        keras.layers.RandomFlip(),
        keras.layers.RandomRotation(ROTATION),
        keras.layers.RandomZoom(0.2),
        keras.layers.RandomTranslation(0.1, 0.1),
        keras.layers.RandomShear(0.2),
    ])


def chain_ours_layers():
    return [
        keras_aug.RandomFlip(),
        keras_aug.RandomRotation(ROTATION),
        keras_aug.RandomZoom(0.2),
        keras_aug.RandomTranslation(0.1, 0.1),
        keras_aug.RandomShear(0.2),
    ]


def chain_albumentations():
    return A.Compose([
        A.HorizontalFlip(p=0.5),
        A.VerticalFlip(p=0.5),
        A.Affine(rotate=(-15, 15), scale=(0.8, 1.2), keep_ratio=True, translate_percent=(-0.1, 0.1),
                 shear={"x": (-SHEAR_DEG, SHEAR_DEG), "y": (0, 0)}, interpolation=cv2.INTER_LINEAR,
                 border_mode=cv2.BORDER_REFLECT, p=1.0),
    ])


def build_cases(size):
    crop = size * 7 // 8
    resize = size * 5 // 7
    k = keras.layers
    cases = [
        Case("RandomFlip", lambda: keras_aug.RandomFlip(), lambda: k.RandomFlip()),
        Case("RandomRotation(15/360)", lambda: keras_aug.RandomRotation(ROTATION),
             lambda: k.RandomRotation(ROTATION)),
        Case("RandomZoom(0.2)", lambda: keras_aug.RandomZoom(0.2), lambda: k.RandomZoom(0.2)),
        Case("RandomTranslation(0.1, 0.1)", lambda: keras_aug.RandomTranslation(0.1, 0.1),
             lambda: k.RandomTranslation(0.1, 0.1)),
        Case("RandomShear(0.2, 0.2)", lambda: keras_aug.RandomShear(0.2, 0.2), lambda: k.RandomShear(0.2, 0.2)),
        Case(f"RandomCrop({crop}, {crop})", lambda: keras_aug.RandomCrop(crop, crop),
             lambda: k.RandomCrop(crop, crop)),
        Case(f"RandomResizedCrop({size}, {size})", lambda: keras_aug.RandomResizedCrop(size, size),
             albumentations=(lambda: A.Compose([A.RandomResizedCrop(size=(size, size), p=1.0)])) if A else None,
             note="Keras 3 has no RandomResizedCrop"),
        Case("RandomAffine(15, translate, scale, shear)",
             lambda: keras_aug.RandomAffine(15, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10,
                                            fill_mode="reflect"),
             albumentations=(lambda: A.Compose([A.Affine(
                 rotate=(-15, 15), translate_percent=(-0.1, 0.1), scale=(0.8, 1.2), keep_ratio=True,
                 shear={"x": (-10, 10), "y": (0, 0)}, interpolation=cv2.INTER_LINEAR,
                 border_mode=cv2.BORDER_REFLECT, p=1.0)])) if A else None,
             note="Keras 3 has no RandomAffine"),
        Case(f"Resizing({resize}, {resize})", lambda: keras_aug.Resizing(resize, resize),
             lambda: k.Resizing(resize, resize)),
        Case("RandomPerspective(factor=1, scale=0.5)",
             lambda: keras_aug.RandomPerspective(factor=(1.0, 1.0), scale=0.5),
             lambda: k.RandomPerspective(factor=(1.0, 1.0), scale=0.5)),
        Case("RandomElasticTransform(factor=1)",
             lambda: keras_aug.RandomElasticTransform(factor=(1.0, 1.0)),
             lambda: k.RandomElasticTransform(factor=(1.0, 1.0))),
        Case("chain: Flip+Rotation+Zoom+Translation+Shear",
             lambda: keras_aug.Pipeline(chain_ours_layers()), chain_keras,
             albumentations=chain_albumentations if A else None,
             unfused=lambda: keras.Sequential(chain_ours_layers())),
    ]
    erasing = _layer(None, "RandomErasing")
    cases.append(Case("RandomErasing", (lambda: erasing(factor=1.0)) if erasing else None,
                      lambda: k.RandomErasing(factor=1.0),
                      note="" if erasing else "keras_aug.RandomErasing not available yet"))
    for name, ours_kwargs, keras_kwargs in (("CutMix", {"factor": 1.0}, {"factor": 1.0}),
                                            ("MixUp", {"alpha": 0.2}, {"alpha": 0.2})):
        cls = _layer(None, name)
        cases.append(Case(name, (lambda cls=cls, kw=ours_kwargs: cls(**kw)) if cls else None,
                          lambda name=name, kw=keras_kwargs: getattr(k, name)(**kw), labels=True,
                          note="" if cls else f"keras_aug.{name} not available yet"))
    cases.extend(colour_cases())
    cases.extend(keras_named_cases(size))
    cases.extend(policy_cases())
    return cases


def keras_named_cases(size):
    """The other layers named as Keras's, same arguments on both sides (the eager comparison of issue 10)."""
    value_range = {"value_range": (0, 255)}
    arguments = {
        "CenterCrop": {"height": size * 7 // 8, "width": size * 7 // 8},
        "RandomBrightness": {"factor": 0.2, **value_range},
        "RandomContrast": {"factor": 0.2, **value_range},
        "RandomSaturation": {"factor": (0.2, 0.8), **value_range},
        "RandomHue": {"factor": 0.2, **value_range},
        "RandomGrayscale": {"factor": 0.5},
        "RandomColorJitter": {"brightness_factor": 0.2, "contrast_factor": 0.2, "saturation_factor": (0.3, 0.7),
                              "hue_factor": 0.1, **value_range},
        "RandomInvert": {"factor": 0.5, **value_range},
        "Solarization": {"addition_factor": 0.0, "threshold_factor": 0.5, **value_range},
        "RandomPosterization": {"factor": (1, 8), **value_range},
        "RandomSharpness": {"factor": 0.5, **value_range},
        "RandomGaussianBlur": {"factor": 1.0, "sigma": 1.0, **value_range},
    }
    return [Case(name, lambda name=name, kw=kw: getattr(keras_aug, name)(**kw),
                 lambda name=name, kw=kw: getattr(keras.layers, name)(**kw)) for name, kw in arguments.items()]


def colour_cases():
    """The colour layers of issue 12: against Keras's same layers, else Albumentations."""
    k = keras.layers
    cases = [
        Case("AutoContrast", lambda: keras_aug.AutoContrast(), lambda: k.AutoContrast()),
        Case("Equalization", lambda: keras_aug.Equalization(), lambda: k.Equalization()),
        # Keras's CLAHE counts with one_hot: 256 float32 per input value.
        Case("CLAHE(clip_limit=4, tile_grid_size=(8, 8))", lambda: keras_aug.CLAHE(),
             lambda: k.ContrastLimitedAdaptiveHistogramEqualization(), keras_bytes_per_value=256 * 4),
        Case("RandomColorDegeneration(0.5)", lambda: keras_aug.RandomColorDegeneration(0.5),
             lambda: k.RandomColorDegeneration(0.5)),
        Case("GaussianNoise(sigma=(0.02, 0.1))", lambda: keras_aug.GaussianNoise(sigma=(0.02, 0.1)),
             albumentations=(lambda: A.Compose([A.GaussNoise(std_range=(0.02, 0.1), p=1.0)])) if A else None,
             note="Keras's GaussianNoise is a regularization layer (one absolute stddev), not compared"),
        Case("JPEG((20, 80))", lambda: keras_aug.JPEG((20, 80)),
             albumentations=(lambda: A.Compose([A.ImageCompression(quality_range=(20, 80), p=1.0)])) if A else None,
             note="Keras 3 has no JPEG layer; ours does not compile under XLA (TF has no XLA JPEG kernel)"),
    ]
    return cases


def policy_cases():
    """The automatic policies of issue 12, against Keras's same layers."""
    k = keras.layers
    return [
        Case("RandAugment(num_ops=2)", lambda: keras_aug.RandAugment(num_ops=2, factor=0.5),
             lambda: k.RandAugment(num_ops=2, factor=0.5), min_repeat_s=2.0),
        Case("AugMix", lambda: keras_aug.AugMix(), lambda: k.AugMix(), keras_traces=6, min_repeat_s=2.0),
    ]


@dataclasses.dataclass
class Row:
    case: str
    implementation: str
    dtype: str
    compiled: str
    result: Measurement
    reference: bool = False


def keras_timed(case, timed_run):
    """(row label, (run-as label, measurement)) of Keras's layer, averaged over `case.keras_traces` traces."""
    runs = []
    for trace in range(case.keras_traces):
        random.seed(trace)  # the ops Keras's AugMix draws at trace time, the same in every benchmark run
        layer = case.keras()
        runs.append(timed_run(layer))
    label = "Keras layers in keras.Sequential" if isinstance(layer, keras.Sequential) else "keras.layers"
    if len(runs) == 1:
        return label, runs[0]
    results = [m for _, m in runs]
    failed = next((m for m in results if not m.ok), None)
    if failed is not None:
        return label, (runs[0][0], failed)
    cpus = [m.cpu_ms_per_image for m in results]
    print(f"   Keras, {len(runs)} traces ({runs[0][0]}): CPU ms/image {min(cpus):.2f}-{max(cpus):.2f}", flush=True)
    mean = Measurement(statistics.mean(m.images_per_s for m in results), statistics.mean(cpus),
                       compile_s=statistics.mean(m.compile_s for m in results))
    return f"keras.layers (mean of {len(runs)} traces)", (runs[0][0], mean)


def albumentations_runner(compose, images):
    def run():
        return np.stack([compose(image=image)["image"] for image in images])
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--min-repeat-s", type=float, default=0.5,
                        help="CPU seconds each timed repeat lasts at least (calls are repeated)")
    parser.add_argument("--only", default=None, help="regex on the case name")
    parser.add_argument("--markdown", action="store_true", help="print a README-ready markdown table")
    parser.add_argument("--quick", action="store_true", help="smoke run: batch 8, 64x64, 1 short repeat")
    parser.add_argument("--backend", choices=BACKENDS, default="tensorflow",
                        help="Keras backend (read before Keras is imported)")
    parser.add_argument("--eager", action="store_true", help="also time eager calls (ours and Keras's)")
    parser.add_argument("--eager-only", action="store_true", help="time eager calls only")
    args = parser.parse_args(argv)
    if args.quick:
        args.batch, args.size, args.repeats, args.min_repeat_s = 8, 64, 1, 0.05

    notes = machine_notes()
    notes.append(f"batch {args.batch} x {args.size} x {args.size} x 3, median of {args.repeats} repeats "
                 f"of >= {args.min_repeat_s:g} CPU-s each, after warm-up")
    for line in notes:
        print(line, flush=True)

    rng = np.random.default_rng(0)
    images_u8 = rng.integers(0, 256, (args.batch, args.size, args.size, 3), dtype=np.uint8)
    to_tensor = keras.ops.convert_to_tensor
    inputs = {"uint8": to_tensor(images_u8), "float32": to_tensor(images_u8.astype(np.float32))}
    labels = to_tensor(np.eye(10, dtype=np.float32)[rng.integers(0, 10, args.batch)])
    modes = ("eager",) if args.eager_only else run_modes(BACKEND, args.eager)
    pattern = re.compile(args.only) if args.only else None

    rows, skipped = [], []
    for case in build_cases(args.size):
        if pattern and not pattern.search(case.name):
            continue
        print(f"\n== {case.name}", flush=True)

        def record(implementation, dtype, compiled, result, reference=False, case=case):
            rows.append(Row(case.name, implementation, dtype, compiled, result, reference))
            text = (f"{result.images_per_s:8.1f} img/s  {result.cpu_ms_per_image:7.3f} CPU ms/img"
                    if result.ok else f"failed: {result.error}")
            print(f"   {implementation:44s} {dtype:8s} {compiled:12s} {text}", flush=True)

        def feed(dtype, case=case):
            x = inputs[dtype]
            return {"images": x, "labels": labels} if case.labels else x

        def timed(run):
            floor = 0.0 if args.quick else case.min_repeat_s
            return measure(run, args.batch, repeats=args.repeats, min_repeat_s=max(args.min_repeat_s, floor))

        def timed_run(layer, x, mode):
            """(run-as label, measurement) of `layer` on `x`: mode "eager", False (graph) or True (XLA)."""
            label, run = runner(BACKEND, layer, x, mode)
            if mode == "eager":  # ours: past the op-by-op calls of a new signature (keras_aug.core.eager)
                for _ in range(eager.COMPILE_AFTER_CALLS):
                    run()
            return label, timed(run)

        keras_bytes = args.batch * args.size * args.size * 3 * case.keras_bytes_per_value
        if case.keras is not None and keras_bytes > KERAS_MAX_BYTES:
            skipped.append(f"{case.name} (Keras): needs about {keras_bytes / 2**30:.0f} GiB; run with a smaller --batch")
            print(f"   Keras skipped: about {keras_bytes / 2**30:.0f} GiB of histograms", flush=True)
        elif case.keras is not None:
            for mode in modes:
                label, result = keras_timed(case, lambda layer, mode=mode: timed_run(layer, feed("float32"), mode))
                record(label, "float32", *result)
        if case.albumentations is not None:
            record("Albumentations (OpenCV, per image)", "uint8", "NumPy loop",
                   timed(albumentations_runner(case.albumentations(), images_u8)))
        if case.ours is None:
            skipped.append(f"{case.name}: {case.note}")
            print(f"   skipped: {case.note}", flush=True)
            continue
        label = "keras_aug.Pipeline (fused)" if case.unfused else "keras_aug"
        for dtype in ("uint8", "float32"):
            for mode in modes:
                record(label, dtype, *timed_run(case.ours(), feed(dtype), mode))
        if case.unfused is not None and not args.eager_only:
            for mode in run_modes(BACKEND, eager=False):
                record("keras_aug layers in keras.Sequential (unfused)", "uint8",
                       *timed_run(case.unfused(), feed("uint8"), mode))

    table = report(rows)
    print()
    if args.markdown:
        print(markdown_table(*table))
        print()
        for line in notes:
            print(f"- {line}")
        for line in summary(rows):
            print(f"- {line}")
        for line in skipped:
            print(f"- skipped {line}")
    else:
        print(text_table(*table))
        for line in summary(rows) + [f"skipped {s}" for s in skipped]:
            print(line)


def _best(rows, predicate, key="cpu"):
    ok = [r for r in rows if predicate(r) and r.result.ok]
    if not ok:
        return None
    if key == "cpu":
        return min(ok, key=lambda r: r.result.cpu_ms_per_image)
    return max(ok, key=lambda r: r.result.images_per_s)


def _reference(rows, case):
    """The case's reference: the best Keras row, else the Albumentations row."""
    return (_best(rows, lambda r: r.case == case and r.implementation.startswith(("keras.", "Keras")))
            or _best(rows, lambda r: r.case == case and r.implementation.startswith("Albumentations")))


def report(rows):
    header = ["Case", "Implementation", "Input", "Run as", "images/s", "CPU ms/image", "× ref images/s",
              "× ref CPU"]
    out = []
    for row in rows:
        ref = _reference(rows, row.case)
        r = row.result
        if not r.ok:
            out.append([row.case, row.implementation, row.dtype, row.compiled, "—", f"fails: {r.error}", "", ""])
            continue
        is_ref = ref is row
        out.append([
            row.case, row.implementation, row.dtype, row.compiled, fmt(r.images_per_s), fmt(r.cpu_ms_per_image, 2),
            "reference" if is_ref else ratio(r.images_per_s, ref.result.images_per_s if ref else None),
            "reference" if is_ref else ratio(ref.result.cpu_ms_per_image if ref else None, r.cpu_ms_per_image),
        ])
    return header, out


def policy_summary(rows):
    """The issue's targets: RandAugment(num_ops=2) vs one RandomAffine and vs Keras; AugMix vs Keras."""
    lines = []

    def ours(case, dtype, compiled):
        return _best(rows, lambda r: r.case.startswith(case) and r.implementation == "keras_aug"
                     and r.dtype == dtype and r.compiled == compiled)

    for dtype in ("uint8", "float32"):
        for compiled in sorted({r.compiled for r in rows if r.implementation == "keras_aug"}):
            rand, affine = ours("RandAugment", dtype, compiled), ours("RandomAffine", dtype, compiled)
            if rand and affine:
                lines.append(f"RandAugment(num_ops=2) / one RandomAffine, CPU ms/image ({dtype}, {compiled}): "
                             f"{rand.result.cpu_ms_per_image:.2f} / {affine.result.cpu_ms_per_image:.2f} = "
                             f"{rand.result.cpu_ms_per_image / affine.result.cpu_ms_per_image:.2f}x (target <= 2x)")
    for case, target in (("RandAugment", 5), ("AugMix", 3)):
        mine = _best(rows, lambda r: r.case.startswith(case) and r.implementation == "keras_aug")
        ref = _reference(rows, next((r.case for r in rows if r.case.startswith(case)), None))
        if mine and ref:
            lines.append(f"{case}: Keras's best {ref.result.cpu_ms_per_image:.2f} CPU ms/image ({ref.compiled}) / "
                         f"ours {mine.result.cpu_ms_per_image:.2f} ({mine.dtype}, {mine.compiled}) = "
                         f"{ref.result.cpu_ms_per_image / mine.result.cpu_ms_per_image:.1f}x less CPU "
                         f"(target >= {target}x)")
    return lines


def summary(rows):
    lines = policy_summary(rows)
    chain = [r for r in rows if r.case.startswith("chain")]
    if not chain:
        return lines
    ours = _best(chain, lambda r: r.implementation.startswith("keras_aug.Pipeline"), key="rate")
    ours_u8 = _best(chain, lambda r: r.implementation.startswith("keras_aug.Pipeline") and r.dtype == "uint8")
    keras_best = _best(chain, lambda r: r.implementation.startswith("Keras"), key="rate")
    albu = _best(chain, lambda r: r.implementation.startswith("Albumentations"))
    if ours and keras_best:
        lines.append(
            f"chain, images/s: best keras_aug.Pipeline ({ours.dtype}, {ours.compiled}) "
            f"{ours.result.images_per_s:.0f} vs best Keras ({keras_best.compiled}) "
            f"{keras_best.result.images_per_s:.0f}: {ours.result.images_per_s / keras_best.result.images_per_s:.1f}x")
    if ours_u8 and keras_best:
        lines.append(
            f"chain, CPU ms/image: keras_aug.Pipeline ({ours_u8.dtype}, {ours_u8.compiled}) "
            f"{ours_u8.result.cpu_ms_per_image:.2f} vs Keras {keras_best.result.cpu_ms_per_image:.2f}: "
            f"{keras_best.result.cpu_ms_per_image / ours_u8.result.cpu_ms_per_image:.1f}x less CPU")
    if ours_u8 and albu:
        lines.append(
            f"chain vs Albumentations (uint8): keras_aug.Pipeline ({ours_u8.compiled}) "
            f"{ours_u8.result.images_per_s:.0f} images/s, {ours_u8.result.cpu_ms_per_image:.2f} CPU ms/image; "
            f"Albumentations {albu.result.images_per_s:.0f} images/s, {albu.result.cpu_ms_per_image:.2f} "
            f"CPU ms/image (ratio ours/Albumentations: images/s "
            f"{ours_u8.result.images_per_s / albu.result.images_per_s:.2f}x, CPU "
            f"{albu.result.cpu_ms_per_image / ours_u8.result.cpu_ms_per_image:.2f}x)")
    return lines


if __name__ == "__main__":
    main()
