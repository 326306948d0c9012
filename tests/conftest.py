"""Shared test setup: quiet TensorFlow, deterministic sample images."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sample_images import textured_image  # noqa: E402


@pytest.fixture
def image():
    return textured_image()


@pytest.fixture
def batch():
    return np.stack([textured_image(seed=i) for i in range(4)])


def pytest_collection_finish(session):
    """Starts the fresh-process runs (JAX backend, the example) in the background when a test needs them."""
    import backend_runs

    backend_runs.start_for([item.nodeid for item in session.items])
