"""Automatic policies: per-sample op choice, magnitude semantics, colour ops against PIL.

RandAugment, TrivialAugmentWide, AutoAugment and AugMix draw their ops per
sample on every call; the frequencies are checked with chi-square tests on
the parameters `sample` draws (the same call path a layer call takes), the
colour kernels against PIL on uint8 images, the geometric ops through the
keypoints they move.
"""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from PIL import ImageEnhance
from PIL import ImageOps
from scipy import stats

import keras_aug
from keras_aug.core import Draws
from keras_aug.core import ImageShape
from keras_aug.core.structures import Batch
from keras_aug.layers.policies import ops as op_table
from keras_aug.layers.policies import rows as row_lib
from keras_aug.layers.policies.auto_augment import POLICIES
from keras_aug.layers.policies.rand_augment import RAND_AUGMENT_OPS
from sample_images import textured_image

IMAGE = np.round(textured_image(24, 20)).astype(np.uint8)
P_MIN = 1e-4  # chi-square tests fail one run in 10,000 by chance


def draw(layer, batch_size, seed=(3, 4), height=16, width=20):
    params = layer.sample(ImageShape(batch_size, height, width, 3), Draws(tf.constant(seed, "int64")))
    return {k: v.numpy() for k, v in params.items()}


def counts(values, categories):
    return np.array([(values == c).sum() for c in categories])


def run(layer, images, op, magnitude, keypoints=None):
    batch = Batch(images=tf.constant(images), keypoints=None if keypoints is None else tf.constant(keypoints))
    out = layer.apply(batch, {"op": tf.constant(op, "int32"), "magnitude": tf.constant(magnitude, "float32")})
    return out.images.numpy(), None if keypoints is None else out.keypoints.numpy()


# ------------------------------------------------------------ op frequencies
def test_rand_augment_draws_every_op_uniformly_per_sample_and_slot():
    params = draw(keras_aug.RandAugment(num_ops=2, factor=0.5), 2100)
    ids = [op_table.OP_INDEX[n] for n in RAND_AUGMENT_OPS]
    for slot in range(2):
        assert stats.chisquare(counts(params["op"][:, slot], ids)).pvalue > P_MIN
    # The two slots are independent draws (not the same op twice).
    assert (params["op"][:, 0] != params["op"][:, 1]).mean() > 0.85


def test_trivial_augment_draws_ops_and_magnitude_bins_uniformly():
    layer = keras_aug.TrivialAugmentWide()
    params = draw(layer, 3100)
    op, magnitude = params["op"][:, 0], params["magnitude"][:, 0]
    ids = [op_table.OP_INDEX[n] for n in RAND_AUGMENT_OPS]
    assert stats.chisquare(counts(op, ids)).pvalue > P_MIN
    rotate = op == op_table.OP_INDEX["rotate"]
    bins = np.round(np.abs(magnitude[rotate]) / 135.0 * 30).astype(int)
    np.testing.assert_allclose(np.abs(magnitude[rotate]), bins * 135.0 / 30, atol=1e-3)
    assert stats.chisquare(counts(bins, range(31))).pvalue > P_MIN
    assert 0.4 < (magnitude[rotate] > 0).mean() < 0.6  # random sign


@pytest.mark.parametrize("policy", ["imagenet", "svhn"])
def test_auto_augment_steps_follow_the_policy_table(policy):
    layer = keras_aug.AutoAugment(policy)
    params = draw(layer, 4000)
    table = POLICIES[policy]
    for step in range(2):
        expected = np.zeros(len(op_table.OPS))
        for sub_policy in table:
            name, p, _ = sub_policy[step]
            expected[op_table.OP_INDEX[name]] += p / len(table)
            expected[0] += (1 - p) / len(table)
        observed = counts(params["op"][:, step], range(len(op_table.OPS)))
        used = expected > 0
        assert observed[~used].sum() == 0
        assert stats.chisquare(observed[used], expected[used] * observed.sum()).pvalue > P_MIN


