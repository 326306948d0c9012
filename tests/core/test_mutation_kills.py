"""Tests written to kill mutants that survived the core's mutation sample (`tools/mutation.py`).

Each checks a documented behaviour no other test pinned down, against hand-computed values.
"""

import numpy as np
import pytest
import tensorflow as tf

from keras_aug.core import _tf_fast_path
from keras_aug.core import dtypes
from keras_aug.core import matrices as mat


def test_a_point_exactly_on_the_horizon_goes_to_plus_far():
    # w = 1 - 0.5 * x is exactly 0 at x = 2: "w <= 0 sends the point to +FAR", whatever
    # the sign of x' (here 2 - 10 = -8) and y' (-3); dividing by w = 0 would give -inf.
    m = np.float32([[[1, 0, -10], [0, 1, -6], [-0.5, 0, 1]]])
    moved = np.asarray(mat.transform_points(m, np.float32([[[2, 3], [1, 3]]]), projective=True))
    np.testing.assert_array_equal(moved[0, 0], [mat.FAR, mat.FAR])
    np.testing.assert_allclose(moved[0, 1], [-9 / 0.5, -3 / 0.5], rtol=1e-6)  # w = 0.5 in front


def test_name_of_takes_dtypes_dtype_names_and_tensors():
    # A NumPy dtype has a `shape` (its sub-array shape) but no `dtype`: it is a dtype.
    assert dtypes.name_of(np.dtype("float64")) == "float64"
    assert dtypes.name_of(tf.float16) == "float16"
    assert dtypes.name_of("uint8") == "uint8"
    assert dtypes.name_of(np.zeros(2, np.int16)) == "int16"
    assert dtypes.name_of(tf.zeros([2], tf.bfloat16)) == "bfloat16"


def test_name_of_takes_scalar_type_classes_which_have_a_shape_and_a_dtype_too():
    # `np.float32` (the class) has `shape` and `dtype` class attributes: it is a dtype, not a tensor.
    assert hasattr(np.float32, "shape") and hasattr(np.float32, "dtype")
    assert dtypes.name_of(np.float32) == "float32"
    assert dtypes.name_of(np.uint8) == "uint8"
    assert dtypes.name_of(tf.bfloat16.as_numpy_dtype) == "bfloat16"  # ml_dtypes' class
    assert dtypes.name_of(tf.int16) == "int16"
    assert dtypes.limits(np.uint8) == (0, 255)
    assert dtypes.is_floating(np.float16) and dtypes.is_integer(np.int8)
    assert dtypes.name_of(np.float32(1.5)) == "float32"  # a NumPy scalar is a value: its dtype


def test_layer_calls_traced_into_a_graph_compile_as_their_own_xla_function_as_documented():
    # In a graph XLA does not compile (a plain tf.function), a call with static image
    # sizes runs as its own XLA function; never with a run-time height or width, nor
    # inside an XLA function already.
    decide = _tf_fast_path.compile_layer_call
    small = tf.zeros([2, 8, 8, 3])
    in_graph = tf.function(lambda x: tf.constant(decide(x)), autograph=False)
    assert bool(in_graph(small))
    assert not bool(in_graph.get_concrete_function(tf.TensorSpec([2, None, 8, 3]))(small))
    assert not bool(tf.function(lambda x: tf.constant(decide(x)), jit_compile=True, autograph=False)(small))


def test_a_layer_traced_into_a_graph_is_collected_once_dropped():
    # Its nested XLA function (kept in `_tf_fast_path`'s table) must not keep it alive.
    import gc
    import weakref

    import keras_aug

    layer = keras_aug.RandomBrightness(0.2, seed=3)
    traced = tf.function(lambda x: layer(x, training=True), autograph=False)
    traced(tf.zeros([2, 8, 8, 3]))
    assert layer in _tf_fast_path._COMPILED_LAYERS  # it did take the nested XLA function
    dropped = weakref.ref(layer)
    del layer, traced
    gc.collect()
    assert dropped() is None


def test_one_layer_traced_on_unbatched_then_batched_images_in_graphs():
    # The nested XLA function relaxes shapes when it retraces (`reduce_retracing`):
    # [8, 8, 3] then [2, 8, 8, 3] became images of unknown rank, which the layer refuses.
    import keras_aug

    layer = keras_aug.RandomBrightness(0.2, seed=3)
    traced = tf.function(lambda x: layer(x, training=True), autograph=False)
    image = np.full((8, 8, 3), 100.0, np.float32)
    single = traced(image)
    both = traced(np.stack([image, image]))
    assert single.shape == (8, 8, 3) and both.shape == (2, 8, 8, 3)
    assert float(np.ptp(single)) == 0.0 and float(np.ptp(both[0])) == 0.0  # one brightness per image


