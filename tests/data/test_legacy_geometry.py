"""The legacy front end's warps measured on a non-square image, against legacy's arithmetic.

A 4x4 bright block on a black 50x100 image is moved by the augmentation (nearest
interpolation, black fill); its centroid tells how far it went. On a square image a
shift range divided by the other side would look right; on 50x100 it cannot.
"""

import numpy as np
import pytest

from keras_aug.data.legacy import ImageDataGenerator

H, W = 50, 100
N = 160


def block_image(row, col):
    """Black 50x100 image, a 4x4 block of 255 centred at continuous point (row, col)."""
    image = np.zeros((H, W, 1), np.float32)
    image[int(row) - 2:int(row) + 2, int(col) - 2:int(col) + 2] = 255.0
    return image


def centroids(gen, image):
    """(row, col) centroid, in continuous coordinates, of the block in each of N outputs."""
    ds = gen.flow(np.repeat(image[None], N, axis=0), batch_size=N, shuffle=False, seed=0)
    out = next(iter(ds)).numpy()[..., 0]
    found = []
    for x in out:
        rows, cols = np.nonzero(x > 127)
        assert len(rows), "the block left the image"
        found.append((rows.mean() + 0.5, cols.mean() + 0.5))
    return np.array(found)


def legacy_shift_amplitudes(**kwargs):
    """Legacy's own largest |shift| in pixels along rows (tx) and columns (ty) at 50x100."""
    from tf_keras.preprocessing.image import ImageDataGenerator as Legacy

    legacy = Legacy(**kwargs)
    np.random.seed(0)
    draws = [legacy.get_random_transform((H, W, 1)) for _ in range(2000)]
    return max(abs(d["tx"]) for d in draws), max(abs(d["ty"]) for d in draws)


@pytest.mark.parametrize("height_shift, width_shift", [(5.0, 10.0), (0.1, 0.1), (6, 11)])
def test_shifts_are_legacy_pixels_along_each_axis(height_shift, width_shift):
    # Legacy: height_shift_range moves by up to tx pixels (fractions scaled by the height),
    # width_shift_range by up to ty (scaled by the width). Here height shifts move content
    # vertically and width shifts horizontally (see keras_aug.data.legacy's notes).
    rows_amp, cols_amp = legacy_shift_amplitudes(height_shift_range=height_shift, width_shift_range=width_shift)
    gen = ImageDataGenerator(height_shift_range=height_shift, width_shift_range=width_shift, fill_mode="constant",
                             cval=0.0, interpolation_order=0)
    moved = centroids(gen, block_image(25, 50)) - (25.0, 50.0)
    for axis, amp in ((0, rows_amp), (1, cols_amp)):
        shift = np.abs(moved[:, axis])
        assert shift.max() <= amp + 1.0, (axis, shift.max(), amp)  # + nearest rounding
        assert shift.max() >= 0.75 * amp, (axis, shift.max(), amp)  # the range is used


def test_rotation_turns_about_the_centre_within_the_range():
    # A block 30 px right of the centre of a 50x100 image: rotations keep its distance to
    # the centre (no stretch along either axis) and its angle within +-rotation_range.
    gen = ImageDataGenerator(rotation_range=30, fill_mode="constant", cval=0.0, interpolation_order=0)
    moved = centroids(gen, block_image(25, 80)) - (25.0, 50.0)
    radius = np.hypot(moved[:, 0], moved[:, 1])
    angle = np.degrees(np.arctan2(moved[:, 0], moved[:, 1]))
    np.testing.assert_allclose(radius, 30.0, atol=1.5)
    assert np.abs(angle).max() <= 30.0 + 3.0 and np.abs(angle).max() >= 25.0
    assert (angle > 10).any() and (angle < -10).any()  # both directions