def test_aug_mix_chain_depths_and_ops_are_uniform():
    layer = keras_aug.AugMix(num_chains=2, chain_depth=3, all_ops=False)
    params = draw(layer, 1500)
    depth = (params["op"] != 0).sum(axis=-1).ravel()
    assert stats.chisquare(counts(depth, [1, 2, 3])).pvalue > P_MIN
    first = params["op"][:, :, 0].ravel()  # every chain has at least one op
    ids = [op_table.OP_INDEX[n] for n in layer.op_names[1:]]
    assert stats.chisquare(counts(first, ids)).pvalue > P_MIN
    np.testing.assert_allclose(params["weights"].sum(axis=1), 1.0, atol=1e-5)
    assert 0.45 < params["mix"].mean() < 0.55  # Beta(1, 1) is uniform


def test_samples_of_one_batch_get_different_ops():
    for layer in (keras_aug.RandAugment(), keras_aug.TrivialAugmentWide(), keras_aug.AutoAugment()):
        assert len(np.unique(draw(layer, 32)["op"][:, 0])) >= 5, type(layer).__name__


# ------------------------------------------------ fresh choices on every call
def op_of_call(layer, images):
    """The ops the layer draws for `images` on its next call (the path `call` takes)."""
    return layer.sample(ImageShape(*images.shape), Draws(layer.call_seed()))["op"]


def test_choice_changes_from_call_to_call_under_jit_compile():
    layer = keras_aug.TrivialAugmentWide(seed=5)
    images = tf.constant(np.stack([IMAGE] * 8))
    compiled = tf.function(lambda x: op_of_call(layer, x), jit_compile=True)
    ops_per_call = [compiled(images).numpy() for _ in range(4)]
    assert len({o.tobytes() for o in ops_per_call}) == 4
    # The compiled layer's outputs differ from call to call, and between the
    # identical images of one batch. (One XLA compile of a policy takes
    # about 10 s on 2 cores: this is the only one in this file.)
    augment = tf.function(lambda x: layer(x, training=True), jit_compile=True)
    outputs = [augment(images).numpy() for _ in range(3)]
    assert not np.array_equal(outputs[0], outputs[1]) and not np.array_equal(outputs[1], outputs[2])
    assert len({image.tobytes() for image in outputs[0]}) >= 5


def test_choice_changes_from_batch_to_batch_in_tf_data(monkeypatch):
    from keras_aug.core import _tf_fast_path

    layer = keras_aug.RandAugment(seed=6)
    ds = tf.data.Dataset.from_tensors(np.stack([IMAGE] * 8)).repeat(4)
    ops_per_batch = [o.tobytes() for o in ds.map(lambda x: op_of_call(layer, x)).as_numpy_iterator()]
    assert len(set(ops_per_batch)) == 4
    # The layer call itself in the map, traced as a plain graph (its nested
    # XLA compile is what the jit test above covers; it costs 10-20 s here).
    monkeypatch.setattr(_tf_fast_path, "COMPILE_IN_GRAPHS", False)
    images = list(ds.map(lambda x: layer(x, training=True)).as_numpy_iterator())
    assert not np.array_equal(images[0], images[1])
    assert images[0].dtype == np.uint8


# ------------------------------------------------------- magnitude semantics
@pytest.mark.parametrize("level", [0.0, 0.3, 1.0])
def test_rand_augment_magnitudes_at_a_fixed_level(level):
    params = draw(keras_aug.RandAugment(num_ops=3, factor=level), 600, height=16, width=20)
    op, magnitude = params["op"].ravel(), params["magnitude"].ravel()
    expected = {
        "rotate": 30 * level, "shear_x": 0.3 * level, "shear_y": 0.3 * level,
        "translate_x": math.floor(150 / 331 * level * 20 + 1e-6), "translate_y": math.floor(150 / 331 * level * 16 + 1e-6),
        "brightness": 0.9 * level, "color": 0.9 * level, "contrast": 0.9 * level, "sharpness": 0.9 * level,
        "posterize": 8 - round(4 * level), "solarize": 255 * (1 - level),
        "identity": 0, "autocontrast": 0, "equalize": 0,
    }
    for name, value in expected.items():
        chosen = magnitude[op == op_table.OP_INDEX[name]]
        assert chosen.size > 0, name
        np.testing.assert_allclose(np.abs(chosen), value, atol=1e-4, err_msg=name)
        if name in op_table.SIGNED_OPS and value > 0:
            assert 0.2 < (chosen > 0).mean() < 0.8, name


