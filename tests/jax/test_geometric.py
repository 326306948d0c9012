"""Geometric layers under the JAX backend equal the same calls computed with TensorFlow.

Run under KERAS_BACKEND=jax (tests/jax is collected only there). The reference
is the same layer called on tf tensors (which computes with TensorFlow under
any Keras backend); the JAX side is the plain call on jnp arrays, eagerly and
under `jax.jit`, with the same call seed. Parameters must be equal bit for
bit in the same execution mode (integer hashing; see
`test_parameters_are_bitwise_equal` for why not across modes), images within
float rounding (1e-3 on 0-255; uint8 within 1: a blend landing on .5 may round
either way), boxes and keypoints within 1e-3 px, masks and box labels exactly.
"""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_aug
from keras_aug.core import backend
from keras_aug.core import randomness
from keras_aug.core.base import ImageShape
from sample_images import textured_image

SEED = (1, 2)
BATCH, HEIGHT, WIDTH = 3, 28, 28  # square: RandomRotate90 may turn by odd counts

# One configuration per layer, spread over the warp's paths (interpolations,
# fill modes, exact index moves, static crop/pad regions, output sizes).
LAYERS = {
    "RandomFlip": lambda **kw: keras_aug.RandomFlip("horizontal_and_vertical", **kw),
    "RandomRotation": lambda **kw: keras_aug.RandomRotation(0.2, **kw),
    "RandomRotate90": lambda **kw: keras_aug.RandomRotate90(**kw),
    "RandomZoom": lambda **kw: keras_aug.RandomZoom(0.3, (-0.2, 0.1), fill_mode="mirror", interpolation="nearest",
                                                    **kw),
    "RandomTranslation": lambda **kw: keras_aug.RandomTranslation(0.2, 0.3, fill_mode="constant", fill_value=17.0,
                                                                  **kw),
    "RandomShear": lambda **kw: keras_aug.RandomShear(0.3, 0.2, fill_mode="wrap", **kw),
    "RandomAffine": lambda **kw: keras_aug.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2),
                                                        shear=(-5, 5, -3, 3), **kw),
    "RandomResizedCrop": lambda **kw: keras_aug.RandomResizedCrop(20, 24, **kw),
    "RandomCrop": lambda **kw: keras_aug.RandomCrop(20, 24, **kw),
    # Taller than the input: a centred crop to the aspect ratio, then a resize.
    "CenterCrop": lambda **kw: keras_aug.CenterCrop(32, 24, **kw),
    "Resizing": lambda **kw: keras_aug.Resizing(20, 24, pad_to_aspect_ratio=True, fill_value=9.0, **kw),
}


def _inputs(dtype):
    """A batch with every target: boxes (one padding row), masks and keypoints with visibility."""
    images = np.stack([textured_image(HEIGHT, WIDTH, seed=i) for i in range(BATCH)])
    boxes = np.tile(np.array([[3, 4, 15, 20], [9, 1, 27, 26], [-1, -1, -1, -1]], np.float32), (BATCH, 1, 1))
    masks = np.zeros((BATCH, HEIGHT, WIDTH, 1), np.int32)
    masks[:, 4:20, 3:15] = 1
    masks[:, 1:26, 9:27] += 2
    keypoints = np.tile(np.array([[5.5, 6.0, 1.0], [26.0, 20.5, 1.0], [14.0, 14.0, 0.0]], np.float32),
                        (BATCH, 1, 1))
    return {
        "images": np.round(images).astype(dtype),
        "bounding_boxes": {"boxes": boxes, "labels": np.tile(np.array([1, 2, -1], np.int32), (BATCH, 1))},
        "segmentation_masks": masks,
        "keypoints": keypoints,
    }


INPUTS = {dtype: _inputs(dtype) for dtype in ("uint8", "float32")}


def _numpy(structure):
    return jax.tree.map(np.asarray, structure)


def _call_all(layers, batches):
    """{layer name: {dtype: output}} of every layer called on every batch with the call seed."""
    return {name: {dtype: layer(batch, training=True, seed=SEED) for dtype, batch in batches.items()}
            for name, layer in layers.items()}


