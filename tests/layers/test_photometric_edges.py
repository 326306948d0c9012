"""RandomGrayscale takes (and ignores) `value_range`, like the other color layers, so one can build them alike."""

import numpy as np

from keras_aug.layers.photometric import RandomGrayscale
from sample_images import textured_image


def test_grayscale_accepts_and_ignores_value_range():
    images = np.stack([textured_image(seed=i) for i in range(2)]) / 255.0
    plain = RandomGrayscale(factor=1.0)(images, training=True, seed=1)
    ranged = RandomGrayscale(factor=1.0, value_range=(0, 1))(images, training=True, seed=1)
    np.testing.assert_allclose(ranged, plain)
    luma = images @ np.array([0.2989, 0.5870, 0.1140])  # keras.layers.RandomGrayscale's weights
    np.testing.assert_allclose(ranged, np.repeat(luma[..., None], 3, axis=-1), atol=1e-5)
