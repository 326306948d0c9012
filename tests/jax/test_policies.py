"""Policies and compositions under the JAX backend: the same numbers as under TensorFlow.

Each layer is called with a call seed on jnp arrays (eagerly and under
`jax.jit`) and on tf tensors (which computes with TensorFlow): images within
one level on uint8 (1e-3 on float32 0-255 values), drawn ops bit for bit.

Collected only under KERAS_BACKEND=jax (see tests/jax/conftest.py).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf

import keras_aug
from keras_aug.core import Draws
from keras_aug.core import ImageShape
from keras_aug.core import backend
from sample_images import textured_image
from test_photometric import call_on_jax  # the same SEED, (1, 2)
from test_photometric import call_on_tensorflow

SEED = (1, 2)
FLOATS = np.stack([textured_image(12, 14, 3, seed=i) for i in range(6)])
BATCHES = {"float32": FLOATS, "uint8": np.round(FLOATS).astype(np.uint8)}

LAYERS = {
    "RandAugment": lambda: keras_aug.RandAugment(num_ops=2, factor=0.5),
    "TrivialAugmentWide": lambda: keras_aug.TrivialAugmentWide(),
    "AutoAugment": lambda: keras_aug.AutoAugment("cifar10"),
    "AugMix": lambda: keras_aug.AugMix(num_chains=2, chain_depth=1, all_ops=False),
    "RandomApply": lambda: keras_aug.RandomApply(keras_aug.RandomRotation(0.2), 0.5),
    "RandomChoice": lambda: keras_aug.RandomChoice(
        [keras_aug.RandomColorDegeneration(0.8), keras_aug.RandomFlip(), keras_aug.RandomRotation(0.2)]),
    "RandomOrder": lambda: keras_aug.RandomOrder([keras_aug.RandomShear(0.3), keras_aug.RandomRotation(0.2)]),
}


def on_tensorflow_and_under_jit(kernel, *arrays):
    """(`kernel` computing with TensorFlow, `kernel` under `jax.jit` computing with JAX), as numpy arrays."""
    with backend.computing_with("tensorflow"):
        expected = kernel(*(tf.constant(a) for a in arrays)).numpy()

    def on_jax(*values):
        with backend.computing_with("jax"):
            return kernel(*values)

    return expected, np.asarray(jax.jit(on_jax)(*(jnp.asarray(a) for a in arrays)))


# A policy's graph takes 5-20 s to compile with XLA on 2 cores, and as long
# eagerly (op by op): each policy runs one case; they share all their code
# (`keras_aug.layers.policies.selection`), AutoAugment's sampling is checked below.
CASES = [("RandAugment", "uint8", True), ("AugMix", "uint8", True), ("TrivialAugmentWide", "float32", False)] + [
    (name, dtype, None) for name in ("RandomApply", "RandomChoice", "RandomOrder") for dtype in ("uint8", "float32")]


@pytest.mark.parametrize("name, dtype, jit", CASES)
def test_jax_equals_tensorflow(name, dtype, jit):
    layer, images = LAYERS[name](), BATCHES[dtype]
    expected = call_on_tensorflow(layer, images)
    assert not np.array_equal(expected, images)
    tolerance = 1 if dtype == "uint8" else 1e-3
    for jit in (False, True) if jit is None else (jit,):
        got = call_on_jax(layer, images, jit)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), rtol=0, atol=tolerance)


# AugMix is left out: its gamma draws alone take ~20 s to compile; its images are compared above.
@pytest.mark.parametrize("name", ["AutoAugment", "RandAugment", "TrivialAugmentWide"])
def test_drawn_ops_equal_tensorflow_bit_for_bit_and_change_per_call(name):
    layer, images = LAYERS[name](), BATCHES["uint8"]

    def ops_of(seed, x):
        with backend.computing_with("jax" if isinstance(x, jax.Array) else "tensorflow"):
            return layer.sample(ImageShape(*x.shape), Draws(seed))["op"]

    expected = ops_of(tf.constant(SEED, "int64"), tf.constant(images)).numpy()
    got = jax.jit(ops_of)(jnp.asarray(SEED, "int32"), jnp.asarray(images))
    np.testing.assert_array_equal(np.asarray(got), expected)
    # Successive calls of the layer draw new ops (its call counter advances).
    x = jnp.asarray(images)
    assert len({np.asarray(ops_of(layer.call_seed(), x)).tobytes() for _ in range(3)}) == 3


def test_uint8_colour_tables_with_gathered_rows_equal_tensorflow_under_jit(monkeypatch):
    # The gathered-rows path (chunks of rows in a loop, written in place) needs batches
    # larger than the layer cases above: the kernel is called directly.
    from keras_aug.layers.policies import level_tables
    from keras_aug.layers.policies import ops as op_table
    from keras_aug.layers.policies import rows

    monkeypatch.setattr(rows, "chunk_size", lambda batch_size, probability: 3)  # 40 rows: the last chunk pads
    rng = np.random.default_rng(3)
    op = rng.integers(0, len(op_table.OPS), (40, 2)).astype(np.int32)
    magnitude = np.where(op == op_table.OP_INDEX["posterize"], 3.0, rng.uniform(-0.6, 0.6, op.shape)).astype(np.float32)
    images = np.stack([np.round(textured_image(24, 32, seed=i) * 0.5 + 20) for i in range(40)]).astype(np.uint8)

    def colour(x, o, m):
        return level_tables.colour_values(x, o, m, op_table.OPS, lambda name: 0.1)

    expected, got = on_tensorflow_and_under_jit(colour, images, op, magnitude)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-3)


def test_warp_of_the_moved_rows_equals_tensorflow_under_jit(monkeypatch):
    # rows.warp_moved (the policies' warp when only images move): a cond over row tiers, reads selected back.
    from keras_aug.core import matrices as mat
    from keras_aug.layers.policies import rows

    monkeypatch.setattr(rows, "capacity", lambda batch_size, probability, max_fraction=0.6: (4, 12))
    rng = np.random.default_rng(6)
    images = rng.integers(0, 256, (20, 12, 16, 3)).astype(np.uint8)
    angle = np.where(np.arange(20) % 3 == 0, rng.uniform(-0.5, 0.5, 20), 0.0).astype(np.float32)  # 7 rows move

    def warped(x, a):
        return rows.warp_moved(x, mat.about(mat.rotation(a), 8.0, 6.0), a != 0.0, 0.3, lambda read: read(0, None))

    expected, got = on_tensorflow_and_under_jit(warped, images, angle)
    assert not np.array_equal(expected, images)
    np.testing.assert_allclose(got.astype(int), expected.astype(int), rtol=0, atol=1)


def test_warp_of_the_moved_rows_in_place_equals_tensorflow_under_jit():
    # rows.warp_rows_in_place (RandAugment's warp when only images move): a loop over the moved rows, in place.
    from keras_aug.core import matrices as mat
    from keras_aug.layers.policies import rows

    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, (20, 12, 16, 3)).astype(np.float32)
    angle = np.where(np.arange(20) % 3 == 1, rng.uniform(-0.5, 0.5, 20), 0.0).astype(np.float32)  # 7 rows move

    def warped(x, a):
        return rows.warp_rows_in_place(x, mat.about(mat.rotation(a), 8.0, 6.0), a != 0.0, 0.3)

    expected, got = on_tensorflow_and_under_jit(warped, images, angle)
    assert not np.array_equal(expected, images)
    np.testing.assert_array_equal(expected[angle == 0.0], images[angle == 0.0])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-3)


def test_float_row_ops_on_gathered_rows_equal_tensorflow_under_jit():
    # Float slots run equalize, sharpness and the statistics of contrast and autocontrast only on the rows that
    # drew them: in chunks of 8 (a loop over the chunks) or one row a turn (the layers' setting,
    # `selection.FLOAT_ROWS_AT_A_TIME`).
    from keras_aug.layers.policies import ops as op_table

    rng = np.random.default_rng(4)
    images = np.stack([np.round(textured_image(24, 32, seed=i) * 0.5 + 20) for i in range(40)]).astype(np.float32)
    drawable = [op_table.OP_INDEX[n] for n in ("equalize", "sharpness", "contrast", "autocontrast")]
    for share, rows in ((0.3, 8), (0.3, 1)):
        op = np.where(rng.uniform(size=40) < share, rng.choice(drawable, 40), 0).astype(np.int32)
        magnitude = rng.uniform(-0.6, 0.6, 40).astype(np.float32)

        def slot(x, o, m, rows=rows):
            return op_table.colour_slot(x, o, m, op_table.OPS, chunk=rows)

        expected, got = on_tensorflow_and_under_jit(slot, images, op, magnitude)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-3)
        assert np.abs(expected - images).max() > 1.0  # the ops changed some samples