@pytest.fixture(scope="module")
def outputs():
    """{"tensorflow" | "eager" | "jit": {layer name: {dtype: numpy output}}}.

    Computed once for all layers: under `jax.jit` in one compiled function
    (each compile has a fixed cost), eagerly on jnp arrays, and the reference
    on tf tensors, which computes with TensorFlow under the JAX backend.
    Eager TensorFlow runs the same ops as a `tf.function` without its nested
    XLA compile (the TF-backend suite checks those agree) at a tenth of the
    test time (tracing and compiling cost 2-13 s of CPU per layer).
    """
    layers = {name: make(bounding_box_format="xyxy") for name, make in LAYERS.items()}
    jax_batches = jax.tree.map(jnp.asarray, INPUTS)
    eager = _call_all(layers, jax_batches)
    images = eager["RandomRotation"]["float32"]["images"]
    assert isinstance(images, jax.Array), type(images)  # a backend array, not a tf.Tensor
    return {
        "tensorflow": _numpy(_call_all(layers, tf.nest.map_structure(tf.constant, INPUTS))),
        "eager": _numpy(eager),
        "jit": _numpy(jax.jit(lambda batches: _call_all(layers, batches))(jax_batches)),
    }


def _assert_close(actual, expected, dtype, where):
    assert actual.keys() == expected.keys()
    images, reference = actual["images"], expected["images"]
    assert images.dtype == reference.dtype == np.dtype(dtype), where
    assert images.shape == reference.shape, where
    tolerance = 1 if dtype == "uint8" else 1e-3
    np.testing.assert_allclose(images.astype(np.float64), reference.astype(np.float64), rtol=0, atol=tolerance,
                               err_msg=f"{where}: images")
    np.testing.assert_array_equal(actual["segmentation_masks"], expected["segmentation_masks"],
                                  err_msg=f"{where}: masks")
    np.testing.assert_array_equal(actual["bounding_boxes"]["labels"], expected["bounding_boxes"]["labels"],
                                  err_msg=f"{where}: box labels")
    np.testing.assert_allclose(actual["bounding_boxes"]["boxes"], expected["bounding_boxes"]["boxes"],
                               rtol=0, atol=1e-3, err_msg=f"{where}: boxes")
    np.testing.assert_allclose(actual["keypoints"], expected["keypoints"], rtol=0, atol=1e-3,
                               err_msg=f"{where}: keypoints")


def test_runs_under_the_jax_backend():
    assert keras.backend.backend() == "jax"


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_call_equals_the_tensorflow_call(outputs, name, mode):
    for dtype in INPUTS:
        _assert_close(outputs[mode][name][dtype], outputs["tensorflow"][name][dtype], dtype, f"{name} {dtype} {mode}")


def _params(layer, backend_name, seed):
    with backend.computing_with(backend_name):
        return layer.sample(ImageShape(BATCH, HEIGHT, WIDTH, 3), randomness.Draws(seed))


def _all_params(backend_name, seed):
    layers = {name: make() for name, make in LAYERS.items()}
    with backend.computing_with(backend_name):
        shape = ImageShape(BATCH, HEIGHT, WIDTH, 3)
        return {name: layer.sample(shape, randomness.Draws(seed)) for name, layer in layers.items()}


def test_parameters_are_bitwise_equal():
    """The same seed gives the same parameters, bit for bit, in the same execution mode.

    Eager JAX equals eager TensorFlow, `jax.jit` equals TensorFlow's XLA
    (`jit_compile=True`). Across modes float parameters may differ in the
    last bit: XLA contracts a multiply and an add into one fused multiply-add
    (as GPUs do), so `low + span * u` rounds once instead of twice. The seed
    is a traced argument, as in a compiled training step.
    """
    seed_tf = tf.constant(SEED, tf.int64)
    seed_jax = jnp.asarray(SEED, jnp.int32)
    pairs = {
        "eager": (_all_params("jax", seed_jax), _all_params("tensorflow", seed_tf)),
        "jit": (jax.jit(lambda seed: _all_params("jax", seed))(seed_jax),
                tf.function(lambda seed: _all_params("tensorflow", seed), jit_compile=True)(seed_tf)),
    }
    for mode, (actual, expected) in pairs.items():
        actual, expected = _numpy(actual), _numpy(expected)
        assert actual.keys() == expected.keys() == LAYERS.keys()
        for name in LAYERS:
            assert actual[name].keys() == expected[name].keys(), name
            for key, value in expected[name].items():
                where = f"{name}: {key} {mode}"
                assert actual[name][key].dtype == value.dtype, where
                np.testing.assert_array_equal(actual[name][key], value, err_msg=where)
