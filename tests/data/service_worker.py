"""Subprocess side of the tf.data service test: a dispatcher and a worker, nothing else.

It imports TensorFlow only (not keras_aug): a dataset it runs must arrive as a graph.
Prints the dispatcher's address on the first line, then serves until it is killed.
"""

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

dispatcher = tf.data.experimental.service.DispatchServer()
address = dispatcher.target.split("://")[1]
worker = tf.data.experimental.service.WorkerServer(
    tf.data.experimental.service.WorkerConfig(dispatcher_address=address)
)
print(dispatcher.target, flush=True)
assert "keras_aug" not in sys.modules
while True:
    time.sleep(1)
