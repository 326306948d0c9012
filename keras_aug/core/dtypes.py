"""Dtype questions and the one cast back to an image's dtype, for tensors of any backend.

Dtypes are Keras's standardized names ("uint8", "float32", ...), so the same
code reads TensorFlow and JAX tensors.
"""

import numpy as np

from keras_aug.core.backend import dtype_name
from keras_aug.core.backend import ops


def name_of(dtype_or_tensor):
    """The standardized dtype name of a dtype, a dtype name or a tensor.

    Dtypes: a name ("float32"), a NumPy, TensorFlow or JAX dtype, or a scalar type
    class (`np.float32`, `jnp.bfloat16`). A scalar type class has `shape` and `dtype`
    too (as class attributes), so classes are never read as tensors.
    """
    if not isinstance(dtype_or_tensor, type) and hasattr(dtype_or_tensor, "shape") and hasattr(
            dtype_or_tensor, "dtype"):
        return dtype_name(dtype_or_tensor)
    import keras

    return keras.backend.standardize_dtype(dtype_or_tensor)


def is_integer(dtype_or_tensor):
    return name_of(dtype_or_tensor).startswith(("int", "uint"))


def is_floating(dtype_or_tensor):
    return name_of(dtype_or_tensor).startswith(("float", "bfloat"))


def limits(dtype_or_tensor):
    """(lowest, highest) value of an integer or float dtype, as python numbers."""
    name = name_of(dtype_or_tensor)
    if name == "bfloat16":
        return -3.3895313892515355e38, 3.3895313892515355e38
    if is_integer(name):
        info = np.iinfo(name)
        return int(info.min), int(info.max)
    info = np.finfo(name)
    return float(info.min), float(info.max)


def cast_like(values, dtype):
    """Casts float results back to `dtype`, rounding and clipping for integer dtypes."""
    name = name_of(dtype)
    if is_integer(name):
        low, high = limits(name)
        values = ops.clip(ops.round(values), float(low), float(high))
    return ops.cast(values, name)
