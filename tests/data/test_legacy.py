"""The legacy `ImageDataGenerator` front end: argument mapping, errors, parity."""

import warnings

import numpy as np
import pytest
import tensorflow as tf

from keras_aug.data.legacy import ImageDataGenerator

from data_helpers import noise


def legacy_gen(**kwargs):
    from tf_keras.preprocessing.image import ImageDataGenerator as Legacy

    return Legacy(**kwargs)


def names(layers):
    return [type(layer).__name__ for layer in layers]


def test_every_augmentation_argument_maps_to_a_layer_in_legacy_order():
    gen = ImageDataGenerator(
        rotation_range=30, width_shift_range=0.1, height_shift_range=0.2, shear_range=10, zoom_range=0.25,
        channel_shift_range=20, brightness_range=(0.7, 1.3), horizontal_flip=True, vertical_flip=True,
        fill_mode="constant", cval=7, interpolation_order=0,
    )
    layers = gen.layers(50, 40)
    assert names(layers) == [
        "RandomRotation", "RandomTranslation", "RandomAffine", "RandomZoom", "RandomFlip", "RandomFlip",
        "RandomChannelShift", "RandomBrightnessScale",
    ]
    rot, shift, shear, zoom, hflip, vflip, channel, bright = layers
    assert (rot.lower, rot.upper) == pytest.approx((-30 / 360, 30 / 360))
    assert shift.height_range == pytest.approx((-0.2, 0.2)) and shift.width_range == pytest.approx((-0.1, 0.1))
    assert shear.degrees == 0 and shear.shear == 10
    assert zoom.height_range == pytest.approx((-0.25, 0.25)) and zoom.width_range == pytest.approx((-0.25, 0.25))
    assert (hflip.mode, vflip.mode) == ("horizontal", "vertical")
    assert channel.intensity_range == pytest.approx((-20, 20))
    assert bright.factor_range == pytest.approx((0.7, 1.3))
    for layer in (rot, shift, shear, zoom):
        assert layer.fill_mode == "constant" and layer.fill_value == 7 and layer.interpolation == "nearest"
    assert all(layer.is_geometric for layer in layers[:6])


@pytest.mark.parametrize(
    "value, size, expected",
    [(0.1, 50, 0.1), (5.0, 50, 0.1), (6, 50, 0.1), (1, 50, None), (0, 50, None)],
)
def test_shift_units(value, size, expected):
    # float < 1: fraction; float >= 1: pixels; int n: pixels up to n - 1 (legacy choice(n)).
    layers = ImageDataGenerator(height_shift_range=value).layers(size, size)
    if expected is None:
        assert layers == []
    else:
        assert layers[0].height_range == pytest.approx((-expected, expected))
        assert layers[0].width_range == pytest.approx((0.0, 0.0))


def test_zoom_pair_and_identity():
    zoom = ImageDataGenerator(zoom_range=(0.5, 1.5)).layers(8, 8)[0]
    assert zoom.height_range == pytest.approx((-0.5, 0.5)) and zoom.width_range == pytest.approx((-0.5, 0.5))
    assert ImageDataGenerator(zoom_range=(1, 1)).layers(8, 8) == []
    assert ImageDataGenerator().layers(8, 8) == []


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"fill_mode": "mirror"}, "fill_mode"),
        ({"interpolation_order": 3}, "interpolation_order"),
        ({"zoom_range": "big"}, "zoom_range"),
        ({"zoom_range": (1.5, 0.5)}, "zoom_range"),
        ({"width_shift_range": [-2, 0, 2]}, "width_shift_range"),
        ({"height_shift_range": -0.1}, "height_shift_range"),
        ({"rotation_range": -5}, "rotation_range"),
        ({"shear_range": 95}, "shear_range"),
        ({"brightness_range": 0.5}, "brightness_range"),
        ({"data_format": "nchw"}, "data_format"),
        ({"validation_split": 1.5}, "validation_split"),
        ({"dtype": "int32"}, "dtype"),
        ({"preprocessing_function": 3}, "preprocessing_function"),
    ],
)
def test_bad_arguments_name_the_argument_and_allowed_values(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ImageDataGenerator(**kwargs)


def test_unsupported_flow_options_raise(clean_tree):
    gen = ImageDataGenerator()
    with pytest.raises(ValueError, match="save_to_dir"):
        gen.flow_from_directory(clean_tree, save_to_dir="/tmp")
    with pytest.raises(ValueError, match="augment"):
        gen.fit(np.zeros((2, 4, 4, 3)), augment=True)


def test_flow_and_fit_name_the_rank_and_the_shape_they_received():
    gen = ImageDataGenerator()
    with pytest.raises(ValueError, match=r"`flow` should have rank 4; received shape \(2, 4, 3\)"):
        gen.flow(np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match=r"`\.fit\(\)` should have rank 4; received shape \(2, 4, 3\)"):
        gen.fit(np.zeros((2, 4, 3)))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"rescale": 1 / 255}, {"samplewise_center": True, "samplewise_std_normalization": True},
     {"preprocessing_function": lambda x: 255 - x, "rescale": 0.5}],
)
def test_flow_from_directory_matches_legacy_without_augmentation(clean_tree, kwargs):
    flow = dict(target_size=(12, 16), batch_size=6, shuffle=False, class_mode="sparse")
    legacy = legacy_gen(**kwargs).flow_from_directory(clean_tree, **flow)
    ds = ImageDataGenerator(**kwargs).flow_from_directory(clean_tree, verbose=False, **flow)
    assert ds.class_indices == legacy.class_indices and ds.filenames == legacy.filenames
    ours = list(ds)
    assert len(ours) == len(legacy)
    for (x, y), (lx, ly) in zip(ours, (legacy[i] for i in range(len(legacy)))):
        np.testing.assert_allclose(x.numpy(), lx, rtol=1e-4, atol=1e-4)
        np.testing.assert_array_equal(y.numpy(), ly)


