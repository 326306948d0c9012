"""CutMix (and its replacement mode), MixUp, Mosaic: exactness, statistics, annotations, execution modes."""

import keras
import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from _annotations import annotated_batch
from _annotations import assert_same_up_to_float_rounding
from _annotations import check_integrity
from geo_helpers import layer_dtype
from keras_aug.core import Draws
from keras_aug.core import ImageShape
from keras_aug.layers import _partners
from keras_aug.layers.mixing import CutMix
from keras_aug.layers.mixing import MixUp
from keras_aug.layers.mixing import Mosaic

B, H, W = 4, 24, 32
RNG = np.random.RandomState(0)
IMAGES = RNG.uniform(0, 255, (B, H, W, 3)).astype(np.float32)
ONE_HOT = np.eye(5, dtype=np.float32)[[0, 1, 2, 3]]
SEED = tf.constant([7, 8], tf.int64)

LAYERS = {
    "cutmix": lambda **kw: CutMix(**kw),
    "replacement": lambda **kw: CutMix(mode="replacement", **kw),
    "mixup": lambda **kw: MixUp(alpha=0.4, **kw),
    "mosaic": lambda **kw: Mosaic(**kw),
}


def params_of(layer, images, seed):
    b, h, w, c = images.shape
    return {k: v.numpy() for k, v in layer.sample(ImageShape(b, h, w, c), Draws(seed)).items()}


# ---------------------------------------------------------------- samplers
@pytest.mark.parametrize("a, b", [(0.5, 0.5), (1.0, 1.0), (2.0, 2.0), (2.0, 5.0)])
def test_core_beta_sampler_matches_scipy(a, b):
    draws = Draws(tf.constant([1, 2], tf.int64))
    x = draws.beta([4000], a, b).numpy()
    assert scipy.stats.kstest(x, scipy.stats.beta(a, b).cdf).pvalue > 0.01


@pytest.mark.parametrize("a", [0.05, 0.2, 1.0, 3.0])
def test_log_space_beta_sampler_matches_scipy_even_for_small_alpha(a):
    x = Draws(tf.constant([3, 4], tf.int64)).beta([4000], a, a).numpy().astype(np.float64)
    assert np.all((x >= 0) & (x <= 1))
    # float32 cannot hold 1 - 1e-12, so for small alpha the upper half rounds to
    # 1.0; Beta(a, a) is symmetric, so test the lower half (where float32 is
    # exact) and the balance between halves.
    low = x[x < 0.5]
    assert scipy.stats.binomtest(len(low), len(x), 0.5).pvalue > 0.01
    assert scipy.stats.kstest(low, lambda t: 2 * scipy.stats.beta(a, a).cdf(t)).pvalue > 0.01


def test_beta_sampler_compiles_under_xla_and_keeps_its_distribution():
    run = tf.function(lambda s: Draws(s).beta([4000], 0.4, 0.4), jit_compile=True)
    x = run(tf.constant([5, 6], tf.int64)).numpy()
    assert scipy.stats.kstest(x, scipy.stats.beta(0.4, 0.4).cdf).pvalue > 0.01


def test_partners_are_random_derangements_uniform_over_the_others():
    n = 6
    counts = np.zeros((n, n))
    for s in range(150):
        p = _partners.partners(Draws(s), n, count=3).numpy()
        for k in range(3):
            assert sorted(p[k]) == list(range(n))  # a permutation
            assert np.all(p[k] != np.arange(n))  # never the sample itself
        assert np.all((p[0] != p[1]) & (p[1] != p[2]) & (p[0] != p[2]))  # distinct partners
        counts[np.arange(n), p[0]] += 1
    off = counts[~np.eye(n, dtype=bool)]
    assert scipy.stats.chisquare(off).pvalue > 0.01
    assert _partners.partners(Draws(0), 1).numpy().tolist() == [[0]]


