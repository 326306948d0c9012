"""Geometric layers: each one matrix per sample (see `keras_aug.core.geometric`)."""

from keras_aug.layers.geometric.affine import RandomAffine
from keras_aug.layers.geometric.elastic import RandomElasticTransform
from keras_aug.layers.geometric.flip import RandomFlip
from keras_aug.layers.geometric.perspective import RandomPerspective
from keras_aug.layers.geometric.rotation import RandomRotate90
from keras_aug.layers.geometric.rotation import RandomRotation
from keras_aug.layers.geometric.sizing import CenterCrop
from keras_aug.layers.geometric.sizing import RandomCrop
from keras_aug.layers.geometric.sizing import RandomResizedCrop
from keras_aug.layers.geometric.sizing import Resizing
from keras_aug.layers.geometric.stretch import RandomShear
from keras_aug.layers.geometric.stretch import RandomTranslation
from keras_aug.layers.geometric.stretch import RandomZoom
