"""RandomApply, RandomChoice and RandomOrder: decisions per sample, one warp for geometric layers.

Each container's output is checked sample by sample against its layers'
own `apply` with the parameters the container drew (the chosen layer, the
sample's order), and unchosen samples bitwise against the input.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import tree
from scipy import stats

import keras_aug
from keras_aug.core import Draws
from keras_aug.core import GeometricAugmentation
from keras_aug.core import ImageShape
from keras_aug.core import warp as warp_lib
from keras_aug.core.structures import Batch
from sample_images import textured_image

IMAGES = np.stack([np.round(textured_image(20, 24, seed=i % 3)).astype(np.uint8) for i in range(12)])
KEYPOINTS = np.tile(np.array([[[5.0, 4.0], [18.0, 9.0], [12.0, 15.0]]], np.float32), (12, 1, 1))
P_MIN = 1e-4


def draw(layer, batch_size=12, seed=(5, 6)):
    return layer.sample(ImageShape(batch_size, 20, 24, 3), Draws(tf.constant(seed, "int64")))


def take(params, i):
    """The parameters of sample i, as a batch of one."""
    return tree.map_structure(lambda v: v[i:i + 1], params)


def apply(layer, params, images=IMAGES, keypoints=None):
    batch = Batch(images=tf.constant(images), keypoints=None if keypoints is None else tf.constant(keypoints))
    out = layer.apply(batch, params)
    return out.images.numpy(), None if keypoints is None else out.keypoints.numpy()


def one_by_one(layers, params, i, keypoints=True):
    """Sample i through `layers` in order, each with its own `apply` and parameters."""
    batch = Batch(images=tf.constant(IMAGES[i:i + 1]), keypoints=tf.constant(KEYPOINTS[i:i + 1]) if keypoints else None)
    for layer, p in zip(layers, params):
        batch = layer.apply(batch, take(p, i))
    return batch.images.numpy()[0], None if not keypoints else batch.keypoints.numpy()[0]


# ------------------------------------------------------------------ RandomApply
def test_random_apply_rate_is_the_per_sample_probability():
    layer = keras_aug.RandomApply(keras_aug.RandomColorDegeneration(0.5), rate=0.3)
    applied = draw(layer, 4000)["applied"].numpy()
    assert stats.binomtest(int(applied.sum()), applied.size, 0.3).pvalue > P_MIN


@pytest.mark.parametrize("inner", [
    lambda: keras_aug.RandomColorDegeneration((0.3, 1.0)),
    lambda: keras_aug.RandomRotation(0.2),
    lambda: keras_aug.RandomFlip("horizontal_and_vertical"),
])
def test_random_apply_leaves_unchosen_samples_bitwise_unchanged(inner):
    layer = keras_aug.RandomApply(inner(), rate=0.5)
    params = draw(layer)
    out, _ = apply(layer, params)
    applied = params["applied"].numpy()
    assert 0 < applied.sum() < len(applied)
    np.testing.assert_array_equal(out[~applied], IMAGES[~applied])
    # Chosen samples are what the layer alone does with the same parameters.
    for i in np.flatnonzero(applied):
        expected, _ = one_by_one([layer.layer], [params["layer"]], i, keypoints=False)
        np.testing.assert_array_equal(out[i], expected)


def test_random_apply_of_a_geometric_layer_is_geometric_and_fuses():
    inner = keras_aug.RandomRotation(0.2)
    layer = keras_aug.RandomApply(inner, rate=0.5)
    assert isinstance(layer, keras_aug.RandomApply) and isinstance(layer, GeometricAugmentation)
    pipeline = keras_aug.Pipeline([layer, keras_aug.RandomTranslation(0.1, 0.1)])
    assert [kind for kind, *_ in pipeline._steps] == ["fused"]
    with pytest.raises(ValueError, match="one output size"):
        keras_aug.RandomApply(keras_aug.RandomResizedCrop(8, 8))(IMAGES, training=True)


# ----------------------------------------------------------------- RandomChoice
def test_random_choice_frequencies_follow_the_probabilities():
    layer = keras_aug.RandomChoice([keras_aug.RandomRotation(0.1), keras_aug.RandomTranslation(0.1, 0.1),
                                    keras_aug.RandomFlip()], probabilities=[2, 3, 5])
    choice = draw(layer, 3000)["choice"].numpy()
    observed = np.bincount(choice, minlength=3)
    assert stats.chisquare(observed, np.array([0.2, 0.3, 0.5]) * 3000).pvalue > P_MIN


def count_warps(monkeypatch):
    calls = []
    original = warp_lib.warp

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(warp_lib, "warp", counting)
    return calls


def test_geometric_random_choice_is_one_warp_in_a_pipeline(monkeypatch):
    choice = keras_aug.RandomChoice([keras_aug.RandomRotation(0.2), keras_aug.RandomShear(0.3)])
    pipeline = keras_aug.Pipeline([choice, keras_aug.RandomZoom(0.2)], seed=3)
    assert [kind for kind, *_ in pipeline._steps] == ["fused"]
    calls = count_warps(monkeypatch)
    out = pipeline(IMAGES, training=True)
    assert len(calls) == 1 and out.shape == IMAGES.shape


def test_random_choice_gives_each_sample_its_chosen_layer():
    layers = [keras_aug.RandomRotation(0.2, fill_mode="constant"), keras_aug.RandomTranslation(0.2, 0.2, fill_mode="constant")]
    layer = keras_aug.RandomChoice(layers)
    params = draw(layer)
    out, moved = apply(layer, params, keypoints=KEYPOINTS)
    choice = params["choice"].numpy()
    assert set(choice) == {0, 1}
    for i, c in enumerate(choice):
        image, points = one_by_one([layers[c]], [params["layers"][c]], i)
        assert np.abs(out[i].astype(int) - image).max() <= 1
        np.testing.assert_allclose(moved[i], points, atol=1e-3)


def test_mixed_random_choice_runs_one_layer_per_sample():
    layers = [keras_aug.RandomColorDegeneration((0.5, 1.0)), keras_aug.RandomFlip("horizontal_and_vertical"),
              keras_aug.GaussianNoise(sigma=(0.05, 0.1))]
    layer = keras_aug.RandomChoice(layers)
    assert not isinstance(layer, GeometricAugmentation)
    params = draw(layer)
    out, _ = apply(layer, params)
    for i, c in enumerate(params["choice"].numpy()):
        image, _ = one_by_one([layers[c]], [params["layers"][c]], i, keypoints=False)
        np.testing.assert_array_equal(out[i], image)


# ------------------------------------------------------------------ RandomOrder
def test_random_order_draws_every_permutation_uniformly():
    layer = keras_aug.RandomOrder([keras_aug.RandomRotation(0.1), keras_aug.RandomShear(0.1), keras_aug.RandomZoom(0.1)])
    order = draw(layer, 3000)["order"].numpy()
    codes = order[:, 0] * 9 + order[:, 1] * 3 + order[:, 2]
    perms = [0 * 9 + 1 * 3 + 2, 0 * 9 + 2 * 3 + 1, 1 * 9 + 0 * 3 + 2, 1 * 9 + 2 * 3 + 0, 2 * 9 + 0 * 3 + 1, 2 * 9 + 1 * 3 + 0]
    observed = np.array([(codes == p).sum() for p in perms])
    assert observed.sum() == 3000 and stats.chisquare(observed).pvalue > P_MIN


def test_geometric_random_order_moves_points_in_each_samples_order():
    layers = [keras_aug.RandomRotation(0.2, fill_mode="constant"), keras_aug.RandomShear(0.4, fill_mode="constant"),
              keras_aug.RandomTranslation(0.2, 0.2, fill_mode="constant")]
    layer = keras_aug.RandomOrder(layers)
    assert isinstance(layer, GeometricAugmentation)
    params = draw(layer)
    _, moved = apply(layer, params, keypoints=KEYPOINTS)
    for i, order in enumerate(params["order"].numpy()):
        _, points = one_by_one([layers[k] for k in order], [params["layers"][k] for k in order], i)
        np.testing.assert_allclose(moved[i], points, atol=1e-3)


def test_mixed_random_order_applies_the_colour_layers_in_each_samples_order():
    # Equalization and colour degeneration do not commute: the order shows.
    layers = [keras_aug.Equalization(), keras_aug.RandomColorDegeneration((0.6, 1.0)), keras_aug.RandomFlip()]
    layer = keras_aug.RandomOrder(layers)
    params = draw(layer)
    out, _ = apply(layer, params)
    flip = layers[2]
    for i, order in enumerate(params["order"].numpy()):
        colour = [k for k in order if k != 2]
        image, _ = one_by_one([layers[k] for k in colour] + [flip], [params["layers"][k] for k in colour + [2]], i,
                              keypoints=False)
        assert np.abs(out[i].astype(int) - image).max() <= 1


# ------------------------------------------------------- compiled, config, errors
def test_choices_change_from_call_to_call_under_jit_compile():
    layer = keras_aug.RandomChoice([keras_aug.RandomFlip("horizontal"), keras_aug.RandomFlip("vertical")], seed=4)
    compiled = tf.function(lambda x: layer(x, training=True), jit_compile=True)
    outputs = [compiled(IMAGES).numpy() for _ in range(3)]
    assert not np.array_equal(outputs[0], outputs[1]) and not np.array_equal(outputs[1], outputs[2])


def test_nested_containers_round_trip_through_keras_serialization():
    pipeline = keras_aug.Pipeline([
        keras_aug.RandomApply(keras_aug.RandomChoice([keras_aug.RandomRotation(0.1), keras_aug.RandomShear(0.2)]), 0.7),
        keras_aug.RandomOrder([keras_aug.RandomColorDegeneration(0.5), keras_aug.RandAugment(num_ops=1)]),
        keras_aug.RandomChoice([keras_aug.GaussianNoise(), keras_aug.RandomFlip()], probabilities=[1, 3]),
    ], seed=9)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(pipeline))
    assert [type(x).__name__ for x in clone.layers] == [type(x).__name__ for x in pipeline.layers]
    assert clone.layers[2].probabilities == [1, 3] and clone.layers[0].rate == 0.7
    np.testing.assert_array_equal(pipeline(IMAGES, training=True, seed=(1, 2)), clone(IMAGES, training=True, seed=(1, 2)))


@pytest.mark.parametrize("make, message", [
    (lambda: keras_aug.RandomApply(keras_aug.RandomFlip(), rate=1.5), "rate"),
    (lambda: keras_aug.RandomApply("flip"), "layer"),
    (lambda: keras_aug.RandomChoice([]), "layers"),
    (lambda: keras_aug.RandomChoice([keras_aug.RandomFlip()] * 2, probabilities=[1]), "probabilities"),
    (lambda: keras_aug.RandomChoice([keras_aug.RandomRotation(0.1, fill_mode="constant"),
                                     keras_aug.RandomRotation(0.1, fill_mode="reflect")]), "fill_mode"),
    (lambda: keras_aug.RandomOrder([keras_aug.RandomRotation(0.1), keras_aug.RandomColorDegeneration(0.1),
                                    keras_aug.RandomRotation(0.1, interpolation="nearest")]), "interpolation"),
])
def test_bad_arguments_are_refused_by_name(make, message):
    with pytest.raises(ValueError, match=message):
        make()
