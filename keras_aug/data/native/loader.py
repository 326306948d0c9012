"""Loads the native resample op into this process, or says why it cannot.

`load()` compiles the library if needed (`build`), loads it with `tf.load_op_library`
and remembers the outcome for the process: the op is registered once, and a failure
is not retried at every dataset. It never raises: on failure it returns no op and the
reason in words (no compiler, compile error, load error), and the caller falls back.
"""

import dataclasses
import threading
from typing import Any
from typing import Optional

from keras_aug.data.native import build


@dataclasses.dataclass(frozen=True)
class Loaded:
    """The outcome of `load()`.

    Attributes:
        resample: the op's Python wrapper `(image, matrix, output_height, output_width,
            interpolation, fill_mode, fill_value) -> image`, or None when unavailable.
        reason: why it is unavailable ("" when loaded).
        path: the library's path (None when no library was built).
        header_facts: the wrapper of `KerasAugHeaderFacts` `(data, target_height,
            target_width, keep_aspect_ratio, max_pixels) -> (route, ratio_index,
            orientation)` (the graph-only route's header facts in one op), or None.
    """

    resample: Optional[Any]
    reason: str
    path: Optional[str]
    header_facts: Optional[Any] = None

    @property
    def ok(self):
        return self.resample is not None


_LOCK = threading.Lock()
_LOADED = None  # the process's outcome, once known


def load():
    """The native op (`Loaded`), built and loaded once per process; never raises."""
    global _LOADED
    with _LOCK:  # two datasets built on two threads must not load the library twice
        if _LOADED is None:
            _LOADED = _load()
        return _LOADED


def _load():
    import tensorflow as tf

    try:
        path = build.build()
    except build.BuildError as e:
        return Loaded(None, str(e), None)
    except OSError as e:  # an unwritable cache folder, a full disk
        return Loaded(None, f"cannot build in {build.cache_root()}: {e}", None)
    try:
        library = tf.load_op_library(str(path))
    except Exception as e:  # tf.errors.NotFoundError for a library built for another TF
        return Loaded(None, f"tf.load_op_library({str(path)!r}) failed: {e}", str(path))
    return Loaded(library.keras_aug_resample, "", str(path), library.keras_aug_header_facts)