def test_rand_augment_level_pair_draws_levels_uniformly():
    params = draw(keras_aug.RandAugment(num_ops=4, factor=(0.2, 0.6)), 800)
    rotate = params["magnitude"][params["op"] == op_table.OP_INDEX["rotate"]]
    levels = np.abs(rotate) / 30
    assert levels.min() >= 0.2 - 1e-6 and levels.max() <= 0.6 + 1e-6
    assert stats.kstest(levels, stats.uniform(0.2, 0.4).cdf).pvalue > P_MIN


def test_auto_augment_magnitudes_are_the_policy_bins():
    params = draw(keras_aug.AutoAugment("imagenet"), 500)
    rotate = np.abs(params["magnitude"][params["op"] == op_table.OP_INDEX["rotate"]])
    # imagenet rotates at bins 9, 8 and 3 of 10: 30, 26.67 and 10 degrees.
    assert np.all(np.min(np.abs(rotate[:, None] - np.array([30.0, 80.0 / 3, 10.0])), axis=1) < 1e-3)
    bits = params["magnitude"][params["op"] == op_table.OP_INDEX["posterize"]]
    assert set(bits.tolist()) <= {8.0 - round(4 * b / 9) for b in (8, 7, 6, 5)}


@pytest.mark.parametrize("name, magnitude, moved", [
    ("rotate", 30.0, lambda x, y, cx, cy: (cx + (x - cx) * math.cos(math.radians(30)) + (y - cy) * math.sin(math.radians(30)),
                                          cy - (x - cx) * math.sin(math.radians(30)) + (y - cy) * math.cos(math.radians(30)))),
    ("translate_x", 5.0, lambda x, y, cx, cy: (x + 5, y)),
    ("translate_y", -3.0, lambda x, y, cx, cy: (x, y - 3)),
    ("shear_x", 0.2, lambda x, y, cx, cy: (x - 0.2 * y, y)),
    ("shear_y", -0.1, lambda x, y, cx, cy: (x, y + 0.1 * x)),
])
def test_geometric_ops_move_points_as_documented(name, magnitude, moved):
    layer = keras_aug.RandAugment(num_ops=1)
    points = np.array([[[4.0, 6.0], [15.0, 10.0], [10.0, 20.0]]], np.float32)
    _, out = run(layer, IMAGE[None], [[op_table.OP_INDEX[name]]], [[magnitude]], points)
    cx, cy = IMAGE.shape[1] / 2, IMAGE.shape[0] / 2
    expected = np.array([moved(x, y, cx, cy) for x, y in points[0]])
    np.testing.assert_allclose(out[0], expected, atol=1e-3)


def test_rotate_op_turns_the_image_counter_clockwise():
    # A bright dot right of the centre ends up above it after +90 degrees.
    image = np.zeros((1, 21, 21, 1), np.float32)
    image[0, 10, 16] = 255.0
    out, _ = run(keras_aug.TrivialAugmentWide(), np.repeat(image, 3, axis=-1),
                 [[op_table.OP_INDEX["rotate"]]], [[90.0]])
    assert np.unravel_index(out[0, ..., 0].argmax(), (21, 21)) == (4, 10)


PIL_REFERENCES = {
    # (our op, magnitude, PIL function, tolerance in levels)
    "posterize": (3.0, lambda im: ImageOps.posterize(im, 3), 0),
    "solarize": (100.0, lambda im: ImageOps.solarize(im, 100), 0),
    "equalize": (0.0, ImageOps.equalize, 0),
    "invert": (0.0, ImageOps.invert, 0),
    "autocontrast": (0.0, ImageOps.autocontrast, 1),
    "brightness": (0.4, lambda im: ImageEnhance.Brightness(im).enhance(1.4), 1),
    "color": (-0.6, lambda im: ImageEnhance.Color(im).enhance(0.4), 2),
    "contrast": (0.5, lambda im: ImageEnhance.Contrast(im).enhance(1.5), 2),
    "sharpness": (0.8, lambda im: ImageEnhance.Sharpness(im).enhance(1.8), 1),
}


