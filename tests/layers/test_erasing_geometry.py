"""RandomErasing's rectangles measured from the pixels, on non-square images.

The reference is geometry: a rectangle drawn to fit must lie inside the image (so the
erased pixels form the whole rectangle, of the drawn size), and its position must be
uniform over every place it fits, along each axis. Tall and wide images tell the axes
apart (a top edge drawn over the width fits a square image but not these).
"""

import numpy as np
import pytest
import tensorflow as tf

from keras_aug.core import Draws
from keras_aug.core import ImageShape
from keras_aug.layers.erasing import RandomErasing

N = 300
SEED = tf.constant([3, 4], tf.int64)


def erased_boxes(height, width, **kwargs):
    """(y0, x0, y1, x1) of the erased pixels of each sample, and whether they fill that box."""
    images = np.ones((N, height, width, 1), np.float32)
    layer = RandomErasing(factor=(1.0, 1.0), fill_mode="constant", fill_value=-1.0, **kwargs)
    hidden = layer(images, seed=SEED).numpy()[..., 0] == -1.0
    boxes, solid = [], []
    for mask in hidden:
        if not mask.any():  # no rectangle fitted in 10 proposals: nothing erased
            boxes.append((0, 0, 0, 0))
            solid.append(True)
            continue
        rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
        y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        boxes.append((y0, x0, y1, x1))
        solid.append(mask.sum() == (y1 - y0) * (x1 - x0))
    return np.array(boxes), np.array(solid)


@pytest.mark.parametrize("height, width", [(24, 32), (32, 24)])
def test_square_rectangles_lie_inside_and_are_uniform_over_their_places(height, width):
    # ratio (1, 1): every rectangle is a square of side round(sqrt(area)); area in
    # [0.2, 0.3] x H x W gives sides 12..15, whole if and only if it lies inside.
    boxes, solid = erased_boxes(height, width, scale=(0.2, 0.3), ratio=(1.0, 1.0))
    y0, x0, y1, x1 = boxes.T
    side_h, side_w = y1 - y0, x1 - x0
    assert solid.all()
    np.testing.assert_array_equal(side_h, side_w)  # not cut by an edge
    low, high = round(np.sqrt(0.2 * height * width)), round(np.sqrt(0.3 * height * width))
    assert side_h.min() >= low and side_h.max() <= high
    # Positions uniform over 0..(size - side): centred ranks have mean 1/2, sd 1/sqrt(12 N).
    for start, size, side in ((y0, height, side_h), (x0, width, side_w)):
        u = (start + 0.5) / (size - side + 1)
        assert abs(u.mean() - 0.5) < 4 / np.sqrt(12 * N)
        assert (start == 0).any() and (start + side == size).any()  # both ends are reached


@pytest.mark.parametrize("height, width", [(24, 32), (32, 24)])
def test_drawn_rectangles_fit_so_nothing_drawn_is_clipped(height, width):
    # Any aspect ratio: the sampled rectangles lie inside the image, and the erased pixels
    # are exactly the rectangle (its full drawn area, not what numpy slicing leaves of it).
    layer = RandomErasing(factor=(1.0, 1.0), scale=(0.05, 0.4), ratio=(0.3, 1 / 0.3), fill_mode="constant",
                          fill_value=-1.0)
    params = layer.sample(ImageShape(N, height, width, 1), Draws(SEED))
    y0, x0, y1, x1 = np.moveaxis(params["rects"].numpy()[:, 0], -1, 0)
    active = params["used"].numpy()[:, 0] & params["active"].numpy()
    assert active.mean() > 0.9
    assert (y0 >= 0).all() and (x0 >= 0).all() and (y1 <= height).all() and (x1 <= width).all()
    boxes, solid = erased_boxes(height, width, scale=(0.05, 0.4), ratio=(0.3, 1 / 0.3))
    assert solid.all()
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    drawn = (y1 - y0) * (x1 - x0)
    np.testing.assert_array_equal(area[active], drawn[active])
