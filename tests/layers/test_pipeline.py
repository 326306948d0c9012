"""Pipeline: runs of geometric layers fuse into one warp that matches the layers applied in turn."""

import numpy as np
import pytest
import tensorflow as tf
import keras
from keras.src.utils import image_utils

import keras_aug
from geo_helpers import textured_image
from keras_aug.core import Augmentation
from keras_aug.core import geometric
from keras_aug.core import randomness

H, W = 32, 48
IMAGES = np.stack([textured_image(H, W, 3, seed=i) for i in range(4)])
SQUARE = IMAGES[:, :, :H]


@keras.saving.register_keras_serializable(package="keras_aug_tests")
class AddOne(Augmentation):
    """A non-geometric layer: breaks a run."""

    def apply_images(self, images, params, batch):
        return images + 1


@pytest.fixture
def warp_calls(monkeypatch):
    calls = []
    original = geometric.warp_lib.warp

    def counting(*args, **kwargs):
        calls.append(args[3] if len(args) > 3 else kwargs.get("interpolation"))
        return original(*args, **kwargs)

    monkeypatch.setattr(geometric.warp_lib, "warp", counting)
    return calls


def test_run_of_geometric_layers_is_one_warp(warp_calls):
    pipe = keras_aug.Pipeline([keras_aug.RandomFlip(), keras_aug.RandomRotation(0.1), keras_aug.RandomZoom(0.2),
                               keras_aug.RandomTranslation(0.1, 0.1), keras_aug.RandomShear(0.1),
                               keras_aug.RandomCrop(24, 24), keras_aug.Resizing(16, 16)])
    assert [kind for kind, *_ in pipe._steps] == ["fused"] and len(pipe._steps[0][1]) == 7
    out = pipe(IMAGES)
    assert out.shape == (4, 16, 16, 3) and len(warp_calls) == 1
    warp_calls.clear()
    pipe({"images": IMAGES, "segmentation_masks": np.zeros((4, H, W), np.uint8)})
    assert warp_calls == ["bilinear", "nearest"]  # images, then masks


def test_runs_split_on_different_fill_or_non_geometric_layers(warp_calls):
    pipe = keras_aug.Pipeline([
        keras_aug.RandomRotation(0.1, fill_mode="reflect"), keras_aug.RandomFlip(),
        keras_aug.RandomZoom(0.1, fill_mode="constant"),
        AddOne(),
        keras_aug.RandomTranslation(0.1, 0.1, interpolation="nearest"), keras_aug.RandomRotate90((0, 2)),
    ])
    kinds = [(kind, len(item) if kind == "fused" else 1) for kind, item, _ in pipe._steps]
    assert kinds == [("fused", 2), ("fused", 1), ("single", 1), ("fused", 2)]
    pipe(IMAGES)
    assert warp_calls == ["bilinear", "bilinear", "nearest"]


def _one_by_one(layers, images, seed):
    x = images
    for i, layer in enumerate(layers):
        x = layer(x, seed=randomness.fold_in(seed, i))
    return np.asarray(x)


def test_fused_equals_sequential_for_exact_transforms():
    # Flips, quarter turns, integer crops and whole-pixel shifts move pixels
    # exactly, so one fused warp must equal the layers applied one by one.
    def layers(interpolation):
        return [keras_aug.RandomFlip(),
                keras_aug.RandomTranslation((4 / 32, 4 / 32), (-8 / 32, -8 / 32), fill_mode="wrap",
                                            interpolation=interpolation),
                keras_aug.RandomRotate90(), keras_aug.RandomCrop(24, 28), keras_aug.RandomFlip("vertical"),
                keras_aug.CenterCrop(20, 16)]
    seed = tf.constant([9, 1])
    for interpolation in ("bilinear", "nearest"):
        pipe = keras_aug.Pipeline(layers(interpolation))
        fused = pipe(SQUARE, seed=seed).numpy()
        sequential = _one_by_one(layers(interpolation), SQUARE, seed)
        assert fused.shape == sequential.shape == (4, 20, 16, 3)
        np.testing.assert_allclose(fused, sequential, atol=1e-3)
    # The bilinear run is one step; nearest splits off the bilinear crops.
    assert len(keras_aug.Pipeline(layers("bilinear"))._steps) == 1


def test_fused_matches_sequential_up_to_interpolation():
    def layers():
        return [keras_aug.RandomRotation(0.05), keras_aug.RandomZoom(0.1), keras_aug.RandomTranslation(0.05, 0.05)]
    seed = tf.constant([1, 1])
    fused = keras_aug.Pipeline(layers())(IMAGES, seed=seed).numpy()
    sequential = _one_by_one(layers(), IMAGES, seed)
    interior = (slice(None), slice(6, -6), slice(6, -6))
    assert np.mean(np.abs(fused[interior] - sequential[interior])) < 1.5
    # And it differs from an unrelated transform by much more.
    other = _one_by_one(layers(), IMAGES, tf.constant([2, 2]))
    assert np.mean(np.abs(fused[interior] - other[interior])) > 5 * np.mean(np.abs(fused[interior] - sequential[interior]))


def test_pipeline_inference_applies_only_sizing_layers():
    pipe = keras_aug.Pipeline([keras_aug.RandomRotation(0.2), keras_aug.CenterCrop(40, 50), keras_aug.RandomFlip()])
    np.testing.assert_allclose(pipe(IMAGES, training=False), image_utils.smart_resize(IMAGES, (40, 50)), atol=2e-3)
    pipe = keras_aug.Pipeline([keras_aug.Resizing(16, 24), keras_aug.CenterCrop(12, 12)])
    np.testing.assert_allclose(pipe(IMAGES, training=False), tf.image.resize(IMAGES, (16, 24))[:, 2:14, 6:18],
                               atol=2e-3)


def test_pipeline_is_reproducible_and_per_sample():
    copies = np.repeat(IMAGES[:1], 16, axis=0)
    a = keras_aug.Pipeline([keras_aug.RandomFlip(), keras_aug.RandomRotation(0.1), AddOne()], seed=5)
    b = keras_aug.Pipeline([keras_aug.RandomFlip(), keras_aug.RandomRotation(0.1), AddOne()], seed=5)
    first = a(copies).numpy()
    np.testing.assert_array_equal(first, b(copies).numpy())
    assert not np.array_equal(first, a(copies).numpy())
    assert len({o.round(3).tobytes() for o in first}) >= 15
    jit = tf.function(lambda x: a(x, seed=tf.constant([1, 2])), jit_compile=True)
    np.testing.assert_allclose(jit(copies), a(copies, seed=tf.constant([1, 2])), atol=0.05)


def test_pipeline_config_and_keras_file_round_trip(tmp_path):
    pipe = keras_aug.Pipeline([keras_aug.RandomFlip(), keras_aug.RandomRotation(0.1, fill_mode="constant"),
                               keras_aug.Resizing(16, 24)], seed=3)
    clone = keras_aug.Pipeline.from_config(pipe.get_config())
    np.testing.assert_array_equal(clone(IMAGES, seed=7), pipe(IMAGES, seed=7))
    model = keras.Sequential([keras.Input((H, W, 3)), pipe, keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(2)])
    expected = model.predict(IMAGES, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(reloaded.predict(IMAGES, verbose=0), expected, atol=1e-5)
    assert [type(l).__name__ for l in reloaded.layers[0].layers] == ["RandomFlip", "RandomRotation", "Resizing"]
