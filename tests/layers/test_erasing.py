"""RandomErasing, RandomCutout and GridMask: exactness, statistics, annotations, execution modes."""

import math

import keras
import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from _annotations import IGNORE
from _annotations import annotated_batch
from _annotations import assert_same_up_to_float_rounding
from _annotations import check_integrity
from geo_helpers import layer_dtype
from keras_aug.core import Draws
from keras_aug.core import ImageShape
from keras_aug.core import structures
from keras_aug.layers.erasing import GridMask
from keras_aug.layers.erasing import RandomCutout
from keras_aug.layers.erasing import RandomErasing

B, H, W = 4, 24, 32
RNG = np.random.RandomState(0)
IMAGES = RNG.uniform(0, 255, (B, H, W, 3)).astype(np.float32)

LAYERS = {
    "erasing": lambda **kw: RandomErasing(factor=(1.0, 1.0), count=(1, 3), **kw),
    "erasing_random_fill": lambda **kw: RandomErasing(factor=(0.8, 1.0), **kw),
    "cutout": lambda **kw: RandomCutout(size=(4, 10), count=2, fill_mode="mean", **kw),
    "gridmask": lambda **kw: GridMask(rotation_factor=0.1, fill_value=[1.0, 2.0, 3.0], **kw),
}


def params_of(layer, images, seed):
    b, h, w, c = images.shape
    return {k: v.numpy() for k, v in layer.sample(ImageShape(b, h, w, c), Draws(seed)).items()}


def numpy_hidden(layer, p, h, w):
    """The hidden map rebuilt from the parameters, independently of the layer's code."""
    hidden = np.zeros((len(next(iter(p.values()))), h, w), bool)
    if "rects" in p:
        for i in range(hidden.shape[0]):
            for (y0, x0, y1, x1), on in zip(p["rects"][i].astype(int), p["used"][i] & p["active"][i]):
                if on:
                    hidden[i, y0:y1, x0:x1] = True
        return hidden
    ys = np.arange(h) + 0.5 - h / 2
    xs = np.arange(w) + 0.5 - w / 2
    for i in range(hidden.shape[0]):
        c, s = math.cos(p["angle"][i]), math.sin(p["angle"][i])
        u = c * xs[None, :] + s * ys[:, None]
        v = -s * xs[None, :] + c * ys[:, None]
        d, side = p["period"][i], p["side"][i]
        inside = (np.mod(u - p["offset"][i, 0], d) < side) & (np.mod(v - p["offset"][i, 1], d) < side)
        hidden[i] = inside & p["active"][i]
    return hidden


# ------------------------------------------------------------------ exactness
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_erased_pixels_are_exactly_where_sample_says(name):
    layer = LAYERS[name](seed=1)
    seed = tf.constant([5, 6], tf.int64)
    out = layer(IMAGES, seed=seed).numpy()
    p = params_of(layer, IMAGES, seed)
    hidden = numpy_hidden(layer, p, H, W)
    assert hidden.any() and not hidden.all()
    np.testing.assert_array_equal(out[~hidden], IMAGES[~hidden])
    if layer.fill_mode == "constant":
        expected = np.broadcast_to(np.array(layer.fill_value, np.float32), IMAGES.shape)
    elif layer.fill_mode == "mean":
        expected = np.broadcast_to(IMAGES.mean(axis=(1, 2), keepdims=True), IMAGES.shape)
    else:
        expected = p["noise"]
        assert expected.min() >= 0 and expected.max() <= 255
    np.testing.assert_allclose(out[hidden], expected[hidden], rtol=1e-5)


