"""`from_dataframe` and `from_arrays` against the legacy `flow_from_dataframe` / `flow`."""

import os

import numpy as np
import pandas as pd
import pytest

import keras_aug.data as kd



def legacy_gen(**kwargs):
    from tf_keras.preprocessing.image import ImageDataGenerator

    return ImageDataGenerator(**kwargs)


def all_batches(it):
    return [it[i] for i in range(len(it))]


@pytest.fixture
def frame(clean_tree):
    from keras_aug.data import listing

    listed = listing.list_directory(clean_tree)
    names = listed.class_names
    rows = []
    for i, (f, label) in enumerate(zip(listed.filenames, listed.labels)):
        multi = [names[label]] + ([names[(label + 1) % 3]] if i % 3 == 0 else [])
        rows.append({"filename": f, "class": names[label], "multi": multi, "score": float(i) / 2, "w": 1.0 + i % 2, "other": i % 4})
    rows.insert(3, {"filename": "ant/missing.png", "class": "ant", "multi": ["ant"], "score": 0.0, "w": 1.0, "other": 0})
    return pd.DataFrame(rows), clean_tree


@pytest.mark.parametrize(
    "kwargs",
    [
        {"class_mode": "categorical"},
        {"class_mode": "categorical", "y_col": "multi"},
        {"class_mode": "sparse", "classes": ["cow", "bee"]},
        {"class_mode": "raw", "y_col": "score"},
        {"class_mode": "multi_output", "y_col": ["score", "other"]},
        {"class_mode": "categorical", "weight_col": "w"},
        {"class_mode": "input"},
        {"class_mode": None},
        {"class_mode": "sparse", "validation_split": 0.3, "subset": "validation"},
        {"class_mode": "sparse", "validation_split": 0.3, "subset": "training"},
    ],
)
def test_from_dataframe_matches_legacy(frame, kwargs):
    df, directory = frame
    kwargs = dict(kwargs)
    split = kwargs.pop("validation_split", 0.0)
    common = dict(directory=directory, target_size=(12, 16), batch_size=5, shuffle=False, interpolation="bilinear")
    with pytest.warns(UserWarning, match="invalid image filename"):
        it = legacy_gen(validation_split=split).flow_from_dataframe(df, **common, **kwargs)
    with pytest.warns(UserWarning, match="invalid image filename"):
        ds = kd.from_dataframe(df, validation_split=split, verbose=False, **common, **kwargs)
    legacy = all_batches(it)
    ours = list(ds)
    assert len(ours) == len(legacy)
    assert ds.filenames == it.filenames and ds.samples == it.samples
    assert (ds.class_mode, ds.image_shape, ds.batch_size) == (it.class_mode, it.image_shape, it.batch_size)
    if kwargs.get("class_mode") in ("categorical", "sparse"):
        assert ds.class_indices == it.class_indices
    for a, b in zip(ours, legacy):
        a = a if isinstance(a, tuple) else (a,)
        b = b if isinstance(b, tuple) else (b,)
        assert len(a) == len(b)
        np.testing.assert_array_equal(a[0].numpy(), b[0])
        for ya, yb in zip(a[1:], b[1:]):
            if kwargs.get("class_mode") == "multi_output":
                assert len(ya) == len(yb)
                for u, v in zip(ya, yb):
                    np.testing.assert_allclose(np.asarray(u), v)
            else:
                np.testing.assert_allclose(np.asarray(ya), yb)


def test_from_dataframe_absolute_paths_and_bad_files(bad_tree):
    root, good, bad, max_pixels = bad_tree
    rels = sorted(good) + sorted(bad)
    df = pd.DataFrame({"filename": [os.path.join(root, r) for r in rels], "class": [r.split("/")[0] for r in rels]})
    ds = kd.from_dataframe(df, target_size=(4, 4), max_pixels=max_pixels, on_bad_file="ignore", verbose=False)
    n = sum(x.shape[0] for x, _ in ds)
    # Every bad file gets a stand-in (found while reading): the epoch keeps ds.samples.
    assert n == ds.samples == len(good) + len(bad) and len(ds.bad_files) == len(bad)


def test_from_dataframe_bad_arguments(frame):
    df, directory = frame
    with pytest.raises(ValueError, match="class_mode"):
        kd.from_dataframe(df, directory=directory, class_mode="other_mode")
    with pytest.raises(ValueError, match="x_col"):
        kd.from_dataframe(df, directory=directory, x_col="nope")
    with pytest.raises(ValueError, match="y_col"):
        kd.from_dataframe(df, directory=directory, class_mode="multi_output", y_col="score")
    with pytest.raises(ValueError, match="binary"), pytest.warns(UserWarning, match="invalid image filename"):
        kd.from_dataframe(df, directory=directory, class_mode="binary")