@pytest.mark.parametrize("name", sorted(PIL_REFERENCES))
def test_colour_ops_match_pil_on_uint8(name):
    magnitude, reference, tolerance = PIL_REFERENCES[name]
    images = np.stack([IMAGE, np.round(textured_image(24, 20, seed=3) * 0.5 + 40).astype(np.uint8)])
    layer = keras_aug.AutoAugment("imagenet")
    layer.op_names = op_table.OPS  # every op, for the kernel test
    out, _ = run(layer, images, [[op_table.OP_INDEX[name]]] * 2, [[magnitude]] * 2)
    for got, image in zip(out, images):
        expected = np.asarray(reference(Image.fromarray(image)))
        assert np.abs(got.astype(int) - expected).max() <= tolerance, name


def test_identity_slots_leave_uint8_images_bitwise_unchanged():
    images = np.stack([IMAGE] * 3)
    for layer in (keras_aug.RandAugment(num_ops=3), keras_aug.AutoAugment("cifar10")):
        op = np.zeros((3, layer.num_slots), np.int32)
        out, _ = run(layer, images, op, np.zeros_like(op, dtype=np.float32))
        np.testing.assert_array_equal(out, images)


def test_float_images_in_unit_range_get_the_same_result_as_0_255():
    images = np.stack([IMAGE] * 4).astype(np.float32)
    op = [[op_table.OP_INDEX[n]] for n in ("equalize", "solarize", "contrast", "rotate")]
    magnitude = [[0.0], [128.0], [0.5], [20.0]]
    full, _ = run(keras_aug.RandAugment(num_ops=1), images, op, magnitude)
    unit, _ = run(keras_aug.RandAugment(num_ops=1, value_range=(0, 1)), images / 255.0, op, magnitude)
    np.testing.assert_allclose(unit * 255.0, full, atol=0.05)


# ----------------------------------------------------------- other targets
def test_boxes_masks_and_keypoints_follow_the_geometric_ops():
    image = np.zeros((32, 32, 3), np.uint8)
    image[12:18, 18:24] = 255
    mask = np.zeros((32, 32, 1), np.int32)
    mask[12:18, 18:24] = 1
    n = 16
    inputs = {"images": np.stack([image] * n), "segmentation_masks": np.stack([mask] * n),
              "keypoints": np.tile([[[21.0, 15.0, 1.0]]], (n, 1, 1)).astype(np.float32),
              "bounding_boxes": {"boxes": np.tile([[[18.0, 12.0, 24.0, 18.0]]], (n, 1, 1)).astype(np.float32),
                                 "labels": np.ones((n, 1), np.int32)}}
    layer = keras_aug.RandAugment(num_ops=2, factor=0.3, bounding_box_format="xyxy", seed=3, interpolation="nearest")
    out = layer(inputs, training=True)
    moved = 0
    for i in range(n):
        ys, xs = np.nonzero(out["segmentation_masks"][i, ..., 0].numpy() == 1)
        if len(xs) < 10:
            continue
        x, y = out["keypoints"][i, 0, :2].numpy()
        assert abs(xs.mean() + 0.5 - x) < 1.0 and abs(ys.mean() + 0.5 - y) < 1.0
        box = out["bounding_boxes"]["boxes"][i, 0].numpy()
        assert box[0] - 1 <= xs.min() and xs.max() + 1 <= box[2] + 1 and box[1] - 1 <= ys.min()
        moved += abs(x - 21.0) > 0.5 or abs(y - 15.0) > 0.5
    assert moved >= 3


