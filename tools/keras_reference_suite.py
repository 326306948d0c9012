"""Runs Keras 3's own test files for the layers we share a name with, against ours.

Keras ships its preprocessing tests inside the installed package
(`keras/src/layers/preprocessing/image_preprocessing/*_test.py`). They build layers as
`layers.RandomFlip(...)` with `from keras.src import layers`; this script swaps those
names for keras_aug's classes before the test modules are imported, then runs them with
pytest and prints, per family, how many pass: of all tests, and of the tests left once
those that cannot pass against another implementation are set aside (`EXCLUDED`: tests
that call Keras internals or expect Keras's own random numbers). Deliberate differences
(`DIFFERENCES`) stay counted as failures. Every failure outside those lists is printed:
it is a gap to fix (or to list, with its reason).

    python tools/keras_reference_suite.py                      # TensorFlow backend
    KERAS_BACKEND=jax python tools/keras_reference_suite.py    # JAX backend
    python tools/keras_reference_suite.py --family "new colour"  # one family
    python tools/keras_reference_suite.py --markdown           # the README's table of listed tests
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile

FAMILIES = {
    "geometric, erasing, mixing": [
        "random_flip", "random_rotation", "random_zoom", "random_translation", "random_shear",
        "random_crop", "center_crop", "random_erasing", "cut_mix", "mix_up",
    ],
    "colour": [
        "random_brightness", "random_contrast", "random_saturation", "random_hue", "random_grayscale",
        "random_color_jitter", "random_invert", "solarization", "random_posterization", "random_sharpness",
        "random_gaussian_blur",
    ],
    "new colour": ["auto_contrast", "equalization", "clahe", "random_color_degeneration"],
    "policies": ["rand_augment", "aug_mix"],
    "perspective, elastic, boxes": ["random_perspective", "random_elastic_transform", "max_num_bounding_box"],
}

INTERNALS = "Keras internals"
KERAS_RANDOM = "Keras's random numbers"

_MOCKED_RNG = "subclasses the layer and patches Keras's `self.backend.random.uniform`"
_BOX_TRANSFORM = "calls `transform_bounding_boxes` with a transformation dict in Keras's private layout"
_IMAGE_TRANSFORM = "calls `get_random_transformation` / `transform_images`, Keras's per-layer internals"

# Tests set aside: test id (class::test) -> (kind, why it cannot pass against another implementation).
EXCLUDED = {
    "RandomFlipTest::test_random_flip_horizontal": (INTERNALS, _MOCKED_RNG),
    "RandomFlipTest::test_random_flip_vertical": (INTERNALS, _MOCKED_RNG),
    **{f"RandomFlipTest::test_random_flip_{tf_data}bounding_boxes_with_{mode}": (INTERNALS, _BOX_TRANSFORM)
       for tf_data in ("", "tf_data_") for mode in ("horizontal", "vertical", "horizontal_and_vertical")},
    **{f"RandomZoomTest::test_random_flip_{tf_data}bounding_boxes_with_zoom_{way}": (INTERNALS, _BOX_TRANSFORM)
       for tf_data in ("", "tf_data_") for way in ("in", "out")},
    **{f"RandomTranslationTest::test_random_flip_{tf_data}bounding_boxes_with_{sign}_shift": (INTERNALS, _BOX_TRANSFORM)
       for tf_data in ("", "tf_data_") for sign in ("negative", "positive")},
    **{f"RandomShearTest::test_random_shear_{tf_data}bounding_boxes_with_{axes}_shift": (INTERNALS, _BOX_TRANSFORM)
       for tf_data in ("", "tf_data_") for axes in ("x", "y", "xy")},
    "RandomErasingTest::test_random_erasing_basic": (INTERNALS, _IMAGE_TRANSFORM),
    "CutMixTest::test_cut_mix_basic": (INTERNALS, _IMAGE_TRANSFORM),
    "MixUpTest::test_mix_up_basic_functionality": (INTERNALS, _IMAGE_TRANSFORM),
    "MixUpTest::test_mix_up_basic_functionality_channel_first": (INTERNALS, _IMAGE_TRANSFORM),
    "MixUpTest::test_mix_up_bounding_boxes": (INTERNALS, _BOX_TRANSFORM),
    "MixUpTest::test_mix_up_tf_data_bounding_boxes": (INTERNALS, _BOX_TRANSFORM),
    "RandomBrightnessTest::test_set_factor_incorrect_length": (INTERNALS, "calls Keras's private `_set_factor`"),
    "RandomBrightnessTest::test_set_factor_incorrect_type": (INTERNALS, "calls Keras's private `_set_factor`"),
    "RandomContrastTest::test_random_contrast_with_value_range_0_to_1": (INTERNALS, _IMAGE_TRANSFORM),
    "RandomContrastTest::test_random_contrast_with_value_range_0_to_255": (INTERNALS, _IMAGE_TRANSFORM),
    "RandomGaussianBlurTest::test_random_erasing_basic": (INTERNALS, _IMAGE_TRANSFORM),
    "RandomPerspectiveTest::test_random_perspective_basic": (INTERNALS, _IMAGE_TRANSFORM),
    **{f"RandomPerspectiveTest::test_random_{name}bounding_boxes_with_{scale}_scale": (INTERNALS, _BOX_TRANSFORM)
       for name in ("perspective_", "flip_tf_data_") for scale in ("small", "large")},
    "RandomElasticTransformTest::test_random_elastic_transform_basic": (INTERNALS, _IMAGE_TRANSFORM),
    "RandAugmentTest::test_graph_issue": (INTERNALS, _IMAGE_TRANSFORM),
    "RandomFlipTest::test_tf_data_compatibility": (
        KERAS_RANDOM, "expects `seed=42` to flip both samples, as Keras's generator draws; ours draws per sample "
                      "from its own counter hash"),
}

# Deliberate differences: test id -> why we differ (counted as failures, and each must fail).
DIFFERENCES = {
    "RandomZoomTest::test_random_zoom_random_zoom_in_tuple_factor": (
        "gives the inverted pair `(-0.4, -0.5)`, which we refuse (Keras sorts it; almost always a typo)"),
    "RandomCropTest::test_dict_input": (
        "expects the masks to keep the input's 4 x 5 size when `training` is unset; a direct call augments here, "
        "and crops images and masks together to 3 x 3"),
    "CenterCropTest::test_center_crop_bounding_boxes_normal": (
        "a box that leaves the crop gets label -1 in both, and here also coordinates -1 (Keras keeps the "
        "clipped zero-width box [5, 2, 5, 4])"),
    "CenterCropTest::test_center_crop_tf_data_bounding_boxes_normal": (
        "as `test_center_crop_bounding_boxes_normal`: the box that left the crop is all -1"),
    "RandomSaturationTest::test_random_saturation_full_saturation": (
        "expects an HSV saturation of 255, which only Keras's output has: on 0-1 inputs with `value_range=(0, 255)` "
        "its pixels reach -253; ours stay in the value range (saturation <= 1)"),
}

PLUGIN = '''
import keras_aug
from keras.src import layers

for name, value in list(vars(keras_aug).items()):
    if isinstance(value, type) and hasattr(layers, name):
        setattr(layers, name, value)
'''

_OUTCOME = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) \S*?::(\w+::[\w\[\]\-.]+)")


def keras_test_dir():
    import keras

    return pathlib.Path(keras.__file__).parent / "src" / "layers" / "preprocessing" / "image_preprocessing"


def run_family(files, plugin_dir):
    """{test id: outcome} for the test files, run against keras_aug's layers."""
    repo = pathlib.Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin_dir), str(repo), os.environ.get("PYTHONPATH", "")]),
               COLUMNS="300")
    command = [sys.executable, "-m", "pytest", "-p", "keras_aug_swap", "-q", "-rA", "-p", "no:cacheprovider",
               "-o", "addopts=", "--rootdir", str(plugin_dir), *map(str, files)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=plugin_dir)
    outcomes = {}
    for line in result.stdout.splitlines():
        match = _OUTCOME.match(line)
        if match:
            outcomes[match.group(2)] = match.group(1)
    if not outcomes:
        raise RuntimeError(f"pytest ran no tests:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return outcomes


def family_of(test_id):
    """The family of a listed test, from its class name (RandomFlipTest -> random_flip)."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", test_id.split("::")[0][: -len("Test")]).lower()
    return next(family for family, names in FAMILIES.items() if snake in names)


def report(family, outcomes, backend):
    """Prints the family's counts and every failure that no list explains; returns the unexplained count."""
    passed = [t for t, outcome in outcomes.items() if outcome == "PASSED"]
    excluded = [t for t in outcomes if t in EXCLUDED]
    counted = len(outcomes) - len(excluded)
    counted_passed = len([t for t in passed if t not in EXCLUDED])
    kinds = {kind: sum(EXCLUDED[t][0] == kind for t in excluded) for kind in (INTERNALS, KERAS_RANDOM)}
    print(f"{backend} backend, {family}: {len(passed)} of {len(outcomes)} pass; without the "
          f"{kinds[INTERNALS]} tests of Keras internals and {kinds[KERAS_RANDOM]} of Keras's random numbers, "
          f"{counted_passed} of {counted} ({100 * counted_passed / counted:.0f}%)")
    unexplained = [t for t, o in outcomes.items() if o != "PASSED" and t not in EXCLUDED and t not in DIFFERENCES]
    stale = [t for t in passed if t in EXCLUDED or t in DIFFERENCES]
    for test_id in unexplained:
        print(f"  failed, not listed: {test_id}")
    for test_id in stale:
        print(f"  listed but passes (update the lists): {test_id}")
    return len(unexplained) + len(stale)


def print_lists(markdown):
    rows = [(t, kind, why) for t, (kind, why) in EXCLUDED.items()]
    rows += [(t, "difference on purpose", why) for t, why in DIFFERENCES.items()]
    if markdown:
        print("| Keras test | Set aside as | Why |\n|---|---|---|")
        for test_id, kind, why in rows:
            print(f"| `{test_id}` | {kind} | {why} |")
        return
    for test_id, kind, why in rows:
        print(f"  [{kind}] {test_id}: {why}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markdown", action="store_true", help="print the listed tests as a markdown table and exit")
    parser.add_argument("--lists", action="store_true", help="also print the listed tests with their reasons")
    parser.add_argument("--family", choices=sorted(FAMILIES), action="append",
                        help="run only this family (repeatable); default: all")
    args = parser.parse_args()
    if args.markdown:
        print_lists(markdown=True)
        return 0
    for test_id in list(EXCLUDED) + list(DIFFERENCES):
        family_of(test_id)  # every listed test names a class of a file we run
    directory = keras_test_dir()
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    problems = 0
    with tempfile.TemporaryDirectory() as plugin_dir:
        pathlib.Path(plugin_dir, "keras_aug_swap.py").write_text(PLUGIN)
        for family, names in FAMILIES.items():
            if args.family and family not in args.family:
                continue
            outcomes = run_family([directory / f"{name}_test.py" for name in names], plugin_dir)
            problems += report(family, outcomes, backend)
    if args.lists:
        print_lists(markdown=False)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
