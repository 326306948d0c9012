"""Which ops a layer computes with, and the one module that leans on Keras internals.

One implementation serves every backend. Its kernels call `ops.<name>`, where
`<name>` is a `keras.ops` name with `keras.ops` semantics (`ops.where`,
`ops.take_along_axis`, `ops.cast`, ...). `ops` dispatches to the backend chosen
for the current layer call, the way Keras's own preprocessing layers do:

* traced into a TensorFlow graph that is not a JAX trace (a tf.data `map`, a
  `tf.function`), or called on TensorFlow tensors: TensorFlow, under any Keras
  backend, so the layers work in tf.data pipelines of a JAX model;
* everywhere else (eager calls, a model under `jit`): the Keras backend.

`computing_with(name)` sets the choice for a block; the base layer sets it
around every call from `backend_for(inputs)`. Outside any call the Keras
backend is used.

Importing this module does not import TensorFlow: under the JAX backend the
layers run where TensorFlow is not installed.
"""

import contextlib
import importlib
import sys
import threading

import keras

try:  # Keras's call-context stack tells a direct call from a nested one.
    from keras.src.backend.common import global_state as _global_state
except ImportError:  # pragma: no cover - only if Keras moves its internals
    _global_state = None

SUPPORTED = ("tensorflow", "jax")
# keras.ops names are spread over these backend modules; earlier ones win a clash.
_NAMESPACES = ("core", "numpy", "math", "nn", "image", "linalg")

_state = threading.local()
_tables = {}


def keras_backend():
    """The Keras backend ('tensorflow' or 'jax'); others raise naming the supported ones."""
    name = keras.backend.backend()
    if name not in SUPPORTED:
        raise RuntimeError(
            f"keras_aug supports the Keras backends {SUPPORTED}; KERAS_BACKEND is {name!r}."
        )
    return name


def current():
    """The backend the current call computes with.

    Set by `computing_with`; outside it, TensorFlow while a TensorFlow graph is
    traced (the data path's own functions), else the Keras backend.
    """
    name = getattr(_state, "name", None)
    if name is not None:
        return name
    name = keras_backend()
    return "tensorflow" if name != "tensorflow" and in_tf_graph() else name


@contextlib.contextmanager
def computing_with(name):
    """Makes `ops` dispatch to backend `name` ('tensorflow' or 'jax') inside the block."""
    if name not in SUPPORTED:
        raise ValueError(f"backend must be one of {SUPPORTED}; got {name!r}.")
    previous = getattr(_state, "name", None)
    _state.name = name
    try:
        yield
    finally:
        _state.name = previous


def _table(name):
    if name not in _tables:
        table = {}
        for namespace in reversed(_NAMESPACES):
            module = importlib.import_module(f"keras.src.backend.{name}.{namespace}")
            table.update({k: v for k, v in vars(module).items() if not k.startswith("_") and callable(v)})
        _tables[name] = table
    return _tables[name]


class _Ops:
    """`keras.ops`-named functions of the backend the current call computes with."""

    def __getattr__(self, attr):
        try:
            return _table(current())[attr]
        except KeyError:
            raise AttributeError(f"Keras's {current()} backend has no op {attr!r}.") from None


ops = _Ops()


def _tensorflow_loaded():
    return "tensorflow" in sys.modules


def is_tf_tensor(x):
    """Whether `x` is a TensorFlow tensor (without importing TensorFlow)."""
    if not _tensorflow_loaded():
        return False
    import tensorflow as tf

    return isinstance(x, (tf.Tensor, tf.Variable)) or tf.is_tensor(x)


def in_tf_graph():
    """Whether a TensorFlow graph is being traced (tf.data map, tf.function)."""
    if not _tensorflow_loaded():
        return False
    import tensorflow as tf

    return not tf.executing_eagerly()


def is_jax_tracer(x):
    """Whether `x` is a JAX tracer (a value inside `jax.jit` / `jax.eval_shape`)."""
    if "jax" not in sys.modules:
        return False
    import jax

    return isinstance(x, jax.core.Tracer)


def backend_for(sample):
    """The backend a call on `sample` (an image tensor or array) computes with."""
    name = keras_backend()
    if name == "tensorflow" or isinstance(sample, keras.KerasTensor) or is_jax_tracer(sample):
        return name
    if is_tf_tensor(sample) or in_tf_graph():
        return "tensorflow"
    return name


def called_directly(layer):
    """Whether `layer` is the outermost layer of the current Keras call."""
    if _global_state is None:
        return True
    context = _global_state.get_global_attribute("current_call_ctx")
    return context is None or context.entry_layer is layer


def dtype_name(x):
    """The standardized dtype name of a tensor of any backend ('float32', 'uint8', ...)."""
    return keras.backend.standardize_dtype(x.dtype)


def is_tensor(x):
    """Whether `x` is a tensor of the current backend (or a NumPy array)."""
    import numpy as np

    return isinstance(x, np.ndarray) or is_tf_tensor(x) or ops.is_tensor(x)
