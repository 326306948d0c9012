"""Argument parsing shared by the layers: ranges, sizes, modes, counts, fills.

Every error names the argument and what is allowed. Unlike some Keras layers,
an inverted range `(high, low)` is an error here, not silently sorted: it is
almost always a typo.
"""

import numbers

# The fill modes of the erasing layers (see `keras_aug.layers._fills`).
ERASE_FILL_MODES = ("constant", "random", "mean")


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def parse_range(value, name, symmetric=True, minimum=None, maximum=None, default_low=None,
                negative_single_is_magnitude=False):
    """Parses a number or a (low, high) pair into a (low, high) float tuple.

    A single number `v` means (-v, v) when `symmetric`, else (default_low, v).
    With `negative_single_is_magnitude` (the Keras layers of the same name read a
    factor that way), a single negative `v` means (-|v|, |v|) instead of an error.
    """
    if _is_number(value):
        if symmetric:
            if negative_single_is_magnitude:
                value = abs(value)
            if value < 0:
                raise ValueError(
                    f"`{name}` as a single number must be >= 0 (it means the range (-{name}, {name})); got {value}."
                )
            low, high = -float(value), float(value)
        else:
            low, high = float(default_low if default_low is not None else 0.0), float(value)
            if high < low:
                raise ValueError(
                    f"`{name}` as a single number must be >= {low} (it means the range ({low}, {name})); "
                    f"got {value}."
                )
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_number(v) for v in value):
        low, high = float(value[0]), float(value[1])
    else:
        raise ValueError(f"`{name}` must be a number or a (low, high) pair of numbers; got {value!r}.")
    if low > high:
        raise ValueError(f"`{name}` must satisfy low <= high; got ({low}, {high}).")
    if (minimum is not None and low < minimum) or (maximum is not None and high > maximum):
        raise ValueError(
            f"The `{name}` argument should be a number or a (low, high) pair with values "
            f"{_bounds_text(minimum, maximum)}; got {value!r}, the range ({low}, {high})."
        )
    return low, high


def _bounds_text(minimum, maximum):
    if minimum is not None and maximum is not None:
        return f">= {minimum} and <= {maximum}"
    return f">= {minimum}" if minimum is not None else f"<= {maximum}"


def parse_size(value, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"`{name}` must be a positive int; got {value!r}.")
    return int(value)


def parse_choice(value, name, allowed):
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {tuple(allowed)}; got {value!r}.")
    return value


def parse_probability(value, name):
    if not _is_number(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"`{name}` must be a number in [0, 1]; got {value!r}.")
    return float(value)


def parse_value_range(value_range, name="value_range"):
    """A (low, high) pair of numbers with low < high, as python floats."""
    if (
        not isinstance(value_range, (tuple, list))
        or len(value_range) != 2
        or not all(_is_number(v) for v in value_range)
    ):
        raise ValueError(
            f"The `{name}` argument should be a list of two numbers (low, high) such as (0, 255) or (0, 1); "
            f"got {value_range!r}."
        )
    low, high = float(value_range[0]), float(value_range[1])
    if not low < high:
        raise ValueError(f"`{name}` must satisfy low < high; got ({low}, {high}).")
    return low, high


def parse_unit_range(value, name, single="zero_to"):
    """Keras-style factor in [0, 1]: a number f means (0, f) (or (f, f) with
    single="fixed"); a pair (low, high) is taken as is. Both ends in [0, 1]."""
    if _is_number(value):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"`{name}` must be a number in [0, 1] or a (low, high) pair within [0, 1]; got {value!r}.")
        return (0.0, float(value)) if single == "zero_to" else (float(value), float(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_number(v) for v in value):
        low, high = float(value[0]), float(value[1])
        if not (0.0 <= low <= 1.0 and 0.0 <= high <= 1.0):
            raise ValueError(f"`{name}` values must be in [0, 1]; got ({low}, {high}).")
        if low > high:
            raise ValueError(f"`{name}` must satisfy low <= high; got ({low}, {high}).")
        return low, high
    raise ValueError(f"`{name}` must be a number in [0, 1] or a (low, high) pair within [0, 1]; got {value!r}.")


def parse_int_range(value, name, minimum, maximum=None, what="an int"):
    """An int or a (low, high) pair of ints within [minimum, maximum], as (low, high).

    `what` names the quantity in the error ("an int number of bits", ...).
    """
    def ok(v):
        return (isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= minimum
                and (maximum is None or v <= maximum))

    if ok(value):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(ok(v) for v in value):
        if value[0] > value[1]:
            raise ValueError(f"`{name}` must satisfy low <= high; got {tuple(value)}.")
        return int(value[0]), int(value[1])
    bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
    raise ValueError(f"`{name}` must be {what} {bounds} or a (low, high) pair of such ints; got {value!r}.")


def parse_count(value, name="count"):
    """An int >= 1 or a (low, high) pair of ints: per-sample number of rectangles."""
    return parse_int_range(value, name, minimum=1)


def parse_fill(fill_mode, fill_value, value_range):
    """Validates an erasing layer's (fill_mode, fill_value, value_range); returns them normalized."""
    value_range = parse_range(value_range, "value_range", symmetric=False)
    if value_range[0] >= value_range[1]:
        raise ValueError(f"`value_range` must be (low, high) with low < high; got {value_range!r}.")
    if fill_mode is None:
        fill_mode = "random" if fill_value is None else "constant"
    parse_choice(fill_mode, "fill_mode", ERASE_FILL_MODES)
    if fill_mode == "constant":
        if fill_value is None:
            raise ValueError("`fill_value` must be a number or a per-channel list when fill_mode='constant'; "
                             "got None.")
        if isinstance(fill_value, (tuple, list)):
            if not fill_value or not all(_is_number(v) for v in fill_value):
                raise ValueError(f"`fill_value` must be a number or a list of numbers (one per channel); "
                                 f"got {fill_value!r}.")
            fill_value = [float(v) for v in fill_value]
        elif _is_number(fill_value):
            fill_value = float(fill_value)
        else:
            raise ValueError(f"`fill_value` must be a number or a list of numbers (one per channel); "
                             f"got {fill_value!r}.")
    return fill_mode, fill_value, value_range


def parse_mask_fill_value(value, allow_none=True):
    """An int class id (e.g. the ignore value 255), or None where `allow_none`."""
    if value is None and allow_none:
        return value
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        if not allow_none:
            raise ValueError(f"`mask_fill_value` must be an int (a class id); got {value!r}.")
        raise ValueError(f"`mask_fill_value` must be an int (a class id, e.g. the ignore value 255) or None "
                         f"(masks stay as they are); got {value!r}.")
    return value


def parse_fill_value(value):
    """The constant a warp fills with, in the images' units, as a python float."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"`fill_value` must be a number; got {value!r}.") from None


def parse_visibility(value, name="min_box_visibility"):
    """A number in [0, 1): the visible share of a box at or under which it is dropped."""
    if not _is_number(value) or not 0.0 <= value < 1.0:
        raise ValueError(f"`{name}` must be a number in [0, 1): boxes with a visible fraction at or under it "
                         f"are dropped; got {value!r}.")
    return float(value)


def parse_num_classes(value):
    """A positive int or None."""
    if value is not None and (not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1):
        raise ValueError(f"`num_classes` must be a positive int or None; got {value!r}.")
    return value
