"""Seeds: identical batches at any parallelism, new draws every epoch, seeds differ."""

import numpy as np
import pytest
import tensorflow as tf

import keras_aug
import keras_aug.data as kd


class AddSeededNoise:
    """A stand-in non-geometric layer (runs per batch): noise drawn from the call's seed."""

    is_geometric = False

    def __call__(self, inputs, training=True, seed=None):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        images = images + tf.random.stateless_uniform(tf.shape(images), seed=seed, maxval=10.0)
        return dict(inputs, images=images) if isinstance(inputs, dict) else images


def augment():
    # Two geometric layers: enough to exercise the fused per-image stage, cheap to trace.
    return keras_aug.Pipeline([keras_aug.RandomFlip("horizontal"), keras_aug.RandomRotation(0.1)])


def epochs(ds, n=2):
    return [[(x.numpy(), y.numpy()) for x, y in ds] for _ in range(n)]


def same(a, b):
    return len(a) == len(b) and all(
        np.array_equal(xa, xb) and np.array_equal(ya, yb) for (xa, ya), (xb, yb) in zip(a, b)
    )


@pytest.mark.parametrize("aug", ["fused", "batch", None])
def test_same_seed_is_bitwise_identical_across_parallelism(clean_tree, aug):
    make = {"fused": augment, "batch": AddSeededNoise, None: lambda: None}[aug]
    kwargs = dict(target_size=(8, 10), batch_size=4, seed=11, verbose=False)
    one = epochs(kd.from_directory(clean_tree, num_parallel_calls=1, augment=make(), **kwargs))
    four = epochs(kd.from_directory(clean_tree, num_parallel_calls=4, augment=make(), **kwargs))
    assert same(one[0], four[0]) and same(one[1], four[1])
    # Every epoch draws anew (order and augmentation).
    assert not same(one[0], one[1])


def test_epochs_differ_in_augmentation_even_without_shuffle(clean_tree):
    ds = kd.from_directory(clean_tree, target_size=(8, 10), shuffle=False, seed=2, augment=AddSeededNoise(), verbose=False)
    first, second = epochs(ds)
    assert all(np.array_equal(ya, yb) for (_, ya), (_, yb) in zip(first, second))  # same order
    assert not all(np.array_equal(xa, xb) for (xa, _), (xb, _) in zip(first, second))


def test_different_seeds_differ(clean_tree):
    kwargs = dict(target_size=(8, 10), batch_size=17, augment=AddSeededNoise(), verbose=False)
    a = epochs(kd.from_directory(clean_tree, seed=1, **kwargs), 1)[0]
    b = epochs(kd.from_directory(clean_tree, seed=2, **kwargs), 1)[0]
    assert not same(a, b)


def test_shuffle_is_a_permutation_per_epoch(clean_tree):
    # Files are told apart by their pixels (12x16 noise images, no resampling at 12x16):
    # each epoch must yield every file exactly once, with its own label.
    kwargs = dict(target_size=(12, 16), class_mode="sparse", verbose=False)
    plain = kd.from_directory(clean_tree, shuffle=False, batch_size=17, **kwargs)
    (x, y), = [(x.numpy(), y.numpy()) for x, y in plain]
    np.testing.assert_array_equal(y, plain.classes)  # the unshuffled order is the legacy order
    file_of = {image.tobytes(): i for i, image in enumerate(x.astype(np.uint8))}
    assert len(file_of) == 17
    ds = kd.from_directory(clean_tree, batch_size=3, seed=4, **kwargs)
    orders = []
    for epoch in epochs(ds, 3):
        files = [file_of[image.tobytes()] for xb, _ in epoch for image in xb.astype(np.uint8)]
        assert sorted(files) == list(range(17))
        np.testing.assert_array_equal(np.concatenate([yb for _, yb in epoch]), ds.classes[files])
        orders.append(files)
    assert orders[0] != orders[1] != orders[2] and orders[0] != sorted(orders[0])


def test_augmentation_applies_per_image(clean_tree):
    # The fused per-image stage gives different transforms to different images.
    flip = keras_aug.Pipeline([keras_aug.RandomFlip("horizontal")])
    ds = kd.from_directory(clean_tree, target_size=(12, 16), shuffle=False, batch_size=17, seed=0, verbose=False)
    aug = kd.from_directory(clean_tree, target_size=(12, 16), shuffle=False, batch_size=17, seed=0, augment=flip, verbose=False)
    (x, _), = list(ds)
    (xa, _), = list(aug)
    flipped = [np.array_equal(xa[i], x[i, :, ::-1]) for i in range(17)]
    kept = [np.array_equal(xa[i], x[i]) for i in range(17)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 0 < sum(flipped) < 17


def test_size_changing_augmentation_and_no_bad_files_invented(clean_tree):
    # A crop in the fused run changes the output size; no file may be reported bad.
    crop = keras_aug.Pipeline([keras_aug.RandomFlip("horizontal"), keras_aug.RandomCrop(5, 6)])
    ds = kd.from_directory(clean_tree, target_size=(8, 10), batch_size=17, seed=0, augment=crop, verbose=False)
    (x, _), = list(ds)
    assert x.shape == (17, 5, 6, 3) and len(ds.bad_files) == 0


def test_augmentation_errors_surface_instead_of_skipping_files(clean_tree):
    class Broken:
        is_geometric = False

        def __call__(self, images, training=True, seed=None):
            check = tf.debugging.assert_less(tf.reduce_max(images), -1.0, message="broken layer")
            with tf.control_dependencies([check]):
                return tf.identity(images)

    ds = kd.from_directory(clean_tree, target_size=(4, 4), augment=Broken(), class_mode="sparse", verbose=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match="broken layer"):
        list(ds)
    assert len(ds.bad_files) == 0


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
def test_fused_and_unfused_resize_agree_without_randomness(clean_tree, interpolation):
    # A flip that never fires is the identity: output = the plain resize (fused into the
    # one OpenCV resample for bilinear, tf.image.resize then the warp for bicubic).
    never = keras_aug.RandomFlip("horizontal")
    never.sample = lambda shape, draws: {k: tf.zeros_like(v) for k, v in type(never).sample(never, shape, draws).items()}
    kwargs = dict(target_size=(6, 8), batch_size=17, shuffle=False, interpolation=interpolation, verbose=False)
    (plain, _), = list(kd.from_directory(clean_tree, **kwargs))
    (fused, _), = list(kd.from_directory(clean_tree, augment=never, **kwargs))
    if interpolation == "bilinear":
        # The fused resample keeps decoded uint8 images in 8 bits: the plain resize,
        # rounded (a 2x shrink puts every sample on OpenCV's 1/32-pixel grid).
        np.testing.assert_array_equal(fused.numpy(), np.round(fused.numpy()))
        np.testing.assert_allclose(fused.numpy(), plain.numpy(), atol=0.5 + 1e-4)
    else:
        np.testing.assert_allclose(fused.numpy(), plain.numpy(), atol=0.05)
