"""Core machinery: the base layer, sampling, input structures, matrices and the one warp."""

from keras_aug.core.base import Augmentation
from keras_aug.core.base import ImageShape
from keras_aug.core.geometric import GeometricAugmentation
from keras_aug.core.geometric import exact_index_move
from keras_aug.core.geometric import move_annotations
from keras_aug.core.geometric import transform_batch
from keras_aug.core.randomness import Draws
from keras_aug.core.structures import Batch
