"""GridMask's `period` errors from the shared range parser name `period` (not only its own range check)."""

import pytest

from keras_aug.layers.erasing import GridMask


@pytest.mark.parametrize("period, words", [
    ((0.7, 0.3), ["`period`", "low <= high"]),
    (1.5, ["`period`", "1.0"]),
    ("wide", ["`period`", "a number or a (low, high) pair"]),
])
def test_grid_mask_period_errors_name_period(period, words):
    with pytest.raises(ValueError) as info:
        GridMask(period=period)
    for word in words:
        assert word in str(info.value)
