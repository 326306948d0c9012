"""Imports keras_aug and runs every public layer with `import tensorflow` failing.

Run by tests/test_backends.py as `KERAS_BACKEND=jax python tests/jax/without_tensorflow.py`;
prints one line per layer and exits non-zero on the first failure.
"""

import importlib.abc
import sys


class _NoTensorFlow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" or name.startswith(("tensorflow.", "tf_keras")):
            raise ImportError(f"No module named {name!r} (blocked: this check runs without TensorFlow)")
        return None


sys.meta_path.insert(0, _NoTensorFlow())

import inspect  # noqa: E402

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_aug  # noqa: E402
from keras_aug.core import Augmentation  # noqa: E402

assert keras.backend.backend() == "jax", keras.backend.backend()

# Layers that compute with TensorFlow only (no backend op encodes JPEG): they must refuse clearly.
TENSORFLOW_ONLY = {"JPEG"}
# Layers whose constructor needs arguments: the smallest meaningful ones.
ARGS = {
    "RandomRotation": (0.1,), "RandomZoom": (0.2,), "RandomTranslation": (0.1, 0.1), "RandomAffine": (10,),
    "RandomCrop": (12, 12), "CenterCrop": (12, 12), "Resizing": (12, 20), "RandomResizedCrop": (12, 12),
    "RandomBrightness": (0.2,), "RandomContrast": (0.2,), "RandomHue": (0.1,),
    "RandomSaturation": (0.2,), "RandomSharpness": (0.5,), "RandomPosterization": ((4, 8),),
    "RandomChannelShift": (0.1,), "RandomBrightnessScale": ((0.8, 1.2),),
    "RandomColorDegeneration": (0.5,), "JPEG": (50,), "MaxNumBoundingBoxes": (4,),
    "Pipeline": ([keras_aug.RandomFlip(seed=1), keras_aug.RandomRotation(0.1, seed=2), keras_aug.RandomErasing(seed=3)],),
    "RandomApply": (keras_aug.RandomRotation(0.1), 0.5),
    "RandomChoice": ([keras_aug.RandomBrightness(0.2), keras_aug.RandomRotation(0.1)],),
    "RandomOrder": ([keras_aug.RandomBrightness(0.2), keras_aug.RandomInvert(), keras_aug.RandomRotation(0.1)],),
}


def layers():
    for name in sorted(keras_aug.__all__ if hasattr(keras_aug, "__all__") else dir(keras_aug)):
        value = getattr(keras_aug, name, None) if name not in ("data", "export", "ImageDataGenerator") else None
        if inspect.isclass(value) and issubclass(value, Augmentation):
            yield name, value


def main():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (4, 24, 24, 3)).astype("uint8")  # square: RandomRotate90
    labels = np.eye(4, dtype="float32")
    count = 0
    for name, cls in layers():
        layer = cls(*ARGS.get(name, ()), seed=5)
        if name in TENSORFLOW_ONLY:
            try:
                layer((images, labels), training=True)
            except ValueError as error:
                assert "tf.data" in str(error), (name, str(error))
                print(f"ok {name}: refused without TensorFlow")
                continue
            raise AssertionError(f"{name} ran on JAX arrays; it should have refused")
        eager = layer((images, labels), training=True)
        jitted = jax.jit(lambda x, y: layer((x, y), training=True, seed=(1, 2)))(images, labels)
        for out in (eager, jitted):
            assert isinstance(out[0], jax.Array), (name, type(out[0]))
        print(f"ok {name}: {tuple(eager[0].shape)} {eager[0].dtype}")
        count += 1
    assert "tensorflow" not in sys.modules, "something imported tensorflow"
    print(f"{count} layers ran without TensorFlow")


if __name__ == "__main__":
    main()