def test_hand_made_parameters():
    layer = RandomErasing(fill_value=7.0)
    batch = structures.unpack(IMAGES)
    rects = np.zeros((B, 2, 4), np.float32)
    rects[0, 0] = [2, 3, 10, 8]
    rects[1, 0] = [0, 0, H, 4]
    rects[1, 1] = [20, 20, 24, 32]
    rects[2, 0] = [1, 1, 5, 5]
    used = np.array([[True, False], [True, True], [True, False], [True, True]])
    active = np.array([True, True, False, True])  # the gate: sample 2's used rectangle erases nothing
    params = {"rects": tf.constant(rects), "used": tf.constant(used), "active": tf.constant(active)}
    out = layer.apply(batch, params).images.numpy()
    expected = IMAGES.copy()
    expected[0, 2:10, 3:8] = 7
    expected[1, :, :4] = 7
    expected[1, 20:24, 20:32] = 7
    expected[3, 0:0] = 7  # zero-size rectangles erase nothing
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("dtype", ["uint8", "float16", "bfloat16", "float32"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_dtype_is_kept(name, dtype):
    images = tf.cast(tf.round(IMAGES), dtype)
    out = LAYERS[name](seed=3, **layer_dtype(dtype))(images)
    assert out.dtype == images.dtype
    if dtype == "uint8":
        changed = out.numpy() != images.numpy()
        assert changed.any()


# ------------------------------------------------------------------ statistics
def test_erasing_area_ratio_position_and_probability_distributions():
    layer = RandomErasing(factor=(0.3, 0.7), scale=(0.02, 0.2), ratio=(0.5, 2.0), count=(1, 3), fill_value=0.0, seed=0)
    n, h, w = 3000, 1000, 800
    p = layer.sample(ImageShape(n, h, w, 3), Draws(123))
    rects = p["rects"].numpy()[:, 0]
    rh, rw = rects[:, 2] - rects[:, 0], rects[:, 3] - rects[:, 1]
    assert scipy.stats.kstest(rh * rw / (h * w), scipy.stats.uniform(0.02, 0.18).cdf).pvalue > 0.01
    log_ratio = np.log(rw / rh)
    assert scipy.stats.kstest(log_ratio, scipy.stats.uniform(np.log(0.5), np.log(4.0)).cdf).pvalue > 0.01
    position = (rects[:, 1] + 0.5) / (w - rw + 1)
    assert scipy.stats.kstest(position, "uniform").pvalue > 0.01
    active = p["used"].numpy() & p["active"].numpy()[:, None]
    erased = active.any(axis=1)
    assert abs(erased.mean() - 0.5) < 0.04  # E[U(0.3, 0.7)]
    counts = active[erased].sum(axis=1)
    assert set(counts) == {1, 2, 3}
    assert scipy.stats.chisquare(np.bincount(counts)[1:]).pvalue > 0.01


def test_cutout_size_and_centre_distributions():
    layer = RandomCutout(size=(5, 14), count=1, seed=0)
    n, h, w = 4000, 600, 500
    p = layer.sample(ImageShape(n, h, w, 3), Draws(7))
    rects = p["rects"].numpy()[:, 0]
    inner = (rects[:, 0] > 0) & (rects[:, 1] > 0) & (rects[:, 2] < h) & (rects[:, 3] < w)
    sides = (rects[inner, 2] - rects[inner, 0]).astype(int)
    assert np.all(rects[inner, 3] - rects[inner, 1] == sides)
    assert set(sides) == set(range(5, 15))
    assert scipy.stats.chisquare(np.bincount(sides)[5:]).pvalue > 0.01
    centre_x = rects[inner, 1] + np.floor(sides / 2)
    assert scipy.stats.kstest((centre_x + 0.5) / w, "uniform").pvalue > 0.01
    assert p["active"].numpy().all() and p["used"].numpy().all()


def test_gridmask_parameter_distributions_and_erased_share():
    layer = GridMask(period=(0.2, 0.6), ratio=(0.3, 0.6), rotation_factor=0.25, probability=0.7, seed=0)
    n = 3000
    p = params_of(layer, np.zeros((n, 100, 80, 1)), 9)
    assert scipy.stats.kstest(p["period"] / 80, scipy.stats.uniform(0.2, 0.4).cdf).pvalue > 0.01
    assert scipy.stats.kstest(p["side"] / p["period"], scipy.stats.uniform(0.3, 0.3).cdf).pvalue > 0.01
    assert scipy.stats.kstest(p["offset"][:, 0] / p["period"], "uniform").pvalue > 0.01
    assert scipy.stats.kstest(p["angle"], scipy.stats.uniform(-math.pi / 2, math.pi).cdf).pvalue > 0.01
    assert abs(p["active"].mean() - 0.7) < 0.03
    # Erased share of a large image ~ ratio^2.
    big = GridMask(period=0.1, ratio=0.5, seed=1)
    hidden = big.hidden(big.sample(ImageShape(8, 400, 400, 1), Draws(2)), 400, 400).numpy()
    assert abs(hidden.mean() - 0.25) < 0.02


# ------------------------------------------------------------- annotations
@pytest.mark.parametrize("name", ["erasing", "cutout", "gridmask"])
def test_box_from_mask_integrity(name):
    inputs = annotated_batch(batch_size=6, height=H, width=W, seed=2)
    layer = LAYERS[name](seed=4, bounding_box_format="xyxy")
    outputs = layer(inputs, seed=tf.constant([1, 2], tf.int64))
    assert (outputs["segmentation_masks"].numpy() == IGNORE).any()
    ious = check_integrity(inputs, outputs)
    assert ious.min() == 1.0  # trimming to the visible pixels is exact for integer boxes
    # Boxes are only ever dropped or shrunk, never grown.
    before = inputs["bounding_boxes"]["boxes"].numpy()
    after = outputs["bounding_boxes"]["boxes"].numpy()
    alive = outputs["bounding_boxes"]["labels"].numpy() >= 0
    assert np.all(after[alive][:, :2] >= before[alive][:, :2]) and np.all(after[alive][:, 2:] <= before[alive][:, 2:])


def test_box_dropping_threshold_keeping_masks_and_no_trim():
    inputs = annotated_batch(batch_size=1, height=H, width=W, boxes_per_sample=1, seed=0)
    box = inputs["bounding_boxes"]["boxes"].numpy()[0, 0].astype(int)  # x0, y0, x1, y1
    batch = structures.unpack(inputs, "xyxy")
    # Hide the left 3/4 of the box (full height).
    cut = box[0] + 3 * (box[2] - box[0]) // 4
    rect = np.array([[[0, 0, H, cut]]], np.float32)
    params = {"rects": tf.constant(rect), "used": tf.constant([[True]]), "active": tf.constant([True])}
    kept = RandomErasing(fill_value=0.0, bounding_box_format="xyxy").apply(batch, params)
    np.testing.assert_array_equal(kept.boxes.numpy()[0, 0], [cut, box[1], box[2], box[3]])
    dropped = RandomErasing(fill_value=0.0, min_box_visibility=0.5, bounding_box_format="xyxy").apply(batch, params)
    assert dropped.box_labels.numpy()[0, 0] == -1
    untrimmed = RandomErasing(fill_value=0.0, trim_boxes=False, mask_fill_value=None,
                              bounding_box_format="xyxy").apply(batch, params)
    np.testing.assert_array_equal(untrimmed.boxes.numpy()[0, 0], box)
    np.testing.assert_array_equal(untrimmed.masks.numpy(), batch.masks.numpy())
    # A fully hidden box is always dropped.
    params = {"rects": tf.constant([[[0, 0, H, W]]], tf.float32), "used": tf.constant([[True]]),
              "active": tf.constant([True])}
    gone = RandomErasing(fill_value=0.0, bounding_box_format="xyxy").apply(batch, params)
    assert np.all(gone.box_labels.numpy() == -1)


def test_keypoints_on_erased_pixels_become_invisible():
    layer = RandomErasing(fill_value=0.0)
    batch = structures.unpack({"images": IMAGES[:1], "keypoints": np.array([[[2.5, 2.5, 1], [20.5, 20.5, 1]]],
                                                                           np.float32)})
    params = {"rects": tf.constant([[[0, 0, 5, 5]]], tf.float32), "used": tf.constant([[True]]),
              "active": tf.constant([True])}
    out = layer.apply(batch, params).keypoints.numpy()
    np.testing.assert_array_equal(out[0, :, 2], [0, 1])
    np.testing.assert_array_equal(out[0, :, :2], batch.keypoints.numpy()[0, :, :2])


def test_labels_pass_through():
    labels = np.eye(4, dtype=np.float32)
    images, out = RandomErasing(seed=0)((IMAGES, labels))
    np.testing.assert_array_equal(out, labels)


# --------------------------------------------------------- execution modes
@pytest.mark.parametrize("name", ["erasing", "cutout", "gridmask"])
def test_eager_function_jit_and_tf_data(name):
    layer = LAYERS[name](seed=0, bounding_box_format="xyxy")
    inputs = annotated_batch(batch_size=B, height=16, width=20, seed=1)
    seed = tf.constant([3, 4], tf.int64)
    eager = layer(inputs, seed=seed)
    # A tf.data map runs the layer compiled by XLA (static shapes): the same
    # parameters as eager, the same pixels up to float rounding.
    ds = tf.data.Dataset.from_tensor_slices(inputs).batch(B).map(lambda x: layer(x, seed=seed))
    tf.nest.map_structure(assert_same_up_to_float_rounding, next(iter(ds)), eager)
    unbatched = tf.data.Dataset.from_tensor_slices(tf.cast(IMAGES, tf.uint8)).map(layer)
    assert next(iter(unbatched)).dtype == tf.uint8
    # Under XLA, TF's stateless Philox draws other numbers than the CPU kernel
    # (same seed), so the jit output is checked on its own: it must match the
    # parameters sampled inside the same compiled function, and keep annotations.

    def run(x, s):
        shape = ImageShape(B, 16, 20, 3)
        return layer(x, seed=s), layer.sample(shape, Draws(s))

    jit, params = tf.function(run, jit_compile=True)(inputs, seed)
    p = {k: v.numpy() for k, v in params.items()}
    hidden = numpy_hidden(layer, p, 16, 20)
    assert hidden.any()
    x = inputs["images"].numpy()
    np.testing.assert_array_equal(jit["images"].numpy()[~hidden], x[~hidden])
    np.testing.assert_array_equal(jit["segmentation_masks"].numpy()[..., 0] == IGNORE, hidden)
    check_integrity(inputs, jit)


@pytest.mark.parametrize("name", ["erasing"])
def test_fit_step_with_jit(name):
    model = keras.Sequential([keras.Input((16, 16, 3)), LAYERS[name](seed=0), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    model.compile("sgd", "mse", jit_compile=True)
    history = model.fit(np.ones((8, 16, 16, 3), np.float32), np.zeros((8, 2), np.float32), batch_size=4,
                        epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    # Inference is the identity.
    x = IMAGES[:2, :16, :16]
    np.testing.assert_array_equal(model.layers[0](x, training=False).numpy(), x)


def test_seeded_reproducibility():
    a = RandomErasing(seed=42)
    b = RandomErasing(seed=42)
    c = RandomErasing(seed=43)
    a1, a2 = a(IMAGES).numpy(), a(IMAGES).numpy()
    np.testing.assert_array_equal(a1, b(IMAGES).numpy())
    np.testing.assert_array_equal(a2, b(IMAGES).numpy())
    assert not np.array_equal(a1, a2)
    assert not np.array_equal(a1, c(IMAGES).numpy())


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_get_config_round_trip(name):
    layer = LAYERS[name](seed=5, bounding_box_format="rel_xyxy")
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer) and restored.get_config() == config
    np.testing.assert_array_equal(clone(IMAGES, seed=tf.constant([1, 1], tf.int64)).numpy(),
                                  layer(IMAGES, seed=tf.constant([1, 1], tf.int64)).numpy())


@pytest.mark.parametrize("factory, kwargs, words", [
    (RandomErasing, {"factor": 1.5}, ["factor", "<= 1"]),
    (RandomErasing, {"scale": (0.3, 0.1)}, ["scale", "low <= high"]),
    (RandomErasing, {"ratio": (0.0, 2.0)}, ["ratio", "0 < low"]),
    (RandomErasing, {"count": 0}, ["count", "int >= 1"]),
    (RandomErasing, {"fill_mode": "zeros"}, ["fill_mode", "constant"]),
    (RandomErasing, {"fill_mode": "constant"}, ["fill_value", "None"]),
    (RandomErasing, {"fill_value": "black"}, ["fill_value", "number"]),
    (RandomErasing, {"value_range": (255, 0)}, ["value_range"]),
    (RandomErasing, {"mask_fill_value": 0.5}, ["mask_fill_value", "int"]),
    (RandomErasing, {"min_box_visibility": 1.0}, ["min_box_visibility", "[0, 1)"]),
    (RandomCutout, {"size": 0}, ["size", "int >= 1"]),
    (RandomCutout, {"size": (4, 0.5)}, ["size", "one of these kinds"]),
    (RandomCutout, {"probability": 2}, ["probability", "[0, 1]"]),
    (GridMask, {"ratio": 1.0}, ["ratio", "(0, 1)"]),
    (GridMask, {"period": 0.0}, ["period", "(0, 1]"]),
    (GridMask, {"rotation_factor": "a lot"}, ["rotation_factor"]),
])
def test_bad_arguments_raise_clear_errors(factory, kwargs, words):
    with pytest.raises(ValueError) as info:
        factory(**kwargs)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_fill_value_channel_mismatch_is_an_error():
    with pytest.raises(ValueError, match="fill_value.*3 channels"):
        RandomErasing(fill_value=[1.0, 2.0])(IMAGES)