def test_aug_mix_refuses_annotations_and_mixes_identity_chains_to_the_input():
    layer = keras_aug.AugMix(bounding_box_format="xyxy")
    with pytest.raises(ValueError, match="AugMix takes images"):
        layer({"images": IMAGE[None], "bounding_boxes": {"boxes": np.zeros((1, 1, 4), np.float32),
                                                          "labels": np.zeros((1, 1), np.int32)}}, training=True)
    params = layer.identity_params(ImageShape(2, 24, 20, 3))
    params["mix"] = tf.constant([0.2, 0.7])
    out = layer.apply(Batch(images=tf.constant(np.stack([IMAGE] * 2))), params).images.numpy()
    np.testing.assert_array_equal(out, np.stack([IMAGE] * 2))


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_aug_mix_blends_chains_with_the_drawn_weights(dtype):
    layer = keras_aug.AugMix(num_chains=2, chain_depth=1)
    images = np.stack([IMAGE]).astype(dtype)
    params = {"op": tf.constant([[[op_table.OP_INDEX["solarize"]], [0]]], "int32"),
              "magnitude": tf.constant([[[0.0], [0.0]]]), "weights": tf.constant([[0.25, 0.75]]),
              "mix": tf.constant([0.4])}
    out = layer.apply(Batch(images=tf.constant(images)), params).images.numpy()
    x = images.astype(np.float64)
    expected = 0.4 * x + 0.6 * (0.25 * (255.0 - x) + 0.75 * x)
    assert out.dtype == images.dtype
    np.testing.assert_allclose(out, expected, atol=0.5 + 1e-3 if dtype == "uint8" else 1e-3)


# --------------------------------------------------------- config and errors
@pytest.mark.parametrize("make", [
    lambda: keras_aug.RandAugment(value_range=(0, 1), num_ops=3, factor=(0.1, 0.4), seed=3),
    lambda: keras_aug.TrivialAugmentWide(num_magnitude_bins=11, fill_mode="reflect", seed=3),
    lambda: keras_aug.AutoAugment("svhn", interpolation="nearest", seed=3),
    lambda: keras_aug.AugMix(num_chains=2, chain_depth=2, factor=0.5, alpha=0.5, all_ops=False, seed=3),
])
def test_serialization_round_trip(make):
    layer = make()
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    images = np.stack([IMAGE] * 4).astype(np.float32) / (255.0 if layer.value_range[1] == 1 else 1.0)
    np.testing.assert_array_equal(layer(images, training=True, seed=(1, 2)), clone(images, training=True, seed=(1, 2)))


