"""`from_directory` against tf-keras's `ImageDataGenerator().flow_from_directory`."""

import numpy as np
import pytest
import tensorflow as tf

import keras_aug.data as kd

from data_helpers import noise, save


def legacy_batches(directory, **kwargs):
    from tf_keras.preprocessing.image import ImageDataGenerator

    split = kwargs.pop("validation_split", 0.0)
    it = ImageDataGenerator(validation_split=split).flow_from_directory(directory, shuffle=False, **kwargs)
    return it, [it[i] for i in range(len(it))]


def as_numpy(batch):
    return tuple(np.asarray(b) for b in batch) if isinstance(batch, tuple) else np.asarray(batch)


@pytest.mark.parametrize("class_mode", ["categorical", "binary", "sparse", "input", None])
def test_labels_and_pixels_match_legacy(clean_tree, class_mode):
    classes = ["ant", "cow"] if class_mode == "binary" else None
    kwargs = dict(target_size=(12, 16), class_mode=class_mode, batch_size=5, classes=classes, interpolation="bilinear")
    it, legacy = legacy_batches(clean_tree, **kwargs)
    ds = kd.from_directory(clean_tree, shuffle=False, seed=1, verbose=False, **kwargs)
    ours = [as_numpy(b) for b in ds]
    assert len(ours) == len(legacy)
    assert ds.class_indices == it.class_indices and ds.filenames == it.filenames
    assert ds.samples == it.samples
    for a, b in zip(ours, legacy):
        if class_mode is None:
            a, b = (a,), (b,)
        assert len(a) == len(b)
        xa, xb = a[0], b[0]
        assert xa.dtype == np.float32 and xa.shape == xb.shape
        # Same size: no resampling; PNG and JPEG (same IDCT as PIL) decode bit-exactly.
        np.testing.assert_array_equal(xa, xb)
        for ya, yb in zip(a[1:], b[1:]):
            assert ya.shape == yb.shape and ya.dtype == yb.dtype
            if class_mode == "input":
                np.testing.assert_allclose(ya, xa)
            else:
                np.testing.assert_array_equal(ya, yb)


@pytest.mark.parametrize("subset", ["training", "validation"])
def test_validation_split_matches_legacy(clean_tree, subset):
    it, legacy = legacy_batches(clean_tree, target_size=(6, 8), validation_split=0.4, subset=subset, batch_size=4)
    ds = kd.from_directory(
        clean_tree, target_size=(6, 8), validation_split=0.4, subset=subset, batch_size=4, shuffle=False, verbose=False
    )
    labels = np.concatenate([y.numpy() for _, y in ds])
    np.testing.assert_array_equal(labels, np.concatenate([y for _, y in legacy]))
    assert ds.samples == it.samples == len(labels)
    assert ds.filenames == it.filenames


def test_upsampling_pixels_close_to_legacy(tmp_path):
    # Upsampling: PIL's and TF's bilinear both sample pixel centres, so values agree.
    root = tmp_path / "up"
    for i in range(3):
        save(str(root / "x" / f"{i}.png"), noise(10, 12, seed=i), fmt="PNG")
    _, legacy = legacy_batches(str(root), target_size=(20, 24), interpolation="bilinear", batch_size=3)
    ds = kd.from_directory(str(root), target_size=(20, 24), batch_size=3, shuffle=False, verbose=False)
    (x, _), = list(ds)
    assert np.abs(x.numpy() - legacy[0][0]).mean() < 1.0


@pytest.mark.parametrize("keep_aspect_ratio", [False, True])
def test_downsampled_large_jpeg_close_to_legacy(tmp_path, keep_aspect_ratio):
    # 160x240 into 20x24: decoded at DCT scale 1/4 (or 1/8 unused), then resized; compare
    # against PIL's antialiased resize on smooth content.
    root = tmp_path / "down"
    yy, xx = np.mgrid[0:160, 0:240]
    img = np.stack([yy * 1.5, xx, (yy + xx) / 2], -1).astype(np.uint8)
    save(str(root / "x" / "big.jpg"), img, fmt="JPEG", quality=95)
    kwargs = dict(target_size=(20, 24), interpolation="bilinear", keep_aspect_ratio=keep_aspect_ratio)
    _, legacy = legacy_batches(str(root), batch_size=1, **kwargs)
    ds = kd.from_directory(str(root), batch_size=1, shuffle=False, verbose=False, **kwargs)
    (x, _), = list(ds)
    assert np.abs(x.numpy() - legacy[0][0]).mean() < 2.5


