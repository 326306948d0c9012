"""Runs Keras 3's own test files for the layers we share a name with, against ours.

Keras ships its preprocessing tests inside the installed package
(`keras/src/layers/preprocessing/image_preprocessing/*_test.py`). They build layers as
`layers.RandomFlip(...)` with `from keras.src import layers`; this script swaps those
names for keras_aug's classes before the test modules are imported, then runs them with
pytest and prints the pass counts per family. Tests of Keras internals (mocked
`self.backend.random`, `transform_bounding_boxes`, `get_random_transformation`) fail
here by construction; read the failures with `--verbose`.

    python tools/keras_reference_suite.py                      # TensorFlow backend
    KERAS_BACKEND=jax python tools/keras_reference_suite.py    # once the layers run on JAX
    python tools/keras_reference_suite.py --family "new colour"  # one family
"""

import argparse
import os
import pathlib
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
}

PLUGIN = '''
import keras_aug
from keras.src import layers

for name, value in list(vars(keras_aug).items()):
    if isinstance(value, type) and hasattr(layers, name):
        setattr(layers, name, value)
'''


def keras_test_dir():
    import keras

    return pathlib.Path(keras.__file__).parent / "src" / "layers" / "preprocessing" / "image_preprocessing"


def run_family(files, plugin_dir, verbose):
    repo = pathlib.Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin_dir), str(repo), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "pytest", "-p", "keras_aug_swap", "-q", "-p", "no:cacheprovider",
               "-o", "addopts=", "--rootdir", str(plugin_dir), *map(str, files)]
    if verbose:
        command.append("-rf")
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=plugin_dir)
    lines = result.stdout.strip().splitlines()
    if verbose:
        print("\n".join(line for line in lines if line.startswith("FAILED")))
    return lines[-1] if lines else result.stderr.strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="list each failing test")
    parser.add_argument("--family", choices=sorted(FAMILIES), action="append",
                        help="run only this family (repeatable); default: all")
    args = parser.parse_args()
    directory = keras_test_dir()
    with tempfile.TemporaryDirectory() as plugin_dir:
        pathlib.Path(plugin_dir, "keras_aug_swap.py").write_text(PLUGIN)
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        for family, names in FAMILIES.items():
            if args.family and family not in args.family:
                continue
            files = [directory / f"{name}_test.py" for name in names]
            print(f"{backend} backend, {family}: {run_family(files, plugin_dir, args.verbose)}")


if __name__ == "__main__":
    main()