@pytest.mark.parametrize("make, message", [
    (lambda: keras_aug.RandAugment(num_ops=-1), "num_ops"),
    (lambda: keras_aug.RandAugment(factor=1.5), "factor"),
    (lambda: keras_aug.AutoAugment("coco"), "policy"),
    (lambda: keras_aug.AugMix(alpha=0), "alpha"),
    (lambda: keras_aug.AugMix(chain_depth=0), "chain_depth"),
    (lambda: keras_aug.TrivialAugmentWide(num_magnitude_bins=0), "num_magnitude_bins"),
    (lambda: keras_aug.RandAugment(fill_mode="edge"), "fill_mode"),
])
def test_bad_arguments_are_refused_by_name(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_inference_is_the_identity_and_num_ops_0_too():
    x = np.stack([IMAGE] * 2)
    np.testing.assert_array_equal(keras_aug.RandAugment()(x, training=False), x)
    np.testing.assert_array_equal(keras_aug.RandAugment(num_ops=0)(x, training=True), x)


# ------------------------------------------------ uint8 colour slots as tables
def every_pair_then_random(seed=0):
    """Three slots: every ordered pair of the table's ops in the first two, a random op in the third,
    magnitudes at random in each op's units."""
    rng = np.random.default_rng(seed)
    count = len(op_table.OPS)
    pairs = np.stack(np.meshgrid(np.arange(count), np.arange(count), indexing="ij"), axis=-1).reshape(-1, 2)
    op = np.concatenate([pairs, rng.integers(0, count, (len(pairs), 1))], axis=1).astype(np.int32)
    batch_size = len(op)
    magnitude = rng.uniform(-0.6, 0.6, op.shape).astype(np.float32)
    magnitude[op == op_table.OP_INDEX["posterize"]] = rng.integers(1, 9, (op == op_table.OP_INDEX["posterize"]).sum())
    magnitude[op == op_table.OP_INDEX["solarize"]] = rng.uniform(0, 255, (op == op_table.OP_INDEX["solarize"]).sum())
    # Mostly unsaturated (an op's change of levels shows in the ops after it), and over
    # 2 x 256 pixels (PIL's equalize leaves smaller images alone).
    images = np.stack([np.round(textured_image(24, 32, seed=i) * rng.uniform(0.2, 0.6) + rng.uniform(0, 60))
                       for i in range(batch_size)]).astype(np.uint8)
    return images, op, magnitude


def op_by_op(images, op, magnitude):
    """The float kernels slot by slot, rounding the samples that drew color or sharpness (as the tables do)."""
    v = tf.constant(images.astype(np.float32))
    blends = np.isin(op, [op_table.OP_INDEX["color"], op_table.OP_INDEX["sharpness"]])
    for s in range(op.shape[1]):
        v = op_table.colour_slot(v, tf.constant(op[:, s]), tf.constant(magnitude[:, s]), op_table.OPS)
        v = tf.where(blends[:, s, None, None, None], tf.round(v), v)
    return v.numpy()


@pytest.mark.parametrize("chunk", [None, 40, 7, 3],
                         ids=["whole batch", "one chunk", "chunks with padding", "small chunks"])
def test_level_tables_equal_the_per_pixel_kernels(monkeypatch, chunk):
    from keras_aug.layers.policies import level_tables

    # 225 samples: the histogram, range and blend ops of a slot fall on 15-30 of them.
    monkeypatch.setattr(row_lib, "chunk_size", lambda batch_size, probability: chunk)
    images, op, magnitude = every_pair_then_random()
    got = level_tables.colour_values(tf.constant(images), tf.constant(op), tf.constant(magnitude), op_table.OPS,
                                     lambda name: 1.0 / len(op_table.OPS)).numpy()
    np.testing.assert_allclose(got, op_by_op(images, op, magnitude), atol=2e-3)


@pytest.mark.parametrize("rows", [None, (9, 12), (3, 12), (1, 2)],
                         ids=["whole batch", "gathered rows", "second tier", "more than the capacity"])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_warping_only_the_moved_rows_equals_warping_all(monkeypatch, rows, dtype):
    """rows.warp_moved: unmoved rows (identity matrices) read back unchanged, moved ones warped, in batch order."""
    from keras_aug.core import matrices as mat
    from keras_aug.core import warp as warp_lib

    monkeypatch.setattr(row_lib, "capacity", lambda batch_size, probability, max_fraction=0.6: rows)
    rng = np.random.default_rng(5)
    images = tf.constant(rng.integers(0, 256, (20, 12, 16, 3)).astype(dtype))
    moved = rng.random(20) < 0.4  # 9 of 20 with this seed
    angle = tf.constant(np.where(moved, rng.uniform(-0.5, 0.5, 20), 0.0).astype(np.float32))
    matrices = mat.about(mat.rotation(angle), 8.0, 6.0)
    expected = warp_lib.warp(images, matrices, fill_mode="reflect").numpy()
    got = row_lib.warp_moved(images, matrices, tf.constant(moved), 0.4, lambda read: read(0, None),
                             fill_mode="reflect").numpy()
    np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(expected[moved], images.numpy()[moved])


@pytest.mark.parametrize("chunk", [None, 1, 3], ids=["whole batch", "one row a turn", "chunks with padding"])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_warping_the_moved_rows_in_place_equals_warping_all(monkeypatch, chunk, dtype):
    """rows.warp_rows_in_place: moved rows warped as by the core warp, in batch order; the others untouched."""
    from keras_aug.core import matrices as mat
    from keras_aug.core import warp as warp_lib

    monkeypatch.setattr(row_lib, "chunk_size", lambda batch_size, probability, max_fraction=0.6: chunk)
    rng = np.random.default_rng(8)
    images = tf.constant(rng.integers(0, 256, (20, 12, 16, 3)).astype(dtype))
    moved = rng.random(20) < 0.5  # 11 of 20 with this seed: chunks of 3 pad the last one
    angle = tf.constant(np.where(moved, rng.uniform(-0.5, 0.5, 20), 0.0).astype(np.float32))
    matrices = mat.about(mat.rotation(angle), 8.0, 6.0)
    expected = warp_lib.warp(images, matrices, fill_mode="reflect").numpy()
    got = row_lib.warp_rows_in_place(images, matrices, tf.constant(moved), 0.5, fill_mode="reflect").numpy()
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got[~moved], images.numpy()[~moved])
    assert not np.array_equal(expected[moved], images.numpy()[moved])