@pytest.mark.parametrize("color_mode, channels", [("grayscale", 1), ("rgb", 3), ("rgba", 4)])
def test_color_modes_match_legacy(clean_tree, color_mode, channels):
    kwargs = dict(target_size=(12, 16), color_mode=color_mode, batch_size=17, classes=["ant"])
    _, legacy = legacy_batches(clean_tree, **kwargs)
    ds = kd.from_directory(clean_tree, shuffle=False, verbose=False, **kwargs)
    (x, _), = list(ds)
    assert x.shape[-1] == channels
    assert np.abs(x.numpy() - legacy[0][0]).mean() < 1.0


def test_attributes_and_shapes(clean_tree):
    ds = kd.from_directory(clean_tree, target_size=(7, 9), batch_size=4, seed=3, verbose=False)
    assert isinstance(ds, tf.data.Dataset)
    assert ds.class_names == ["ant", "bee", "cow"]
    assert ds.class_indices == {"ant": 0, "bee": 1, "cow": 2}
    assert ds.num_classes == 3 and ds.samples == ds.n == 17 and len(ds.filenames) == 17
    assert ds.image_shape == (7, 9, 3) and list(ds.labels) == list(ds.classes)
    assert list(ds.bad_files) == [] and len(ds.bad_files) == 0
    sizes = [x.shape[0] for x, _ in ds]
    assert sizes == [4, 4, 4, 4, 1]
    x, y = next(iter(ds))
    assert x.shape[1:] == (7, 9, 3) and y.shape == (4, 3)
    assert 0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 255
    assert float(tf.reduce_max(x)) > 1.5  # 0-255 values, not rescaled


def test_rescale_and_shuffle_covers_every_file(clean_tree):
    # File identity, not label counts: the 12x16 files are read without resampling, so the
    # rescaled pixels (x 255) tell which file each image is.
    kwargs = dict(target_size=(12, 16), class_mode="sparse", verbose=False)
    (plain, _), = [(x.numpy(), y) for x, y in kd.from_directory(clean_tree, shuffle=False, batch_size=17, **kwargs)]
    file_of = {image.tobytes(): i for i, image in enumerate(plain.astype(np.uint8))}
    ds = kd.from_directory(clean_tree, batch_size=5, seed=0, rescale=1 / 255, **kwargs)
    batches = [(x.numpy(), y.numpy()) for x, y in ds]
    images = np.concatenate([x for x, _ in batches])
    assert 0.0 <= images.min() and images.max() <= 1.0
    files = [file_of[image.tobytes()] for image in np.round(images * 255).astype(np.uint8)]
    assert sorted(files) == list(range(17))
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), ds.classes[files])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"class_mode": "raw"}, "class_mode"),
        ({"color_mode": "cmyk"}, "color_mode"),
        ({"interpolation": "hamming"}, "interpolation"),
        ({"on_bad_file": "skip"}, "on_bad_file"),
        ({"subset": "test", "validation_split": 0.2}, "subset"),
        ({"target_size": (0, 5)}, "target_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"seed": "abc"}, "seed"),
    ],
)
def test_bad_arguments_name_the_argument(clean_tree, kwargs, name):
    with pytest.raises(ValueError, match=name):
        kd.from_directory(clean_tree, verbose=False, **kwargs)


def test_empty_tree_gives_empty_dataset(tmp_path):
    (tmp_path / "e" / "only_class").mkdir(parents=True)
    ds = kd.from_directory(str(tmp_path / "e"), target_size=(4, 4), verbose=False)
    assert ds.samples == 0 and ds.class_names == ["only_class"] and list(ds) == []


def test_trains_a_keras_model(clean_tree):
    import keras

    ds = kd.from_directory(clean_tree, target_size=(8, 8), batch_size=8, seed=0, rescale=1 / 255, verbose=False)
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    history = model.fit(ds, epochs=2, verbose=0, shuffle=False)  # the dataset reshuffles per epoch itself
    assert len(history.history["loss"]) == 2