# -------------------------------------------------------------- exactness
def test_cutmix_pastes_exactly_the_sampled_rectangle_and_mixes_labels_by_true_area():
    layer = CutMix(factor=(1.0, 1.0), seed=0)
    masks = np.arange(B)[:, None, None, None] * np.ones((1, H, W, 1), np.int32)
    out = layer({"images": IMAGES, "labels": ONE_HOT, "segmentation_masks": masks}, seed=SEED)
    p = params_of(layer, IMAGES, SEED)
    images, labels = out["images"].numpy(), out["labels"].numpy()
    for i in range(B):
        y0, x0, y1, x1 = p["rect"][i].astype(int)
        j = p["partner"][i]
        assert j != i
        expected = IMAGES[i].copy()
        expected[y0:y1, x0:x1] = IMAGES[j, y0:y1, x0:x1]
        np.testing.assert_array_equal(images[i], expected)
        np.testing.assert_array_equal(out["segmentation_masks"].numpy()[i], np.where(
            np.pad(np.ones((y1 - y0, x1 - x0), bool), ((y0, H - y1), (x0, W - x1)))[..., None], j, i))
        share = (y1 - y0) * (x1 - x0) / (H * W)
        expected_labels = (1 - share) * ONE_HOT[i] + share * ONE_HOT[j]
        np.testing.assert_allclose(labels[i], expected_labels, atol=1e-6)
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, atol=1e-6)


