"""The eager route under the TensorFlow backend (the checks: tests/eager_route_checks.py)."""

from eager_route_checks import *  # noqa: F401,F403 - the shared checks are this module's tests
