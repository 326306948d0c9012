"""Checks of the eager route (keras_aug.core.eager), run under both backends.

Op by op until a call signature repeats, then compiled (`tf.function(jit_compile=True)`
with the TF call counter; `jax.jit` with the counter variable). Collected by
tests/core/test_eager_route.py (TensorFlow) and tests/jax/test_eager_route.py (JAX).

RandomFlip moves pixels exactly in both routes, so its outputs must be equal
bit for bit whichever route ran: a wrong call seed, counter or cached
function shows up as a different flip. Tiny images keep each compile well
under a second.
"""

import gc
import weakref

import numpy as np
import pytest

import keras_aug
from keras_aug.core import eager

IMAGES = np.arange(6 * 8 * 8 * 3, dtype=np.uint8).reshape(6, 8, 8, 3)


@pytest.fixture
def compiles(monkeypatch):
    """Counts the compiled functions the eager route builds."""
    built = []
    original = eager._compiled

    def counting(layer, seed_given):
        built.append((layer, seed_given))
        return original(layer, seed_given)

    monkeypatch.setattr(eager, "_compiled", counting)
    return built


def _outputs(layer, calls, **kwargs):
    return [np.asarray(layer(IMAGES, training=True, **kwargs)) for _ in range(calls)]


def test_a_signature_compiles_once_after_its_op_by_op_calls(compiles):
    layer = keras_aug.RandomFlip("horizontal_and_vertical", seed=3)
    _outputs(layer, eager.COMPILE_AFTER_CALLS)
    assert compiles == []
    _outputs(layer, 3)
    assert compiles == [(layer, False)]


def test_compiled_calls_continue_the_layers_seed_stream(monkeypatch, compiles):
    routed = _outputs(keras_aug.RandomFlip("horizontal_and_vertical", seed=3), 6)
    monkeypatch.setattr(eager, "COMPILE_AFTER_CALLS", 10**9)
    op_by_op = _outputs(keras_aug.RandomFlip("horizontal_and_vertical", seed=3), 6)
    assert len(compiles) == 1
    for got, want in zip(routed, op_by_op):
        np.testing.assert_array_equal(got, want)
    # Six calls of 6 samples: the stream did move (not one flip repeated).
    assert len({out.tobytes() for out in routed}) > 1


@pytest.mark.parametrize("seed", [7, (5, 9)])
def test_a_call_seed_gives_the_same_output_in_both_routes(compiles, seed):
    layer = keras_aug.RandomFlip("horizontal_and_vertical")
    outputs = _outputs(layer, eager.COMPILE_AFTER_CALLS + 1, seed=seed)
    assert compiles == [(layer, True)]
    for out in outputs[1:]:
        np.testing.assert_array_equal(out, outputs[0])


def test_use_seed_restarts_a_compiled_stream(monkeypatch, compiles):
    monkeypatch.setattr(eager, "COMPILE_AFTER_CALLS", 0)
    layer = keras_aug.RandomFlip("horizontal_and_vertical", seed=1)
    _outputs(layer, 2)
    layer.use_seed(11)
    restarted = _outputs(layer, 2)
    fresh = _outputs(keras_aug.RandomFlip("horizontal_and_vertical", seed=11), 2)
    for got, want in zip(restarted, fresh):
        np.testing.assert_array_equal(got, want)


def test_large_batches_compile_from_their_first_call(monkeypatch, compiles):
    monkeypatch.setattr(eager, "EAGER_COMPILE_MIN_PIXELS", IMAGES.shape[0] * 8 * 8)
    layer = keras_aug.RandomFlip(seed=2)
    _outputs(layer, 1)
    assert len(compiles) == 1
    layer(IMAGES[:1], training=True)  # 64 pixels: under the threshold, op by op
    assert len(compiles) == 1


def test_each_layer_keeps_a_bounded_number_of_signatures(monkeypatch):
    monkeypatch.setattr(eager, "MAX_SIGNATURES", 2)
    layer = keras_aug.RandomFlip(seed=2)
    for batch in (1, 2, 3, 2):
        layer(IMAGES[:batch], training=True)
    kept = [signature[3][0][0] for signature in eager._SIGNATURES[layer]]
    assert kept == [3, 2]  # batch 1 went out first; batch 2, used last, is newest
    assert list(eager._SIGNATURES[layer].values()) == [1, 2]


def test_inputs_with_other_leaves_run_op_by_op(monkeypatch, compiles):
    monkeypatch.setattr(eager, "COMPILE_AFTER_CALLS", 0)
    layer = keras_aug.RandomFlip(seed=2)
    out = layer({"images": IMAGES, "note": object()}, training=True)
    assert compiles == []
    assert out["images"].shape == IMAGES.shape


def test_compiled_functions_die_with_their_layer(monkeypatch, compiles):
    monkeypatch.setattr(eager, "COMPILE_AFTER_CALLS", 0)
    layer = keras_aug.RandomFlip(seed=2)
    _outputs(layer, 1)
    assert len(compiles) == 1
    layer_ref = weakref.ref(layer)
    del layer
    compiles.clear()
    gc.collect()
    assert layer_ref() is None


class _BranchesOnValues(keras_aug.RandomFlip):
    """A flip that reads a value into Python: fine op by op, impossible to trace."""

    def _augment_inputs(self, inputs, seed):
        if float(np.asarray(seed).sum()) < -1:
            raise AssertionError("unreachable")
        return super()._augment_inputs(inputs, seed)


def test_a_layer_that_does_not_compile_warns_and_runs_op_by_op():
    layer = _BranchesOnValues("horizontal_and_vertical", seed=4)
    reference = _outputs(keras_aug.RandomFlip("horizontal_and_vertical", seed=4), 4)
    with pytest.warns(UserWarning, match="_BranchesOnValues does not compile"):
        outputs = _outputs(layer, 4)
    for got, want in zip(outputs, reference):  # the call index was not spent twice
        np.testing.assert_array_equal(got, want)



def test_random_crop_windows_are_the_same_in_both_routes(compiles):
    # Whole-pixel windows copied by index: exact in either route, so the
    # compiled call must equal the op-by-op calls of the same seed bit for bit.
    layer = keras_aug.RandomCrop(5, 6)
    outputs = _outputs(layer, eager.COMPILE_AFTER_CALLS + 1, seed=4)
    assert compiles == [(layer, True)]
    for out in outputs[1:]:
        np.testing.assert_array_equal(out, outputs[0])
    # Each image's values are distinct: its top-left output value says where its window starts.
    starts = {tuple(np.argwhere(IMAGES[i, ..., 0] == out[0, 0, 0])[0]) for i, out in enumerate(outputs[0])}
    assert outputs[0].shape == (6, 5, 6, 3) and len(starts) > 1  # the samples' windows differ


def test_a_center_crop_that_only_slices_never_compiles(compiles):
    layer = keras_aug.CenterCrop(4, 6)
    for out in _outputs(layer, eager.COMPILE_AFTER_CALLS + 2):
        np.testing.assert_array_equal(out, IMAGES[:, 2:6, 1:7])
    assert compiles == []
    larger = keras_aug.CenterCrop(10, 12)  # an upscale resamples: compiled once its signature repeats
    _outputs(larger, eager.COMPILE_AFTER_CALLS + 1)
    assert compiles == [(larger, False)]