def test_cutmix_hand_made_rectangle_clipped_at_the_border():
    layer = CutMix(num_classes=4)
    from keras_aug.core import structures
    batch = structures.unpack((IMAGES, np.array([0, 1, 2, 3])))
    rect = np.array([[0, 20, 10, 32], [0, 0, 0, 0], [12, 0, 24, 32], [0, 0, 24, 32]], np.float32)
    partner = np.array([1, 0, 3, 2], np.int32)
    out = layer.apply(batch, {"partner": tf.constant(partner), "rect": tf.constant(rect)})
    labels = out.labels.numpy()
    np.testing.assert_allclose(labels[0], [1 - 120 / 768, 120 / 768, 0, 0], atol=1e-6)
    np.testing.assert_allclose(labels[1], [0, 1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(labels[2], [0, 0, 0.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(labels[3], [0, 0, 1, 0], atol=1e-6)
    np.testing.assert_array_equal(out.images.numpy()[3], IMAGES[2])
    np.testing.assert_array_equal(out.images.numpy()[1], IMAGES[1])


def test_replacement_mode_keeps_labels_and_draws_areas_from_scale():
    layer = CutMix(mode="replacement", scale=(0.05, 0.15), seed=0)
    images, labels = layer((IMAGES, ONE_HOT), seed=SEED)
    np.testing.assert_array_equal(labels.numpy(), ONE_HOT)
    p = params_of(layer, IMAGES, SEED)
    changed = (images.numpy() != IMAGES).any(axis=-1)
    for i in range(B):
        y0, x0, y1, x1 = p["rect"][i].astype(int)
        assert not changed[i, :y0].any() and not changed[i, y1:].any()
        assert not changed[i, :, :x0].any() and not changed[i, :, x1:].any()
    big = params_of(layer, np.zeros((3000, 10, 10, 1)), 1)
    assert scipy.stats.kstest(big["area"], scipy.stats.uniform(0.05, 0.1).cdf).pvalue > 0.01


def test_cutmix_lambda_and_centre_distributions():
    layer = CutMix(factor=(0.7, 0.7), seed=0)
    p = layer.sample(ImageShape(4000, 500, 400, 3), Draws(11))
    lam = 1.0 - p["area"].numpy()
    assert scipy.stats.kstest(lam, scipy.stats.beta(0.7 + 1e-6, 0.7 + 1e-6).cdf).pvalue > 0.01
    cy, cx = p["center"].numpy().T
    assert scipy.stats.kstest((cx + 0.5) / 400, "uniform").pvalue > 0.01
    assert scipy.stats.kstest((cy + 0.5) / 500, "uniform").pvalue > 0.01


def test_mixup_is_exact_blend_with_beta_lambda():
    layer = MixUp(alpha=0.4, seed=0)
    images, labels = layer((IMAGES, ONE_HOT), seed=SEED)
    p = params_of(layer, IMAGES, SEED)
    lam, j = p["lambda"], p["partner"]
    assert np.all(j != np.arange(B))
    np.testing.assert_allclose(images.numpy(), lam[:, None, None, None] * IMAGES
                               + (1 - lam[:, None, None, None]) * IMAGES[j], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(labels.numpy(), lam[:, None] * ONE_HOT + (1 - lam[:, None]) * ONE_HOT[j], atol=1e-6)
    big = layer.sample(ImageShape(4000, 2, 2, 1), Draws(3))["lambda"].numpy()
    assert scipy.stats.kstest(big, scipy.stats.beta(0.4, 0.4).cdf).pvalue > 0.01


def mosaic_reference(images, sources, center):
    out = np.zeros_like(images)
    n, h, w = images.shape[:3]
    for i in range(n):
        cy, cx = center[i].astype(int)
        for y in range(h):
            for x in range(w):
                q = 2 * (y >= cy) + (x >= cx)
                out[i, y, x] = images[sources[i, q], (y - cy) % h, (x - cx) % w]
    return out


def test_mosaic_tiles_exactly_and_weights_labels_by_quadrant_area():
    layer = Mosaic(num_classes=4, seed=0)
    images, labels = layer((IMAGES, np.arange(B)), seed=SEED)
    p = params_of(layer, IMAGES, SEED)
    np.testing.assert_array_equal(images.numpy(), mosaic_reference(IMAGES, p["sources"], p["center"]))
    for i in range(B):
        assert sorted(p["sources"][i]) == list(range(B))  # itself and three distinct partners
        cy, cx = p["center"][i]
        areas = np.array([cy * cx, cy * (W - cx), (H - cy) * cx, (H - cy) * (W - cx)]) / (H * W)
        expected = np.zeros(4)
        np.add.at(expected, p["sources"][i], areas)
        np.testing.assert_allclose(labels.numpy()[i], expected, atol=1e-6)
    np.testing.assert_allclose(labels.numpy().sum(axis=1), 1.0, atol=1e-6)


def test_mosaic_centre_and_quadrant_distributions():
    layer = Mosaic(center_range=(0.2, 0.6), seed=0)
    p = layer.sample(ImageShape(3000, 1000, 800, 3), Draws(5))
    cy, cx = p["center"].numpy().T
    assert scipy.stats.kstest(cx / 800, scipy.stats.uniform(0.2, 0.4).cdf).pvalue > 0.01
    assert scipy.stats.kstest(cy / 1000, scipy.stats.uniform(0.2, 0.4).cdf).pvalue > 0.01
    own_quadrant = np.argmax(p["sources"].numpy() == np.arange(3000)[:, None], axis=1)
    assert scipy.stats.chisquare(np.bincount(own_quadrant, minlength=4)).pvalue > 0.01


@pytest.mark.parametrize("size", [(20, 16), (40, 24)])  # downsizing and upsizing, neither square
def test_mosaic_output_size(size):
    # Reference: tf.image.resize (bilinear, half-pixel centres, no antialias), which the
    # resize before tiling must equal; a non-square output tells the two axes apart.
    resized = tf.image.resize(IMAGES, size).numpy()
    layer = Mosaic(*size, seed=0)
    assert layer.compute_output_shape((None, H, W, 3)) == (None, *size, 3)
    model = keras.Sequential([keras.Input((H, W, 3)), layer])
    np.testing.assert_allclose(model.predict(IMAGES, verbose=0), resized, atol=1e-3)  # inference resizes only
    np.testing.assert_allclose(layer(IMAGES, training=False), resized, atol=1e-3)
    # Augmenting: the tiles of the resized images, exactly as Mosaic tiles images that
    # already have the output size (same seed, same draws).
    tiled = Mosaic(*size)(resized, seed=SEED).numpy()
    np.testing.assert_allclose(layer(IMAGES, seed=SEED), tiled, atol=1e-3)
    assert not np.allclose(tiled, resized, atol=1.0)  # the tiling did move pixels


# ----------------------------------------------------------- annotations
@pytest.mark.parametrize("name", ["cutmix", "replacement", "mosaic"])
def test_box_from_mask_integrity(name):
    inputs = annotated_batch(batch_size=6, height=H, width=W, seed=3)
    layer = LAYERS[name](seed=0, bounding_box_format="xyxy")
    outputs = layer(inputs, seed=SEED)
    n = inputs["bounding_boxes"]["boxes"].shape[1]
    assert outputs["bounding_boxes"]["boxes"].shape[1] == (4 if name == "mosaic" else 2) * n
    ious = check_integrity(inputs, outputs)
    assert np.median(ious) == 1.0


def test_box_from_mask_integrity_mosaic_with_resize():
    inputs = annotated_batch(batch_size=4, height=96, width=128, seed=4)
    outputs = Mosaic(80, 80, seed=1, bounding_box_format="xyxy")(inputs, seed=SEED)
    # After a resize boxes have fractional coordinates and masks whole pixels:
    # small boxes lose IoU to rounding alone, so compare coordinates instead. A
    # sliver cut at a quadrant edge can be thinner than a pixel and hold none.
    ious = check_integrity(inputs, outputs, require_pixels=False, coord_tol=1.0)
    assert np.median(ious) >= 0.93


def test_mixup_keeps_all_boxes_and_the_dominant_mask():
    inputs = annotated_batch(batch_size=6, height=H, width=W, seed=5)
    layer = MixUp(alpha=1.0, seed=0, bounding_box_format="xyxy")
    outputs = layer(inputs, seed=SEED)
    p = params_of(layer, inputs["images"].numpy(), SEED)
    boxes = inputs["bounding_boxes"]["boxes"].numpy()
    np.testing.assert_array_equal(outputs["bounding_boxes"]["boxes"].numpy(),
                                  np.concatenate([boxes, boxes[p["partner"]]], axis=1))
    dominant = np.where(p["lambda"] >= 0.5, np.arange(6), p["partner"])
    np.testing.assert_array_equal(outputs["segmentation_masks"].numpy(),
                                  inputs["segmentation_masks"].numpy()[dominant])
    check_integrity(inputs, outputs, require_pixels=False)


def test_cutmix_box_visibility_threshold_and_trimming():
    from keras_aug.core import structures
    inputs = annotated_batch(batch_size=2, height=H, width=W, boxes_per_sample=1, seed=0)
    batch = structures.unpack(inputs, "xyxy")
    x0, y0, x1, y1 = inputs["bounding_boxes"]["boxes"].numpy()[0, 0].astype(int)
    cut = x0 + 3 * (x1 - x0) // 4
    params = {"partner": tf.constant([1, 0]), "rect": tf.constant([[0, 0, H, cut], [0, 0, 0, 0]], tf.float32)}
    out = CutMix(bounding_box_format="xyxy").apply(batch, params)
    np.testing.assert_array_equal(out.boxes.numpy()[0, 0], [cut, y0, x1, y1])
    strict = CutMix(min_box_visibility=0.5, bounding_box_format="xyxy").apply(batch, params)
    assert strict.box_labels.numpy()[0, 0] == -1


def test_keypoints_are_refused():
    inputs = {"images": IMAGES, "keypoints": np.zeros((B, 2, 3), np.float32)}
    for name in ("cutmix", "mixup", "mosaic"):
        with pytest.raises(ValueError, match="keypoints"):
            LAYERS[name](seed=0)(inputs)


# ----------------------------------------------------------- label forms
def test_label_forms():
    binary = np.array([0.0, 1.0, 1.0, 0.0], np.float32)
    _, mixed = MixUp(seed=0)((IMAGES, binary))
    assert mixed.dtype == tf.float32 and mixed.shape == (B,)
    assert np.all((mixed.numpy() >= 0) & (mixed.numpy() <= 1))
    sparse = np.array([0, 1, 2, 1], np.int32)
    with pytest.raises(ValueError, match="num_classes"):
        CutMix(seed=0)((IMAGES, sparse))
    _, mixed = CutMix(num_classes=3, seed=0)((IMAGES, sparse[:, None]))
    assert mixed.shape == (B, 3)
    np.testing.assert_allclose(mixed.numpy().sum(axis=1), 1.0, atol=1e-6)
    with pytest.raises(ValueError, match="num_classes"):
        CutMix(num_classes=3, seed=0)((IMAGES, ONE_HOT))
    # Replacement keeps integer labels as they are: no num_classes needed.
    _, kept = CutMix(mode="replacement", seed=0)((IMAGES, sparse))
    np.testing.assert_array_equal(kept.numpy(), sparse)


def test_a_batch_of_one_is_unchanged_by_cutmix_and_mixup():
    for layer in (CutMix(seed=0), MixUp(seed=0)):
        images, labels = layer((IMAGES[:1], ONE_HOT[:1]))
        np.testing.assert_array_equal(images.numpy(), IMAGES[:1])
        np.testing.assert_allclose(labels.numpy(), ONE_HOT[:1])


@pytest.mark.parametrize("dtype", ["uint8", "float16", "bfloat16", "float32"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_dtype_is_kept(name, dtype):
    images = tf.cast(tf.round(IMAGES), dtype)
    out = LAYERS[name](seed=3, **layer_dtype(dtype))(images)
    assert out.dtype == images.dtype and out.shape == images.shape


# ---------------------------------------------------------- execution modes
@pytest.mark.parametrize("name", ["cutmix", "mixup", "mosaic"])
def test_eager_tf_data_and_jit(name):
    layer = LAYERS[name](seed=0, bounding_box_format="xyxy")
    inputs = annotated_batch(batch_size=B, height=16, width=20, seed=1)
    eager = layer(inputs, seed=SEED)
    ds = tf.data.Dataset.from_tensor_slices(inputs).batch(B).map(lambda x: layer(x, seed=SEED))
    tf.nest.map_structure(assert_same_up_to_float_rounding, next(iter(ds)), eager)
    # XLA's Philox draws differ from the CPU kernel's for the same seed, so the
    # compiled output is checked against the parameters drawn in the same function.

    def run(x, s):
        return layer(x, seed=s), layer.sample(ImageShape(B, 16, 20, 3), Draws(s))

    jit, params = tf.function(run, jit_compile=True)(inputs, SEED)
    p = {k: v.numpy() for k, v in params.items()}
    x = inputs["images"].numpy()
    if name == "mosaic":
        np.testing.assert_array_equal(jit["images"].numpy(), mosaic_reference(x, p["sources"], p["center"]))
    elif name == "mixup":
        lam = p["lambda"][:, None, None, None]
        np.testing.assert_allclose(jit["images"].numpy(), lam * x + (1 - lam) * x[p["partner"]], atol=1e-3)
    else:
        for i in range(B):
            y0, x0, y1, x1 = p["rect"][i].astype(int)
            expected = x[i].copy()
            expected[y0:y1, x0:x1] = x[p["partner"][i], y0:y1, x0:x1]
            np.testing.assert_array_equal(jit["images"].numpy()[i], expected)
    np.testing.assert_allclose(jit["labels"].numpy().sum(axis=1), 1.0, atol=1e-6)
    check_integrity(inputs, jit, require_pixels=name != "mixup")


def test_fit_step_with_jit():
    model = keras.Sequential([keras.Input((16, 16, 3)), CutMix(seed=0), Mosaic(seed=1), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    model.compile("sgd", "mse", jit_compile=True)
    history = model.fit(np.ones((8, 16, 16, 3), np.float32), np.zeros((8, 2), np.float32), batch_size=4,
                        epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    np.testing.assert_array_equal(model.layers[0](IMAGES[:2, :16, :16], training=False).numpy(),
                                  IMAGES[:2, :16, :16])


def test_seeded_reproducibility():
    for name in sorted(LAYERS):
        a, b = LAYERS[name](seed=42), LAYERS[name](seed=42)
        a1, a2 = a(IMAGES).numpy(), a(IMAGES).numpy()
        np.testing.assert_array_equal(a1, b(IMAGES).numpy())
        np.testing.assert_array_equal(a2, b(IMAGES).numpy())
        assert not np.array_equal(a1, a2)


@pytest.mark.parametrize("layer", [
    CutMix(factor=(0.2, 0.8), num_classes=3, scale=(0.1, 0.2), min_box_visibility=0.1, trim_boxes=False, seed=1),
    CutMix(mode="replacement", seed=2),
    MixUp(alpha=0.3, num_classes=10, seed=3),
    Mosaic(30, 20, center_range=(0.3, 0.7), num_classes=4, interpolation="nearest", seed=4),
], ids=["cutmix", "replacement", "mixup", "mosaic"])
def test_get_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer) and restored.get_config() == config


@pytest.mark.parametrize("factory, kwargs, words", [
    (CutMix, {"factor": 2.0}, ["factor", "<= 1"]),
    (CutMix, {"mode": "paste"}, ["mode", "replacement"]),
    (CutMix, {"scale": (0.5, 0.1)}, ["scale", "low <= high"]),
    (CutMix, {"num_classes": 0}, ["num_classes", "positive int"]),
    (CutMix, {"min_box_visibility": -0.1}, ["min_box_visibility", "[0, 1)"]),
    (MixUp, {"alpha": 0.0}, ["alpha", "> 0"]),
    (MixUp, {"alpha": "big"}, ["alpha", "> 0"]),
    (Mosaic, {"height": 10}, ["height", "width", "both"]),
    (Mosaic, {"height": 0, "width": 5}, ["height", "positive int"]),
    (Mosaic, {"center_range": (0.5, 1.5)}, ["center_range", "<= 1"]),
    (Mosaic, {"interpolation": "cubic"}, ["interpolation", "bilinear"]),
])
def test_bad_arguments_raise_clear_errors(factory, kwargs, words):
    with pytest.raises(ValueError) as info:
        factory(**kwargs)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