def test_update_rows_goes_one_row_a_turn_within_its_limits():
    assert row_lib.chunk_size(32, 0.3) == 1 and row_lib.chunk_size(32, 0.8, max_fraction=0.9) == 1
    assert row_lib.chunk_size(32, 0.8) is None and row_lib.chunk_size(8, 0.3) is None
    assert row_lib.chunk_size(None, 0.3) is None and row_lib.chunk_size(32, 0.0) is None


@pytest.mark.parametrize("jit", [False, True], ids=["tf.function", "XLA"])
@pytest.mark.parametrize("with_source", [False, True], ids=["in place", "from a source"])
def test_update_rows_one_row_a_turn_matches_numpy_for_flags_drawn_per_call(jit, with_source):
    """rows.update_rows, one row a turn (its row read by a scalar index): each flagged row replaced by
    `step` of its own row (of the values, or of `source`), the others untouched; flags fed per call."""
    rng = np.random.default_rng(5)
    values = rng.normal(size=(6, 4, 5, 3)).astype("float32")
    source = rng.normal(size=(6, 4, 5, 3)).astype("float32")
    offsets = rng.normal(size=6).astype("float32")

    def step(rows_values, rows):
        return rows_values * 2.0 + tf.gather(tf.constant(offsets), rows)[:, None, None, None]

    fn = tf.function(lambda v, s, f: row_lib.update_rows(v, f, 1, step, source=s if with_source else None),
                     jit_compile=jit)
    for flags in (rng.random(6) < 0.5, np.zeros(6, bool), np.ones(6, bool)):
        got = fn(tf.constant(values), tf.constant(source), tf.constant(flags)).numpy()
        read = source if with_source else values
        want = np.where(flags[:, None, None, None], read * 2.0 + offsets[:, None, None, None], values)
        np.testing.assert_array_equal(got, want)


def test_row_capacity_is_rarely_exceeded_and_unused_for_small_batches():
    for batch_size, p in [(32, 1 / 14), (32, 2 / 14), (96, 0.05), (256, 0.3)]:
        first, last = row_lib.capacity(batch_size, p)
        assert first < last < batch_size
        assert stats.binom.sf(first, batch_size, p) < 0.25 and stats.binom.sf(last, batch_size, p) < 2e-3
    assert row_lib.capacity(8, 2 / 14) is None and row_lib.capacity(None, 0.1) is None


@pytest.mark.parametrize("rows", [None, 9, 4, 1],
                         ids=["whole batch", "one chunk with padding", "chunks with padding", "one row a turn"])
