"""Subprocess side of the tf.data service test: a dispatcher and a worker, nothing else.

Usage: python service_worker.py [LIBRARY]. It imports TensorFlow only (not keras_aug): a
dataset it runs must arrive as a graph. With LIBRARY (the native op's .so, as
`python -m keras_aug.data.native build` prints it) the worker registers the op first,
as a deployed worker does (README "Scaling out"); without it, it is a stock-TF worker.
Prints the dispatcher's address on the first line, then serves until it is killed.
"""

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

if len(sys.argv) > 1:
    tf.load_op_library(sys.argv[1])
dispatcher = tf.data.experimental.service.DispatchServer()
address = dispatcher.target.split("://")[1]
worker = tf.data.experimental.service.WorkerServer(
    tf.data.experimental.service.WorkerConfig(dispatcher_address=address)
)
print(dispatcher.target, flush=True)
assert "keras_aug" not in sys.modules
while True:
    time.sleep(1)
