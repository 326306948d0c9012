"""Tests that run under the JAX Keras backend.

They are collected only when the process runs with KERAS_BACKEND=jax; the main
suite (TensorFlow backend) runs this folder in such a subprocess:
`tests/test_backends.py`. Run them directly with

    KERAS_BACKEND=jax python -m pytest tests/jax

Inside these tests TensorFlow is still installed: the TF reference for a call
is the same layer called on TF tensors in a `tf.function` (which computes with
TensorFlow, as in a tf.data pipeline of a JAX model).
"""

import os

import keras

if keras.backend.backend() != "jax":
    collect_ignore_glob = ["test_*.py"]
else:
    os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