def test_validation_split_and_channels_first_match_legacy(clean_tree):
    for subset in ("training", "validation"):
        kw = dict(validation_split=0.3, data_format="channels_first")
        flow = dict(target_size=(12, 16), batch_size=32, shuffle=False, subset=subset)
        legacy = legacy_gen(**kw).flow_from_directory(clean_tree, **flow)
        ds = ImageDataGenerator(**kw).flow_from_directory(clean_tree, verbose=False, **flow)
        (x, y), = list(ds)
        assert x.shape[1] == 3 and ds.samples == legacy.samples
        np.testing.assert_allclose(x.numpy(), legacy[0][0])
        np.testing.assert_array_equal(y.numpy(), legacy[0][1])


@pytest.mark.parametrize(
    "kwargs",
    [{"featurewise_center": True, "featurewise_std_normalization": True}, {"zca_whitening": True, "rescale": 1 / 255}],
)
def test_fit_and_standardize_match_legacy(kwargs):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (12, 5, 4, 3)).astype(np.float32)
    ours, legacy = ImageDataGenerator(**kwargs), legacy_gen(**kwargs)
    ours.fit(x)
    legacy.fit(x)
    np.testing.assert_allclose(ours.standardize(x), legacy.standardize(np.copy(x)), rtol=1e-3, atol=1e-3)
    batch = next(iter(ours.flow(x, batch_size=12, shuffle=False)))
    np.testing.assert_allclose(batch.numpy(), legacy.standardize(np.copy(x)), rtol=1e-3, atol=1e-3)