def test_float_row_ops_and_statistics_on_row_chunks_match_references(rows):
    """op_table.colour_slot on float images: sharpness, equalize and the statistics of contrast and
    autocontrast run on chunks of the rows that drew them.

    Sharpness against scipy's correlate with PIL's SMOOTH kernel (border kept), equalize against PIL,
    contrast and autocontrast against numpy (the mean gray level; each channel's min and max); the other
    samples' ops (brightness, rotate, identity) are the fused pass's.
    """
    from scipy import ndimage

    images = np.stack([np.round(textured_image(24, 32, seed=i) * 0.5 + 30 + 3 * i) for i in range(27)])
    names = ["sharpness", "equalize", "brightness", "rotate", "contrast", "identity", "sharpness", "equalize",
             "autocontrast"] * 3
    op = np.array([op_table.OP_INDEX[n] for n in names], np.int32)
    magnitude = np.linspace(-0.8, 0.8, 27).astype(np.float32)
    out = op_table.colour_slot(tf.constant(images.astype(np.float32)), tf.constant(op), tf.constant(magnitude),
                               op_table.OPS, chunk=rows).numpy()
    # Values known to lie in 0-255: sharpness and equalize read their rows from the pass's output instead.
    in_range = op_table.colour_slot(tf.constant(images.astype(np.float32)), tf.constant(op), tf.constant(magnitude),
                                    op_table.OPS, chunk=rows, in_range=True).numpy()
    np.testing.assert_array_equal(in_range, out)
    kernel = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float64)[None, :, :, None] / 13.0
    for i, name in enumerate(names):
        x = images[i].astype(np.float64)
        if name == "contrast":
            mean = (x @ np.array([0.2989, 0.587, 0.114])).mean()  # torchvision's gray weights
            expected = np.clip(mean + (1.0 + magnitude[i]) * (x - mean), 0, 255)
        elif name == "autocontrast":
            low, high = x.min(axis=(0, 1)), x.max(axis=(0, 1))
            expected = (x - low) * (255.0 / (high - low))
        elif name == "sharpness":
            smoothed = ndimage.correlate(x[None], kernel, mode="constant")[0]
            smoothed[[0, -1]], smoothed[:, [0, -1]] = x[[0, -1]], x[:, [0, -1]]
            expected = np.clip(smoothed + (1.0 + magnitude[i]) * (x - smoothed), 0, 255)
        elif name == "equalize":
            expected = np.asarray(ImageOps.equalize(Image.fromarray(images[i].astype(np.uint8))))
        elif name == "brightness":
            expected = np.clip(x * (1.0 + magnitude[i]), 0, 255)
        else:
            expected = x
        np.testing.assert_allclose(out[i], expected, atol=1e-3, err_msg=f"sample {i} ({name})")


@pytest.mark.parametrize("height, width", [(9, 13), (2, 5), (1, 1)])
def test_smooth_is_pils_smooth_filter_inside_and_keeps_the_border(height, width):
    """filters.smooth (the policies' and RandomSharpness's) against scipy with PIL's SMOOTH kernel."""
    from scipy import ndimage

    from keras_aug.layers.photometric.filters import smooth

    images = np.stack([textured_image(height, width, seed=s) for s in range(2)]).astype(np.float32)
    kernel = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float64)[None, :, :, None] / 13.0
    expected = ndimage.correlate(images.astype(np.float64), kernel, mode="constant")
    expected[:, [0, -1]] = images[:, [0, -1]]
    expected[:, :, [0, -1]] = images[:, :, [0, -1]]
    out = smooth(tf.constant(images)).numpy()
    assert out.shape == images.shape
    np.testing.assert_allclose(out, expected, atol=1e-3)

@pytest.mark.parametrize("rows", [None, 3, 1], ids=["whole batch", "chunks with padding", "one row a turn"])
def test_float_equalize_counts_only_the_rows_that_drew_it_and_matches_pil(rows):
    """op_table.colour_slot on float images: equalize's histograms on gathered rows, the others untouched."""
    images = np.stack([np.round(textured_image(24, 32, seed=i) * 0.5 + 30 + 3 * i) for i in range(20)])
    drew = np.isin(np.arange(20), [2, 7, 11, 19])
    op = np.where(drew, op_table.OP_INDEX["equalize"], op_table.OP_INDEX["rotate"]).astype(np.int32)
    out = op_table.colour_slot(tf.constant(images.astype(np.float32)), tf.constant(op), tf.zeros([20]),
                               op_table.OPS, chunk=rows).numpy()
    for i in range(20):
        expected = np.asarray(ImageOps.equalize(Image.fromarray(images[i].astype(np.uint8)))) if drew[i] else images[i]
        np.testing.assert_array_equal(out[i], expected)
