"""keras_aug: per-sample, seeded, XLA-compiled image augmentation as Keras 3 layers.

Every layer draws its parameters per sample from a seed, moves labels, boxes,
masks and keypoints with the image, compiles under `jit_compile=True`, and is
the identity in `predict`, `evaluate` and exported serving functions.
"""

from keras_aug.layers.compose import Pipeline
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

__version__ = "0.1.0"
