"""Tests written to kill mutants that survived the core's mutation sample (`tools/mutation.py`).

Each checks a documented behaviour no other test pinned down, against hand-computed values.
"""

import numpy as np

from keras_aug.core import matrices as mat


def test_a_point_exactly_on_the_horizon_goes_to_plus_far():
    # w = 1 - 0.5 * x is exactly 0 at x = 2: "w <= 0 sends the point to +FAR", whatever
    # the sign of x' (here 2 - 10 = -8) and y' (-3); dividing by w = 0 would give -inf.
    m = np.float32([[[1, 0, -10], [0, 1, -6], [-0.5, 0, 1]]])
    moved = np.asarray(mat.transform_points(m, np.float32([[[2, 3], [1, 3]]]), projective=True))
    np.testing.assert_array_equal(moved[0, 0], [mat.FAR, mat.FAR])
    np.testing.assert_allclose(moved[0, 1], [-9 / 0.5, -3 / 0.5], rtol=1e-6)  # w = 0.5 in front
