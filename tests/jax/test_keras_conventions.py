"""Keras's input conventions under the JAX backend: box shapes and dtypes as Keras's tests give them.

Each call runs eagerly on jnp arrays and under `jax.jit`, against hand-computed
values or the input (the TensorFlow side is tests/layers/test_keras_conventions.py).
"""

import jax
import jax.numpy as jnp
import numpy as np

import keras_aug

SEED = (3, 9)
IMAGES = np.random.default_rng(0).uniform(0, 255, (2, 10, 8, 3)).astype(np.float32)
BOXES = np.array([[2, 1, 4, 3], [6, 4, 8, 6]], np.int32)  # xyxy on the 10 x 8 images


def _both_ways(layer, data):
    """{"eager", "jit": output as numpy} of one seeded call."""
    call = lambda d: layer(d, training=True, seed=SEED)  # noqa: E731
    jax_data = jax.tree.map(jnp.asarray, data)
    outputs = {"eager": call(jax_data), "jit": jax.jit(call)(jax_data)}
    assert isinstance(jax.tree.leaves(outputs["eager"])[0], jax.Array)
    return {mode: jax.tree.map(np.asarray, out) for mode, out in outputs.items()}


def test_one_image_with_integer_boxes_and_labels_of_shape_one_by_n():
    """CenterCrop(20, 20) of a 10 x 8 image: the 8 x 8 centre (rows 1-9) scaled by 2.5 (hand-computed)."""
    outputs = _both_ways(keras_aug.CenterCrop(20, 20, bounding_box_format="xyxy"),
                         {"images": IMAGES[0], "bounding_boxes": {"boxes": BOXES, "labels": np.array([[1, 2]])}})
    for mode, out in outputs.items():
        assert out["bounding_boxes"]["boxes"].dtype == np.float32, mode
        np.testing.assert_array_equal(out["bounding_boxes"]["labels"], [[1, 2]], err_msg=mode)
        np.testing.assert_allclose(out["bounding_boxes"]["boxes"], [[5, 0, 10, 5], [15, 7.5, 20, 12.5]],
                                   atol=1e-3, err_msg=mode)


def test_a_shared_box_array_that_no_layer_moves_comes_back_as_given():
    data = {"images": IMAGES, "bounding_boxes": {"boxes": BOXES.astype(np.float32), "labels": np.array([1, 2])}}
    for mode, out in _both_ways(keras_aug.RandomBrightness(0.3, bounding_box_format="xyxy"), data).items():
        np.testing.assert_array_equal(out["bounding_boxes"]["boxes"], BOXES, err_msg=mode)


def test_blur_with_sigma_zero_blurs_nothing():
    for mode, out in _both_ways(keras_aug.RandomGaussianBlur(factor=(1.0, 1.0), sigma=0), IMAGES).items():
        np.testing.assert_allclose(out, IMAGES, atol=1e-4, err_msg=mode)
