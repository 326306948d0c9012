"""Photometric layers: they change pixel values only.

Labels, bounding boxes, segmentation masks and keypoints pass through every
layer here unchanged. Parameters are drawn per sample; see `base` for the
shared dtype, clipping and channel conventions.
"""

from keras_aug.layers.photometric.base import PhotometricAugmentation
from keras_aug.layers.photometric.degeneration import RandomColorDegeneration
from keras_aug.layers.photometric.histogram import CLAHE
from keras_aug.layers.photometric.histogram import AutoContrast
from keras_aug.layers.photometric.histogram import ContrastLimitedAdaptiveHistogramEqualization
from keras_aug.layers.photometric.histogram import Equalization
from keras_aug.layers.photometric.jpeg import JPEG
from keras_aug.layers.photometric.noise import GaussianNoise
from keras_aug.layers.photometric.color import RandomBrightness
from keras_aug.layers.photometric.color import RandomBrightnessScale
from keras_aug.layers.photometric.color import RandomChannelShift
from keras_aug.layers.photometric.color import RandomColorJitter
from keras_aug.layers.photometric.color import RandomContrast
from keras_aug.layers.photometric.color import RandomGrayscale
from keras_aug.layers.photometric.color import RandomHue
from keras_aug.layers.photometric.color import RandomSaturation
from keras_aug.layers.photometric.filters import RandomGaussianBlur
from keras_aug.layers.photometric.filters import RandomSharpness
from keras_aug.layers.photometric.tone import RandomInvert
from keras_aug.layers.photometric.tone import RandomPosterization
from keras_aug.layers.photometric.tone import Solarization

__all__ = [
    "AutoContrast",
    "CLAHE",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "Equalization",
    "GaussianNoise",
    "JPEG",
    "PhotometricAugmentation",
    "RandomColorDegeneration",
    "RandomBrightness",
    "RandomBrightnessScale",
    "RandomChannelShift",
    "RandomColorJitter",
    "RandomContrast",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPosterization",
    "RandomSaturation",
    "RandomSharpness",
    "Solarization",
]