def test_fit_zca_on_std_normalized_images_like_legacy():
    """Both switches on, set after construction (which turns std normalization off under ZCA):
    the ZCA matrix is fitted on the centred images divided by their std, as in tf_keras."""
    x = np.random.default_rng(2).uniform(0, 255, (60, 3, 2, 3)).astype(np.float32)  # 60 images > 18 pixels
    x *= np.array([1.0, 0.2, 3.0], np.float32)  # channel stds far from 1
    ours, legacy = ImageDataGenerator(zca_whitening=True), legacy_gen(zca_whitening=True)
    for gen in (ours, legacy):
        gen.featurewise_std_normalization = True
        gen.fit(x)
    np.testing.assert_allclose(ours.std, legacy.std, rtol=1e-5)
    np.testing.assert_allclose(ours.zca_whitening_matrix, legacy.zca_whitening_matrix, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(ours.standardize(x), legacy.standardize(np.copy(x)), rtol=1e-3, atol=1e-3)


def warning_texts(make):
    """The messages of the warnings `make()` raises."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make()
    return [str(w.message) for w in caught]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"zca_whitening": True},
        {"zca_whitening": True, "featurewise_center": True, "featurewise_std_normalization": True},
        {"featurewise_std_normalization": True},
        {"samplewise_std_normalization": True},
    ],
)
def test_implied_options_and_unfitted_statistics_warn_like_legacy(kwargs):
    # Same words as tf_keras (users and their log filters match on them): the options one
    # implies at construction, and standardizing before `fit` with each featurewise option.
    assert warning_texts(lambda: ImageDataGenerator(**kwargs)) == warning_texts(lambda: legacy_gen(**kwargs))
    x = np.ones((2, 4, 4, 3), np.float32)
    ours, legacy = ImageDataGenerator(**kwargs), legacy_gen(**kwargs)
    assert warning_texts(lambda: ours.standardize(np.copy(x))) == warning_texts(lambda: legacy.standardize(np.copy(x)))


def test_flow_matches_legacy_and_keeps_label_dtype():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 255, (9, 6, 6, 3)).astype(np.float32)
    y = np.arange(9) % 3
    legacy = legacy_gen(rescale=2.0).flow(x, y, batch_size=4, shuffle=False)
    ds = ImageDataGenerator(rescale=2.0).flow(x, y, batch_size=4, shuffle=False)
    for (a, b), (la, lb) in zip(ds, (legacy[i] for i in range(len(legacy)))):
        np.testing.assert_allclose(a.numpy(), la, rtol=1e-6)
        np.testing.assert_array_equal(b.numpy(), lb)
        assert b.dtype.as_numpy_dtype == lb.dtype


def test_flow_class_split_check_like_legacy():
    x = np.zeros((10, 4, 4, 1), np.float32)
    y = np.array([0] * 5 + [1] * 5)
    gen = ImageDataGenerator(validation_split=0.5)
    with pytest.raises(ValueError, match="different number of classes"):
        gen.flow(x, y, subset="training")
    gen.flow(x, y, subset="training", ignore_class_split=True)


def test_deterministic_zoom_matches_legacy_geometry():
    # zoom_range=(0.5, 0.5) is a fixed 2x zoom-in about the centre: compare the warp.
    image = noise(32, 32, seed=3).astype(np.float32)
    legacy = legacy_gen(zoom_range=(0.5, 0.5), fill_mode="nearest").random_transform(image, seed=0)
    ds = ImageDataGenerator(zoom_range=(0.5, 0.5), fill_mode="nearest").flow(image[None], batch_size=1, seed=0)
    ours = next(iter(ds)).numpy()[0]
    # Same pixel-centre convention and bilinear sampling as scipy's order-1 warp.
    assert np.abs(ours - legacy).mean() < 0.5
    assert np.abs(ours - image).mean() > 3 * np.abs(ours - legacy).mean()


def test_flips_only_mirror_each_image(clean_tree):
    plain = ImageDataGenerator().flow_from_directory(clean_tree, target_size=(12, 16), batch_size=17, shuffle=False, verbose=False)
    flipped = ImageDataGenerator(horizontal_flip=True).flow_from_directory(
        clean_tree, target_size=(12, 16), batch_size=17, shuffle=False, seed=0, verbose=False
    )
    (x, _), = list(plain)
    (f, _), = list(flipped)
    x, f = x.numpy(), f.numpy()
    mirrored = [np.array_equal(f[i], x[i, :, ::-1]) for i in range(17)]
    assert all(m or np.array_equal(f[i], x[i]) for i, m in enumerate(mirrored))
    assert 0 < sum(mirrored) < 17


def _photometric_effects(x, plain):
    """Per image: the offset out - plain per channel, and the ratio out / plain (medians
    over pixels away from the clipping limits)."""
    inside = (plain > 20) & (plain < 235) & (x > 0) & (x < 255)
    offsets = [[np.median((a - b)[..., c][m[..., c]]) for c in range(3)] for a, b, m in zip(x, plain, inside)]
    ratios = [np.median(a[m] / b[m]) for a, b, m in zip(x, plain, inside)]
    return np.array(offsets), np.array(ratios)


def test_augmented_flow_from_directory_runs_every_layer(clean_tree):
    import keras_aug
    import keras_aug.data as kd

    args = dict(rotation_range=15, width_shift_range=0.1, height_shift_range=0.1, shear_range=5, zoom_range=0.1,
                channel_shift_range=10, brightness_range=(0.9, 1.1), horizontal_flip=True)
    kwargs = dict(target_size=(12, 16), batch_size=17, shuffle=False, seed=3, verbose=False)

    def first_batch(gen):
        return next(iter(gen.flow_from_directory(clean_tree, **kwargs)))

    plain = first_batch(ImageDataGenerator())[0].numpy()
    gen = ImageDataGenerator(rescale=1 / 255, **args)
    x, y = (t.numpy() for t in first_batch(gen))
    assert x.shape == (17, 12, 16, 3) and y.shape == (17, 3)
    assert 0.0 <= x.min() and x.max() <= 1.0 + 1e-6 and x.max() > 0.5  # rescaled 0-255 values
    assert all(np.abs(a * 255 - b).mean() > 2.0 for a, b in zip(x, plain))  # every image augmented
    # The same as every mapped layer in one Pipeline through from_directory, then rescaled
    # (legacy resizes with "nearest"): the front end drops none of them.
    names = [type(layer).__name__ for layer in gen.layers(12, 16)]
    assert names == ["RandomRotation", "RandomTranslation", "RandomAffine", "RandomZoom", "RandomFlip",
                     "RandomChannelShift", "RandomBrightnessScale"]
    ref = kd.from_directory(clean_tree, augment=keras_aug.Pipeline(gen.layers(12, 16)), interpolation="nearest",
                            **kwargs)
    np.testing.assert_allclose(x, next(iter(ref))[0].numpy() / 255, atol=1e-5)
    # The photometric layers, each alone, against the plain images: a channel shift adds
    # one offset per image to every channel (legacy's one draw), in +-10 ...
    offsets, _ = _photometric_effects(first_batch(ImageDataGenerator(channel_shift_range=10))[0].numpy(), plain)
    assert np.abs(offsets).max() <= 10.01 and np.ptp(offsets[:, 0]) > 5 and np.ptp(offsets, axis=1).max() < 0.01
    # ... and a brightness scale multiplies each image by one factor in [0.9, 1.1].
    _, ratios = _photometric_effects(first_batch(ImageDataGenerator(brightness_range=(0.9, 1.1)))[0].numpy(), plain)
    assert 0.89 <= ratios.min() and ratios.max() <= 1.11 and np.ptp(ratios) > 0.05
