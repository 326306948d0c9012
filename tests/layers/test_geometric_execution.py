"""Every geometric layer runs eagerly, in tf.function, under XLA, in tf.data and in fit;
on uint8/float16/bfloat16/float32, 1/3/4 channels, rank 3/4, channels_first."""

import numpy as np
import pytest
import tensorflow as tf
import keras

from keras_aug.core import randomness
from geo_helpers import ALL_LAYERS
from geo_helpers import layer_dtype
from geo_helpers import textured_image

H, W = 32, 48
IMAGES = np.stack([textured_image(H, W, 3, seed=i) for i in range(2)])
SEED = tf.constant([5, 6])
NAMES = sorted(ALL_LAYERS)


def _reference(name, images=IMAGES, **kw):
    return ALL_LAYERS[name](**kw)(images, seed=SEED).numpy()


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("name", NAMES)
def test_graph_modes_match_eager(name, jit):
    layer = ALL_LAYERS[name]()
    fn = tf.function(lambda x: layer(x, seed=SEED), jit_compile=jit)
    np.testing.assert_allclose(fn(tf.constant(IMAGES)).numpy(), _reference(name), atol=0.05)
    if not jit:  # tf.data map, with a call seed and unseeded on unbatched elements
        ds = tf.data.Dataset.from_tensors(IMAGES).map(lambda x: layer(x, seed=SEED))
        np.testing.assert_allclose(next(iter(ds)).numpy(), _reference(name), atol=0.05)
        ds = tf.data.Dataset.from_tensor_slices(IMAGES).map(ALL_LAYERS[name](seed=1), num_parallel_calls=2).batch(2)
        out = next(iter(ds)).numpy()
        # Unseeded call k of a layer with seed 1 uses fold_in(1, k), one k per element
        # (an atomic counter); two parallel calls may take them in either order.
        seeds = [randomness.fold_in(1, k) for k in range(2)]
        ref = [[ALL_LAYERS[name]()(image, seed=s).numpy() for s in seeds] for image in IMAGES]
        assert out.shape == _reference(name).shape
        close = [np.allclose(out[0], ref[0][a], atol=0.05) and np.allclose(out[1], ref[1][1 - a], atol=0.05)
                 for a in (0, 1)]
        assert any(close), "each element must get its own call index"


def test_one_fit_step_under_jit_with_every_layer():
    # One model holding every geometric layer (one compile keeps this fast);
    # each is a separate model layer, so each sees fit's training=True.
    layers = [ALL_LAYERS[name](seed=i) for i, name in enumerate(NAMES)]
    model = keras.Sequential([keras.Input((H, W, 3))] + layers + [
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    history = model.fit(IMAGES, np.zeros((2, 1)), batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.jit_compile  # no layer switched XLA off


TOLERANCE = {"uint8": 1.0, "float16": 0.3, "bfloat16": 2.0, "float32": 1e-3}


@pytest.mark.parametrize("dtype", ["uint8", "float16", "bfloat16", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_dtypes_are_kept(name, dtype):
    images = tf.cast(np.round(IMAGES), dtype)
    out = ALL_LAYERS[name](**layer_dtype(dtype))(images, seed=SEED)
    assert out.dtype == images.dtype
    ref = _reference(name, np.round(IMAGES))
    diff = np.abs(tf.cast(out, tf.float32).numpy() - ref)
    assert np.mean(diff) <= TOLERANCE[dtype] and np.max(diff) <= 4 * TOLERANCE[dtype] + 0.5


@pytest.mark.parametrize("name", NAMES)
def test_channels_ranks_and_channels_first(name):
    layer = ALL_LAYERS[name]()
    for channels in (1, 3, 4):
        images = np.stack([textured_image(H, W, channels, seed=i) for i in range(2)])
        batched = layer(images, seed=SEED).numpy()
        assert batched.shape[-1] == channels
        single = layer(images[0], seed=SEED).numpy()
        assert single.shape == batched.shape[1:]
        first = ALL_LAYERS[name](data_format="channels_first")(np.transpose(images, [0, 3, 1, 2]), seed=SEED)
        np.testing.assert_allclose(np.transpose(first, [0, 2, 3, 1]), batched, atol=1e-3)
        first_single = ALL_LAYERS[name](data_format="channels_first")(np.transpose(images[0], [2, 0, 1]), seed=SEED)
        assert first_single.shape == np.transpose(single, [2, 0, 1]).shape


@pytest.mark.parametrize("name", NAMES)
def test_unknown_spatial_shape_matches_static(name):
    layer = ALL_LAYERS[name]()
    fn = tf.function(lambda x: layer(x, seed=SEED),
                     input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    for images in (IMAGES, IMAGES[:, :20, :28]):  # larger and smaller than the crops
        out = fn(tf.constant(images)).numpy()
        ref = ALL_LAYERS[name]()(images, seed=SEED).numpy()
        assert out.shape == ref.shape
        # Dynamic sizes resize crops through the one matrix: borders may differ.
        assert np.mean(np.abs(out - ref)) < 0.5, np.mean(np.abs(out - ref))