def test_run_time_square_check_says_exactly_which_layer_and_argument_need_square_images():
    check = tf.function(_tf_fast_path.checked_square, input_signature=[tf.TensorSpec([None, None, None, 3])])
    np.testing.assert_array_equal(check(np.ones((1, 5, 5, 3), np.float32)), np.ones((1, 5, 5, 3)))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[RandomRotate90 with odd `turns` needs square images\]"):
        check(np.zeros((2, 12, 16, 3), np.float32))


def test_shared_boxes_with_one_row_of_labels_come_back_as_given_from_a_batch():
    # Keras's convention: one image's [N, 4] boxes with [1, N] labels beside a batch of
    # images apply to every image; a layer that moves no box returns them as given.
    import keras_aug

    images = np.zeros((3, 8, 8, 3), np.float32)
    boxes = {"boxes": np.float32([[1, 1, 4, 4], [2, 2, 6, 7]]), "labels": np.int32([[5, 9]])}
    out = keras_aug.RandomInvert(bounding_box_format="xyxy")({"images": images, "bounding_boxes": boxes},
                                                             training=True)
    np.testing.assert_array_equal(np.asarray(out["bounding_boxes"]["labels"]), [[5, 9]])
    np.testing.assert_array_equal(np.asarray(out["bounding_boxes"]["boxes"]), boxes["boxes"])


def test_draws_and_box_conversions_are_float32_whatever_keras_floatx():
    # The core computes in float32 on purpose (XLA-friendly, same draws everywhere);
    # a Keras model built with floatx "float64" must not change a draw or a box.
    import keras

    from keras_aug.core import Draws
    from keras_aug.core import boxes as box_utils

    seed = tf.constant([1, 2], tf.int64)
    rel = np.float32([[0.1, 0.2, 0.5, 0.75]])

    def compute():
        return (Draws(seed).log_gamma([50], 0.4), Draws(seed).beta([50], 0.4, 0.4),
                box_utils.to_xyxy(rel, "rel_xyxy", 20, 40))

    expected = compute()
    keras.config.set_floatx("float64")
    try:
        got = compute()
    finally:
        keras.config.set_floatx("float32")
    for e, g in zip(expected, got):
        assert g.dtype == tf.float32
        np.testing.assert_array_equal(np.asarray(g), np.asarray(e))
    np.testing.assert_allclose(np.asarray(expected[2]), [[4.0, 4.0, 20.0, 15.0]], rtol=1e-6)


def test_clipping_invalidates_boxes_at_or_under_the_minimum_area():
    from keras_aug.core import boxes as box_utils

    # Areas after clipping to 40 x 20: 1 (far from the origin), 4 (2 x 2 left inside), 6.
    xyxy = np.float32([[[30, 5, 31, 6], [38, 18, 45, 30], [10, 10, 13, 12]]])
    boxes, labels = box_utils.clip_and_invalidate(xyxy, np.int32([[1, 2, 3]]), 20, 40, min_area=4.0)
    np.testing.assert_array_equal(np.asarray(labels), [[-1, -1, 3]])
    np.testing.assert_array_equal(np.asarray(boxes), [[[-1, -1, -1, -1], [-1, -1, -1, -1], [10, 10, 13, 12]]])
    boxes, labels = box_utils.clip_and_invalidate(xyxy, np.int32([[1, 2, 3]]), 20, 40, min_area=0.5)
    np.testing.assert_array_equal(np.asarray(labels), [[1, 2, 3]])
    np.testing.assert_array_equal(np.asarray(boxes)[0, 1], [38, 18, 40, 20])


def test_box_labels_of_the_wrong_rank_are_refused_in_words_that_say_the_shapes():
    import keras_aug

    inputs = {"images": np.zeros((2, 8, 8, 3), np.float32),
              "bounding_boxes": {"boxes": np.zeros((2, 3, 4), np.float32), "labels": np.zeros((2, 3, 1), np.int32)}}
    with pytest.raises(ValueError, match=r"`bounding_boxes\['labels'\]` must have one label per box \(\[N\] or "
                                         r"\[1, N\] with \[N, 4\] boxes, \[B, N\] with \[B, N, 4\]\)"):
        keras_aug.RandomInvert(bounding_box_format="xyxy")(inputs, training=True)
