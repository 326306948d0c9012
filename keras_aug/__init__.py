"""keras_aug: per-sample, seeded, XLA-compiled image augmentation as Keras 3 layers.

Every layer draws its parameters per sample from a seed, moves labels, boxes,
masks and keypoints with the image, compiles under `jit_compile=True`, and is
the identity in `predict`, `evaluate` and exported serving functions.
`keras_aug.data` builds tf.data pipelines from directories, dataframes and
arrays (the `ImageDataGenerator.flow*` replacements); `keras_aug.visualize` draws
augmented samples with their annotations.

The layers run on the TensorFlow and JAX Keras backends; under JAX they need
no TensorFlow. `keras_aug.data`, `keras_aug.export` and `ImageDataGenerator`
are TensorFlow's (tf.data, SavedModel): they are imported on first use.
"""

import importlib

from keras_aug import visualize
from keras_aug.layers.compose import Pipeline
from keras_aug.layers.composition import RandomApply
from keras_aug.layers.composition import RandomChoice
from keras_aug.layers.composition import RandomOrder
from keras_aug.layers.erasing import GridMask
from keras_aug.layers.erasing import RandomCutout
from keras_aug.layers.erasing import RandomErasing
from keras_aug.layers.geometric import CenterCrop
from keras_aug.layers.geometric import RandomAffine
from keras_aug.layers.geometric import RandomCrop
from keras_aug.layers.geometric import RandomFlip
from keras_aug.layers.geometric import RandomResizedCrop
from keras_aug.layers.geometric import RandomRotate90
from keras_aug.layers.geometric import RandomRotation
from keras_aug.layers.geometric import RandomShear
from keras_aug.layers.geometric import RandomTranslation
from keras_aug.layers.geometric import RandomZoom
from keras_aug.layers.geometric import Resizing
from keras_aug.layers.mixing import CutMix
from keras_aug.layers.mixing import MixUp
from keras_aug.layers.mixing import Mosaic
from keras_aug.layers.photometric import AutoContrast
from keras_aug.layers.photometric import CLAHE
from keras_aug.layers.photometric import ContrastLimitedAdaptiveHistogramEqualization
from keras_aug.layers.photometric import Equalization
from keras_aug.layers.photometric import GaussianNoise
from keras_aug.layers.photometric import JPEG
from keras_aug.layers.photometric import RandomBrightness
from keras_aug.layers.photometric import RandomBrightnessScale
from keras_aug.layers.photometric import RandomChannelShift
from keras_aug.layers.photometric import RandomColorDegeneration
from keras_aug.layers.photometric import RandomColorJitter
from keras_aug.layers.photometric import RandomContrast
from keras_aug.layers.photometric import RandomGaussianBlur
from keras_aug.layers.photometric import RandomGrayscale
from keras_aug.layers.photometric import RandomHue
from keras_aug.layers.photometric import RandomInvert
from keras_aug.layers.photometric import RandomPosterization
from keras_aug.layers.photometric import RandomSaturation
from keras_aug.layers.photometric import RandomSharpness
from keras_aug.layers.photometric import Solarization
from keras_aug.layers.policies import AugMix
from keras_aug.layers.policies import AutoAugment
from keras_aug.layers.policies import RandAugment
from keras_aug.layers.policies import TrivialAugmentWide

__version__ = "0.1.0"

_LAZY = {"data": "keras_aug.data", "export": "keras_aug.export", "ImageDataGenerator": "keras_aug.data.legacy"}


def __getattr__(name):
    """Imports the TensorFlow-only parts on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'keras_aug' has no attribute {name!r}")
    try:
        module = importlib.import_module(_LAZY[name])
    except ImportError as error:
        if "tensorflow" not in str(error):
            raise
        raise ImportError(
            f"keras_aug.{name} needs TensorFlow (tf.data / SavedModel), which is not installed: "
            "pip install tensorflow. The layers themselves run without it under the JAX backend."
        ) from error
    value = module if name != "ImageDataGenerator" else module.ImageDataGenerator
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
