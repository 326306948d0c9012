"""Argument parsing shared by the layers: ranges, sizes, modes.

Every error names the argument and what is allowed. Unlike some Keras layers,
an inverted range `(high, low)` is an error here, not silently sorted: it is
almost always a typo.
"""

import numbers


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
