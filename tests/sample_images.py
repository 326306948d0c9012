"""Deterministic sample images for tests (importable by name from any test directory)."""

import numpy as np


def textured_image(height=48, width=64, channels=3, seed=0):
    """A smooth, asymmetric, photo-like float32 image in [0, 255].

    Smooth gradients plus a few blobs make interpolation errors small and
    every flip/turn distinguishable.
    """
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.zeros((height, width, channels), np.float32)
    for c in range(channels):
        image[..., c] = 60 + 40 * np.sin(x / (5 + 3 * c) + c) + 30 * np.cos(y / (7 + 2 * c))
        for _ in range(4):
            cy, cx = rng.uniform(0, height), rng.uniform(0, width)
            image[..., c] += 80 * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * rng.uniform(3, 9) ** 2))
    return np.clip(image, 0, 255)
