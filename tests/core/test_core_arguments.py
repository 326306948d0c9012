"""Argument parsing: ranges, sizes, choices; every error names the argument."""

import pytest

from keras_aug.core import arguments


def test_parse_range_number_and_pair():
    assert arguments.parse_range(0.2, "factor") == (-0.2, 0.2)
    assert arguments.parse_range((0.1, 0.3), "factor") == (0.1, 0.3)
    assert arguments.parse_range(0.5, "x", symmetric=False) == (0.0, 0.5)
    assert arguments.parse_range(2.0, "s", symmetric=False, default_low=1.0) == (1.0, 2.0)


@pytest.mark.parametrize("value, kwargs, fragment", [
    (-0.1, {}, ">= 0"),
    ((0.3, 0.1), {}, "low <= high"),
    ("a", {}, "number or a \\(low, high\\) pair"),
    ((1, 2, 3), {}, "number or a \\(low, high\\) pair"),
    (True, {}, "number or a \\(low, high\\) pair"),
    (-0.5, {"symmetric": False}, "as a single number must be >= 0.0"),
    ((-2.0, 0.0), {"minimum": -1.0}, ">= -1.0"),
    ((0.0, 2.0), {"maximum": 1.0}, "<= 1.0"),
])
def test_parse_range_errors_name_argument(value, kwargs, fragment):
    with pytest.raises(ValueError, match=f"`factor`.*{fragment}"):
        arguments.parse_range(value, "factor", **kwargs)


@pytest.mark.parametrize("value", [0, -3, 2.5, True, "4"])
def test_parse_size_errors(value):
    with pytest.raises(ValueError, match="`height` must be a positive int"):
        arguments.parse_size(value, "height")


def test_parse_choice_and_probability():
    assert arguments.parse_choice("a", "mode", ("a", "b")) == "a"
    with pytest.raises(ValueError, match="`mode` must be one of \\('a', 'b'\\); got 'c'"):
        arguments.parse_choice("c", "mode", ("a", "b"))
    assert arguments.parse_probability(1, "p") == 1.0
    with pytest.raises(ValueError, match="`p` must be a number in \\[0, 1\\]"):
        arguments.parse_probability(1.5, "p")