@pytest.mark.parametrize("subset", [None, "training", "validation"])
def test_from_arrays_matches_legacy_flow(subset):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (10, 6, 7, 3)).astype(np.float32)
    y = np.arange(10) % 2
    w = np.linspace(0.5, 1.5, 10)
    split = 0.4 if subset else 0.0
    it = legacy_gen(validation_split=split).flow(x, y, batch_size=3, shuffle=False, sample_weight=w, subset=subset)
    ds = kd.from_arrays(x, y, batch_size=3, shuffle=False, sample_weight=w, subset=subset, validation_split=split)
    legacy = all_batches(it)
    ours = list(ds)
    assert len(ours) == len(legacy) and ds.samples == it.n
    for a, b in zip(ours, legacy):
        for u, v in zip(a[:2], b[:2]):
            np.testing.assert_allclose(u.numpy(), v, rtol=1e-6)
    # Sample weights follow their samples into the subset. (Legacy `flow` does not split
    # `sample_weight` and pairs subset samples with the first weights: a legacy bug.)
    start = int(10 * split) if subset == "training" else 0
    np.testing.assert_allclose(np.concatenate([b[2].numpy() for b in ours]), w[start : start + ds.samples], rtol=1e-6)


def test_from_arrays_shuffle_seed_and_augment():
    import keras_aug

    x = np.stack([np.full((6, 6, 1), i, np.float32) for i in range(9)])
    ds = kd.from_arrays(x, batch_size=4, seed=3)
    firsts = [np.concatenate([b.numpy()[:, 0, 0, 0] for b in ds]) for _ in range(2)]
    assert sorted(firsts[0].tolist()) == list(range(9)) and not np.array_equal(firsts[0], firsts[1])
    again = kd.from_arrays(x, batch_size=4, seed=3, num_parallel_calls=1)
    np.testing.assert_array_equal(np.concatenate([b.numpy()[:, 0, 0, 0] for b in again]), firsts[0])
    aug = kd.from_arrays(x, batch_size=9, shuffle=False, seed=1, augment=keras_aug.RandomFlip("horizontal"), target_size=(3, 3))
    (b,) = list(aug)
    assert b.shape == (9, 3, 3, 1)


def test_from_arrays_bad_arguments():
    with pytest.raises(ValueError, match="rank 4"):
        kd.from_arrays(np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="same length"):
        kd.from_arrays(np.zeros((3, 4, 4, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="sample_weight needs y"):
        kd.from_arrays(np.zeros((3, 4, 4, 1)), sample_weight=np.ones(3))


def test_from_dataframe_classes_are_int32_like_from_directory(frame, clean_tree):
    # The documented attribute (`classes`: int32 label per file) is the same on both sources.
    df, directory = frame
    ds = kd.from_dataframe(df.drop(index=3), directory=directory, target_size=(12, 16), class_mode="sparse",
                           verbose=False)
    assert np.asarray(ds.classes).dtype == np.int32
    assert np.asarray(kd.from_directory(clean_tree, target_size=(12, 16), verbose=False).classes).dtype == np.int32


@pytest.mark.parametrize("old", ["has_ext", "sort", "drop_duplicates"])
def test_legacy_flow_from_dataframe_names_each_deprecated_argument(frame, old):
    from keras_aug import ImageDataGenerator

    df, directory = frame
    with pytest.warns(DeprecationWarning, match=f"`{old}` is deprecated and ignored"):
        ImageDataGenerator().flow_from_dataframe(df.drop(index=3), directory=directory, target_size=(12, 16),
                                                 class_mode="sparse", **{old: True})
    with pytest.warns(DeprecationWarning, match='`class_mode` "other" is deprecated, please use `class_mode` "raw"'):
        ImageDataGenerator().flow_from_dataframe(df.drop(index=3), directory=directory, y_col="score",
                                                 target_size=(12, 16), class_mode="other")


def test_legacy_flow_from_dataframe_passes_its_arguments_on(frame):
    """The front end's `flow_from_dataframe` against tf_keras's, with no argument at its default."""
    from keras_aug import ImageDataGenerator

    df, directory = frame
    df = df.drop(index=3)
    kwargs = dict(directory=directory, target_size=(12, 16), batch_size=5, shuffle=False, class_mode="sparse",
                  interpolation="bilinear", classes=["cow", "bee", "ant"])
    legacy = all_batches(legacy_gen(rescale=1 / 255).flow_from_dataframe(df, **kwargs))
    ours = list(ImageDataGenerator(rescale=1 / 255).flow_from_dataframe(df, **kwargs))
    assert len(ours) == len(legacy)
    for (x, y), (lx, ly) in zip(ours, legacy):
        np.testing.assert_allclose(x.numpy(), lx, rtol=1e-6)
        np.testing.assert_array_equal(y.numpy(), ly)
