"""tf.data input pipelines: the `flow_from_directory` / `flow_from_dataframe` / `flow`
replacements, with parallel decoding, bad-file skipping and seeded augmentation.

    train = keras_aug.data.from_directory("data/train", target_size=(150, 150),
                                          class_mode="binary", seed=7)
"""

from keras_aug.data.decoding import BadFileLog
from keras_aug.data.listing import WHITE_LIST_FORMATS
from keras_aug.data.sources import from_arrays
from keras_aug.data.sources import from_dataframe
from keras_aug.data.sources import from_directory
from keras_aug.data.sources import scan_directory

__all__ = ["BadFileLog", "WHITE_LIST_FORMATS", "from_arrays", "from_dataframe", "from_directory", "scan_directory"]
