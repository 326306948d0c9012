"""Randomness of the geometric layers: per sample, filling the declared ranges, seeded."""

import math

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

import keras_aug
from geo_helpers import RANDOM_LAYERS
from geo_helpers import textured_image
from keras_aug.core import Draws
from keras_aug.core import ImageShape

H, W = 32, 48
IMAGE = textured_image(H, W, 3, seed=1)
COPIES = np.repeat(IMAGE[None], 32, axis=0)

DISTINCT_LAYERS = dict(RANDOM_LAYERS)
DISTINCT_LAYERS.pop("RandomFlip")  # four states: tested below
DISTINCT_LAYERS.pop("RandomRotate90")
DISTINCT_LAYERS["RandomCrop"] = lambda **kw: keras_aug.RandomCrop(16, 16, **kw)


def _distinct(outputs):
    return len({np.asarray(o).round(3).tobytes() for o in outputs})


@pytest.mark.parametrize("name", sorted(DISTINCT_LAYERS))
def test_each_sample_gets_its_own_transform(name):
    out = DISTINCT_LAYERS[name](seed=0)(COPIES).numpy()
    assert _distinct(out) >= 30


def test_flip_axes_are_independent_per_sample():
    out = keras_aug.RandomFlip("horizontal_and_vertical", seed=0)(COPIES).numpy()
    states = []
    for o in out:
        h = np.array_equal(o, IMAGE[:, ::-1]) or np.array_equal(o, IMAGE[::-1, ::-1])
        v = np.array_equal(o, IMAGE[::-1]) or np.array_equal(o, IMAGE[::-1, ::-1])
        assert h or v or np.array_equal(o, IMAGE)
        states.append((h, v))
    assert set(states) == {(False, False), (True, False), (False, True), (True, True)}
    # Independence over many samples: P(h and v) ~ 1/4, not 1/2.
    p = keras_aug.RandomFlip().sample(ImageShape(4000, H, W, 3), Draws(1))
    h, v = p["horizontal"].numpy(), p["vertical"].numpy()
    assert abs(h.mean() - 0.5) < 0.03 and abs(v.mean() - 0.5) < 0.03 and abs((h & v).mean() - 0.25) < 0.03


@pytest.mark.parametrize("turns", [(0, 1, 2, 3), (1, 3)])
def test_rotate90_gives_its_turn_set(turns):
    square = np.repeat(IMAGE[None, :, :H], 32, axis=0)
    out = keras_aug.RandomRotate90(turns, seed=0)(square).numpy()
    seen = {k for o in out for k in range(4) if np.array_equal(o, np.rot90(square[0], k))}
    assert seen == set(turns)


def _uniform_ok(values, low, high):
    return scipy.stats.kstest(np.asarray(values), scipy.stats.uniform(low, high - low).cdf).pvalue > 1e-3


N = 2000


def _sample(layer, h=H, w=W):
    return {k: v.numpy() for k, v in layer.sample(ImageShape(N, h, w, 3), Draws(123)).items()}


def test_sampled_parameters_fill_their_ranges():
    p = _sample(keras_aug.RandomRotation((-0.1, 0.3)))
    assert _uniform_ok(p["angle"] / (2 * math.pi), -0.1, 0.3)
    p = _sample(keras_aug.RandomZoom((-0.2, 0.4), (0.1, 0.3)))
    assert _uniform_ok(p["zoom_y"] - 1, -0.2, 0.4) and _uniform_ok(p["zoom_x"] - 1, 0.1, 0.3)
    p = _sample(keras_aug.RandomZoom(0.3))
    np.testing.assert_array_equal(p["zoom_x"], p["zoom_y"])
    p = _sample(keras_aug.RandomTranslation((-0.1, 0.2), 0.3))
    assert _uniform_ok(p["dy"], -0.1, 0.2) and _uniform_ok(p["dx"], -0.3, 0.3)
    p = _sample(keras_aug.RandomShear((0.1, 0.3), 0.2))
    assert _uniform_ok(np.abs(p["shear_x"]), 0.1, 0.3) and _uniform_ok(np.abs(p["shear_y"]), 0.0, 0.2)
    assert abs(np.mean(p["shear_x"] > 0) - 0.5) < 0.04
    p = _sample(keras_aug.RandomAffine((-10, 20), scale=(0.8, 1.2), shear=(-5, 5, 0, 10), translate=(0.1, 0.2)))
    assert _uniform_ok(p["angle"], -10, 20) and _uniform_ok(p["scale"], 0.8, 1.2)
    assert _uniform_ok(p["shear_x"], -5, 5) and _uniform_ok(p["shear_y"], 0, 10)
    assert set(np.unique(p["tx"])) == set(np.arange(-round(0.1 * W), round(0.1 * W) + 1, dtype=np.float32))
    assert np.abs(p["ty"]).max() <= 0.2 * H


def test_random_crop_offsets_cover_every_position():
    m = _sample(keras_aug.RandomCrop(28, 40))["matrix"]
    assert set(m[:, 0, 2]) == set(range(0, W - 40 + 1)) and set(m[:, 1, 2]) == set(range(0, H - 28 + 1))
    counts = np.bincount(m[:, 0, 2].astype(int))
    assert scipy.stats.chisquare(counts).pvalue > 1e-3


def test_random_resized_crop_area_and_ratio_within_ranges():
    p = _sample(keras_aug.RandomResizedCrop(16, 16, scale=(0.25, 0.75), ratio=(0.5, 2.0)), 100, 100)
    area = p["crop_w"] * p["crop_h"] / 1e4
    ratio = p["crop_w"] / p["crop_h"]
    assert area.min() > 0.23 and area.max() < 0.77 and area.min() < 0.3 and area.max() > 0.7
    assert ratio.min() > 0.48 and ratio.max() < 2.05 and ratio.min() < 0.6 and ratio.max() > 1.7
    assert _uniform_ok(area, 0.25, 0.75) or np.std(area) > 0.12


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_seeded_layers_reproduce_and_vary_across_calls(name):
    images = COPIES[:4, :, :H] if name == "RandomRotate90" else COPIES[:4]
    a, b = RANDOM_LAYERS[name](seed=42), RANDOM_LAYERS[name](seed=42)
    a1, a2 = a(images).numpy(), a(images).numpy()
    np.testing.assert_array_equal(a1, b(images).numpy())
    np.testing.assert_array_equal(a2, b(images).numpy())
    assert not np.array_equal(a1, a2)
    c = RANDOM_LAYERS[name](seed=43)
    assert not np.array_equal(a1, c(images).numpy())


@pytest.mark.parametrize("name", ["RandomRotation", "RandomCrop", "RandomFlip"])
def test_call_seed_makes_a_call_deterministic(name):
    layer = RANDOM_LAYERS[name]()
    seed = tf.constant([3, 4])
    first = layer(COPIES[:4], seed=seed).numpy()
    np.testing.assert_array_equal(first, layer(COPIES[:4], seed=seed).numpy())
    np.testing.assert_array_equal(first, RANDOM_LAYERS[name]()(COPIES[:4], seed=seed).numpy())
    fn = tf.function(lambda x, s: layer(x, seed=s))
    np.testing.assert_allclose(first, fn(COPIES[:4], seed).numpy(), atol=1e-3)  # graph round-off
    assert not np.array_equal(first, layer(COPIES[:4], seed=tf.constant([3, 5])).numpy())
