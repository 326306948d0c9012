"""The data pipelines' Python callbacks, closed before the interpreter shuts down.

tf.data runs a dataset's `tf.numpy_function` / `tf.py_function` callbacks (OpenCV, PIL,
the header probe, the matrix sampler, the bad-file log) on its own threads, and each
call takes the GIL. An iterator still running when a script ends (one batch taken, the
rest prefetching) goes on calling them while Python finalizes, and a thread that asks
for the GIL then is ended by the interpreter (the process aborts: "terminate called
without an active exception", exit code 134) or waits for it forever (a hang); see
tensorflow issue #21277.

Every callback of `keras_aug.data` is made with `numpy_function` / `py_function` here.
Each call first reads a gate, a boolean TF resource read in the graph (no GIL), once its
inputs are ready, and calls Python only while the gate is open. At exit (an `atexit`
handler: it runs before Python finalizes) the gate closes and the handler waits until
the calls already past it have returned; a running pipeline then gets an error where it
would call Python, so its iterators stop without touching the interpreter again.
"""

import atexit
import threading
import time
import uuid

import tensorflow as tf

# After closing, how long no call may have been running before the handler returns
# (seconds): covers a thread that read the gate open just before it closed and has not
# yet entered Python.
_SETTLE_S = 0.05
# The handler waits at most this long for calls still running (seconds).
_MAX_WAIT_S = 5.0
CLOSED_MESSAGE = "keras_aug.data: the interpreter is exiting; the pipeline's Python callbacks are closed"


class Gate:
    """Guarded `numpy_function` / `py_function` and the gate that closes them.

    Args:
        at_exit: close the gate in an `atexit` handler (the module's gate does; a gate of
            your own, as in the tests, is closed by calling `close`).
    """

    def __init__(self, at_exit=False):
        self._at_exit = at_exit
        self._lock = threading.Lock()
        self._handle = None  # the gate's resource, made on first use
        self._running = 0  # calls inside Python now
        self._last_return = 0.0  # time.monotonic() when the last call returned
        self.callbacks_made = 0  # guarded callbacks built so far

    def numpy_function(self, func, inp, Tout, stateful=True, name=None):
        """`tf.numpy_function(func, inp, Tout, stateful, name)`, closed with the gate."""
        return self._guarded(tf.numpy_function, func, inp, Tout=Tout, stateful=stateful, name=name)

    def py_function(self, func, inp, Tout, name=None):
        """`tf.py_function(func, inp, Tout, name)`, closed with the gate."""
        return self._guarded(tf.py_function, func, inp, Tout=Tout, name=name)

    def close(self):
        """Closes the gate and waits for the calls already past it (the atexit handler).

        Afterwards every guarded callback fails in the graph instead of calling Python,
        so the module's gate is closed only at the end of the process.
        """
        with self._lock:
            handle = self._handle
        if handle is None:
            return
        tf.raw_ops.AssignVariableOp(resource=handle, value=tf.constant(False))
        closed_at = time.monotonic()
        while time.monotonic() - closed_at < _MAX_WAIT_S:
            with self._lock:
                quiet_for = time.monotonic() - max(closed_at, self._last_return)
                if self._running == 0 and quiet_for >= _SETTLE_S:
                    return
            time.sleep(0.005)  # releases the GIL to the calls still running

    def _guarded(self, make, func, inp, **kwargs):
        inp = [tf.convert_to_tensor(x) for x in inp]
        handle = self._gate_handle()
        # The gate is read once the inputs are ready, i.e. just before the call (an input
        # computed after the read would widen the window `close` waits out).
        with tf.control_dependencies(inp):
            is_open = tf.raw_ops.ReadVariableOp(resource=handle, dtype=tf.bool)
            check = tf.debugging.Assert(is_open, [CLOSED_MESSAGE])
        with self._lock:
            self.callbacks_made += 1
        with tf.control_dependencies([check] if check is not None else []):  # None: eager, open
            return make(self._counted(func), inp, **kwargs)

    def _counted(self, func):
        """`func`, keeping count of the calls running and the time of the last return."""

        def call(*args):
            with self._lock:
                self._running += 1
            try:
                return func(*args)
            finally:
                with self._lock:
                    self._running -= 1
                    self._last_return = time.monotonic()

        return call

    def _gate_handle(self):
        """The gate's resource (a bool, True while open), made eagerly on first use."""
        with self._lock:
            if self._handle is None:
                # Raw resource ops, not tf.Variable: a `tf.distribute` strategy's scope
                # would turn a variable made here into a distributed one.
                with tf.init_scope():
                    handle = tf.raw_ops.VarHandleOp(
                        dtype=tf.bool, shape=[], shared_name=f"keras_aug_data_exit_gate_{uuid.uuid4().hex}"
                    )
                    tf.raw_ops.AssignVariableOp(resource=handle, value=tf.constant(True))
                self._handle = handle
                if self._at_exit:
                    # Registered after TensorFlow's own handlers, so it runs before them.
                    atexit.register(self.close)
            return self._handle


# The gate of every callback in keras_aug.data, closed at interpreter exit.
GATE = Gate(at_exit=True)
numpy_function = GATE.numpy_function
py_function = GATE.py_function
