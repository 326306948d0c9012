"""Erasing and mixing layers under the JAX backend: the same results as TensorFlow for the same seed.

Every layer of keras_aug.layers.erasing and keras_aug.layers.mixing, on uint8
and float32 batches that carry labels, boxes, masks (and keypoints where the
layer takes them), from the same seed:
  * `sample` + `apply` on JAX arrays equal the same on TF tensors: parameters
    bit for bit, except those computed through log / exp / sigmoid (the Beta
    draws behind CutMix's area and MixUp's lambda), which XLA's and
    TensorFlow's kernels may round differently in the last bit (as
    `Draws.beta` itself, tests/jax/test_core_jax.py);
  * the plain call `layer(x, training=True, seed=SEED)` on JAX arrays, eagerly
    and under `jax.jit`, equals the same call on TF tensors.
Images agree within 1e-3 on 0-255 (uint8 within 1: a rounding of x.5 may go
either way), boxes, keypoints and labels within float rounding, masks and box
labels exactly.

Under `jit`, XLA contracts multiply-adds into fused multiply-adds (as
TensorFlow's own XLA path does, in a tf.data map), so float parameters drawn
from a range (GridMask's period, offset and angle) may differ from the eager
ones in the last bit; whole-pixel parameters (rectangles, centres, partners)
are rounded and stay equal, and so do the outputs checked here.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf

from keras_aug.core import backend
from keras_aug.core.base import shape_of
from keras_aug.core.randomness import Draws
from keras_aug.core.structures import Batch
from keras_aug.layers.erasing import GridMask
from keras_aug.layers.erasing import RandomCutout
from keras_aug.layers.erasing import RandomErasing
from keras_aug.layers.mixing import CutMix
from keras_aug.layers.mixing import MixUp
from keras_aug.layers.mixing import Mosaic

B, H, W, C = 4, 16, 20, 3
SEED = (1, 2)
# Parameters computed through log / exp / sigmoid: equal up to float round-off only.
ROUNDED_PARAMS = {"area", "lambda"}

# Each layer once per family of code paths; boxes are absolute xyxy in the calls.
XYXY = {"bounding_box_format": "xyxy"}
LAYERS = {
    "erasing": lambda: RandomErasing(factor=(1.0, 1.0), count=(1, 3), scale=(0.05, 0.3), **XYXY),
    "erasing_random_fill": lambda: RandomErasing(factor=(1.0, 1.0), fill_mode="random", min_box_visibility=0.3,
                                                 **XYXY),
    "erasing_mean_fill": lambda: RandomErasing(factor=(1.0, 1.0), fill_mode="mean", trim_boxes=False, **XYXY),
    "cutout": lambda: RandomCutout(size=(3, 8), count=2, fill_value=[10.0, 20.0, 30.0], **XYXY),
    "gridmask": lambda: GridMask(rotation_factor=0.2, probability=0.8, **XYXY),
    "cutmix": lambda: CutMix(**XYXY),
    "replacement": lambda: CutMix(mode="replacement", min_box_visibility=0.2, **XYXY),
    "mixup": lambda: MixUp(alpha=0.4, **XYXY),
    "mosaic": lambda: Mosaic(**XYXY),
    "mosaic_resize": lambda: Mosaic(height=12, width=14, **XYXY),
}
TAKES_KEYPOINTS = {"erasing", "erasing_random_fill", "erasing_mean_fill", "cutout", "gridmask"}


def _arrays(dtype, keypoints):
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (B, H, W, C))
    x1 = rng.uniform(0, W - 6, (B, 3))
    y1 = rng.uniform(0, H - 6, (B, 3))
    boxes = np.stack([x1, y1, x1 + rng.uniform(2, 6, (B, 3)), y1 + rng.uniform(2, 6, (B, 3))], -1)
    box_labels = rng.integers(0, 5, (B, 3))
    box_labels[0, 2] = -1  # a padding row
    arrays = {
        "images": np.round(images).astype("uint8") if dtype == "uint8" else images.astype("float32"),
        "labels": np.eye(5, dtype="float32")[rng.integers(0, 5, B)],
        "boxes": np.where(box_labels[..., None] >= 0, boxes, -1.0).astype("float32"),
        "box_labels": box_labels.astype("int32"),
        "masks": rng.integers(0, 4, (B, H, W, 1)).astype("uint8"),
    }
    if keypoints:
        points = rng.uniform(0, [W, H], (B, 6, 2))
        arrays["keypoints"] = np.concatenate([points, np.ones((B, 6, 1))], -1).astype("float32")
    return arrays


def _sample_and_apply(layer, arrays, seed, name):
    """`layer.sample` + `layer.apply` computing with backend `name`; (params, targets)."""
    with backend.computing_with(name):
        batch = Batch(**arrays)
        params = layer.sample(shape_of(batch), Draws(seed))
        out = layer.apply(batch, params)
        return params, {k: getattr(out, k) for k in arrays}


def _tensorflow(layer, arrays):
    params, out = _sample_and_apply(layer, {k: tf.constant(v) for k, v in arrays.items()},
                                    tf.constant(SEED, tf.int64), "tensorflow")
    return _numpy(params), _numpy(out)


def _jax(layer, arrays):
    params, out = _sample_and_apply(layer, {k: jnp.asarray(v) for k, v in arrays.items()},
                                    jnp.asarray(SEED, jnp.int32), "jax")
    assert all(isinstance(v, jax.Array) for v in out.values())
    return _numpy(params), _numpy(out)


def _numpy(tensors):
    return {k: np.asarray(v) for k, v in tensors.items()}


def assert_same_results(got, expected):
    """Params bit for bit (ROUNDED_PARAMS to float rounding); images within 1e-3 (uint8: 1); annotations to
    float rounding; masks and box labels exactly."""
    got_params, got_out = got
    expected_params, expected_out = expected
    assert sorted(got_params) == sorted(expected_params)
    for key, value in expected_params.items():
        assert got_params[key].dtype == value.dtype, key
        if key in ROUNDED_PARAMS:
            np.testing.assert_allclose(got_params[key], value, rtol=1e-6, atol=1e-7, err_msg=key)
        else:
            np.testing.assert_array_equal(got_params[key], value, err_msg=key)
    assert sorted(got_out) == sorted(expected_out)
    for key, value in expected_out.items():
        assert got_out[key].dtype == value.dtype and got_out[key].shape == value.shape, key
        if key == "images":
            tolerance = 1 if value.dtype == np.uint8 else 1e-3
            np.testing.assert_allclose(got_out[key].astype("float64"), value.astype("float64"), rtol=0,
                                       atol=tolerance, err_msg=key)
        elif key in ("box_labels", "masks"):
            np.testing.assert_array_equal(got_out[key], value, err_msg=key)
        else:
            np.testing.assert_allclose(got_out[key], value, rtol=1e-6, atol=1e-5, err_msg=key)


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_kernels_on_jax_equal_tensorflow(name, dtype):
    layer = LAYERS[name]()
    arrays = _arrays(dtype, keypoints=name in TAKES_KEYPOINTS)
    assert_same_results(_jax(layer, arrays), _tensorflow(layer, arrays))


def _call_inputs(arrays, convert):
    """The dict a user passes to a layer call, from `_arrays`, with `convert` applied to every array."""
    inputs = {"images": arrays["images"], "labels": arrays["labels"], "segmentation_masks": arrays["masks"],
              "bounding_boxes": {"boxes": arrays["boxes"], "labels": arrays["box_labels"]}}
    if "keypoints" in arrays:
        inputs["keypoints"] = arrays["keypoints"]
    return {k: ({kk: convert(vv) for kk, vv in v.items()} if isinstance(v, dict) else convert(v))
            for k, v in inputs.items()}


def _as_targets(outputs):
    """A call's dict output in `_sample_and_apply`'s target names, as NumPy arrays."""
    out = {"images": outputs["images"], "labels": outputs["labels"], "masks": outputs["segmentation_masks"],
           "boxes": outputs["bounding_boxes"]["boxes"], "box_labels": outputs["bounding_boxes"]["labels"]}
    if "keypoints" in outputs:
        out["keypoints"] = outputs["keypoints"]
    return {}, _numpy(out)


def _call(layer, inputs):
    return layer(inputs, training=True, seed=SEED)


def _call_tensorflow(layer, arrays):
    return _as_targets(_call(layer, _call_inputs(arrays, tf.constant)))


def _call_jax(layer, arrays, jit):
    inputs = _call_inputs(arrays, jnp.asarray)
    outputs = jax.jit(_call, static_argnums=0)(layer, inputs) if jit else _call(layer, inputs)
    assert all(isinstance(v, jax.Array) for v in jax.tree.leaves(outputs))
    return _as_targets(outputs)


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_eager_call_on_jax_equals_tensorflow(name, dtype):
    layer = LAYERS[name]()
    arrays = _arrays(dtype, keypoints=name in TAKES_KEYPOINTS)
    assert_same_results(_call_jax(layer, arrays, jit=False), _call_tensorflow(layer, arrays))


# XLA compiles are the slow part (seconds each on a shared 2-core machine): one
# dtype per layer under jit, uint8 (float32 for MixUp, the blending layer), and
# each layer class once (the erasing fills and CutMix's replacement mode differ
# from their siblings only in sampling, checked eagerly above). The reference is
# TensorFlow's eager call: TF's compiled path (tf.function, tf.data) is checked
# against it in tests/layers, and a second XLA compile per layer would double the
# time.
@pytest.mark.parametrize("name", ["cutmix", "cutout", "erasing", "gridmask", "mixup", "mosaic", "mosaic_resize"])
def test_jitted_call_equals_tensorflow(name):
    layer = LAYERS[name]()
    arrays = _arrays("float32" if name == "mixup" else "uint8", keypoints=name in TAKES_KEYPOINTS)
    assert_same_results(_call_jax(layer, arrays, jit=True), _call_tensorflow(layer, arrays))


@pytest.mark.parametrize("name", ["cutmix", "mixup", "mosaic"])
def test_mixing_refuses_keypoints_on_jax(name):
    arrays = _arrays("uint8", keypoints=True)
    with pytest.raises(ValueError, match="does not support `keypoints`"):
        _jax(LAYERS[name](), arrays)


def test_integer_class_ids_are_one_hot_encoded_on_jax():
    arrays = _arrays("float32", keypoints=False)
    arrays["labels"] = np.array([0, 3, 1, 4], "int32")
    layer = CutMix(num_classes=5)
    expected = _tensorflow(layer, arrays)
    got = _jax(layer, arrays)
    assert got[1]["labels"].shape == (B, 5)
    assert_same_results(got, expected)
