"""A fused run made only of layers without an interpolation (flips, quarter turns) moves pixels exactly."""

import numpy as np
import tensorflow as tf

import keras_aug
from geo_helpers import textured_image
from keras_aug.core import randomness

SQUARE = np.stack([textured_image(24, 24, 3, seed=i) for i in range(4)])


def test_run_of_flips_and_quarter_turns_equals_np_flip_and_rot90():
    def layers():
        return [keras_aug.RandomFlip(), keras_aug.RandomRotate90()]

    pipe = keras_aug.Pipeline(layers())
    assert [(kind, len(item)) for kind, item, _ in pipe._steps] == [("fused", 2)]
    seed = tf.constant([3, 8])
    fused = pipe(SQUARE, training=True, seed=seed).numpy()
    # The same draws, one layer at a time (the pipeline folds the layer's index into the seed).
    flip, turn = layers()
    flipped = flip(SQUARE, training=True, seed=randomness.fold_in(seed, 0)).numpy()
    expected = turn(flipped, training=True, seed=randomness.fold_in(seed, 1)).numpy()
    np.testing.assert_allclose(fused, expected, atol=1e-4)
    # Every output sample is one of the 8 flips/turns of its input, exactly.
    for out, image in zip(fused, SQUARE):
        candidates = [np.rot90(f, k) for f in (image, image[:, ::-1]) for k in range(4)]
        assert min(np.max(np.abs(out - c)) for c in candidates) < 1e-4
