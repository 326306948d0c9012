"""Exact epochs: `len(ds)` is known and every epoch yields it, bad files or not."""

import os
import shutil
import warnings

import numpy as np
import pytest

import keras_aug.data as kd

import route_datasets


@pytest.fixture
def tree(route_tree):
    return route_tree


def count_epoch(ds):
    """(batches, samples) of one iteration."""
    batches = samples = 0
    for element in ds:
        x = element[0] if isinstance(element, tuple) else element
        batches += 1
        samples += 1 if len(x.shape) == 3 else int(x.shape[0])
    return batches, samples


def assert_exact(ds, epochs=2):
    assert int(ds.cardinality()) == len(ds) >= 0
    for _ in range(epochs):
        assert count_epoch(ds) == (len(ds), ds.samples)


@pytest.mark.parametrize("class_mode", ["categorical", "binary", "sparse", "input", None])
def test_cardinality_equals_the_batches_of_every_epoch_for_each_class_mode(tree, class_mode):
    ds = kd.from_directory(tree, target_size=(6, 6), batch_size=4, class_mode=class_mode, seed=1,
                           on_bad_file="ignore", verbose=False)
    # 23 listed files, none opened yet; two the header probe rejects (empty, text) and the
    # corrupt PNG are found while reading, each replaced by a stand-in.
    assert ds.samples == 23 and len(ds) == 6 and len(ds.bad_files) == 0
    assert_exact(ds)
    assert len(ds.bad_files) == 3


@pytest.mark.parametrize("subset", ["training", "validation"])
@pytest.mark.parametrize("batch_size", [3, None])
def test_cardinality_with_a_split_and_unbatched(tree, subset, batch_size):
    ds = kd.from_directory(tree, target_size=(6, 6), batch_size=batch_size, validation_split=0.3, subset=subset,
                           seed=2, on_bad_file="ignore", verbose=False)
    assert len(ds) == (ds.samples if batch_size is None else -(-ds.samples // batch_size))
    assert_exact(ds)


@pytest.mark.parametrize("route", route_datasets.ROUTES)
def test_cardinality_on_every_route_with_augmentation(tree, route):
    assert_exact(route_datasets.shared(tree, route))


def test_arrays_have_exact_epochs(tree):
    ds = kd.from_arrays(np.zeros((10, 5, 5, 3), np.uint8), np.arange(10), batch_size=4,
                        augment=route_datasets.augment())
    assert len(ds) == 3
    assert_exact(ds)


@pytest.mark.parametrize("route", ["graph", "opencv_groups"])
def test_a_file_failing_while_decoding_gets_a_stand_in_from_the_same_epoch(tree, route):
    # In order (no shuffle) each bad file's stand-in is the next good file of the epoch,
    # cyclically, with that file's label: after b/late.png come only bad files (text.jpg),
    # so its stand-in is the epoch's first file.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        augment = route_datasets.augment() if route != "graph" else None
        ds = route_datasets.build(tree, route, shuffle=False, on_bad_file="warn", augment=augment)
        batches = [(x.numpy(), y.numpy()) for x, y in ds]
        batches += [(x.numpy(), y.numpy()) for x, y in ds]  # a second epoch: no new warning
    y = np.concatenate([y for _, y in batches[: len(ds)]])
    assert len(y) == ds.samples
    bad = os.path.join(tree, route_datasets.RUNTIME_BAD)
    failing = {bad} | {os.path.join(tree, rel) for rel in ("a/empty.jpg", "b/text.jpg")}
    late = ds.filepaths.index(bad)
    assert ds.labels[late] == 1 and all(p in failing for p in ds.filepaths[late:])
    expected = list(ds.labels)
    for i in range(len(expected)):
        if ds.filepaths[i] in failing:
            following = [j % len(expected) for j in range(i + 1, i + len(expected))]
            expected[i] = ds.labels[next(j for j in following if ds.filepaths[j] not in failing)]
    assert y[late] == ds.labels[0] == 0 and y.tolist() == expected
    if route == "graph":  # without augmentation the stand-in is a copy of the first image
        x = np.concatenate([x for x, _ in batches[: len(ds)]])
        np.testing.assert_array_equal(x[late], x[0])
    # Each counted once in bad_files, warned once.
    assert [p for p, _ in ds.bad_files].count(bad) == 1 and sorted(p for p, _ in ds.bad_files) == sorted(failing)
    assert sum(bad in str(w.message) for w in caught) == 1


@pytest.mark.parametrize("route", route_datasets.ROUTES)
def test_on_bad_file_raise_still_raises_naming_the_file(tree, route, tmp_path):
    # Good files and one that fails only while decoding.
    for rel in ("a/01.jpeg", "a/03.png", "b/02.jpeg", route_datasets.RUNTIME_BAD):
        os.makedirs(tmp_path / os.path.dirname(rel), exist_ok=True)
        shutil.copy(os.path.join(tree, rel), tmp_path / rel)
    ds = route_datasets.build(str(tmp_path), route, on_bad_file="raise")
    with pytest.raises(Exception, match=r"late\.png"):
        count_epoch(ds)


def test_a_fit_of_two_epochs_shows_n_of_n_steps_and_never_runs_out(tree, capfd):
    import keras

    ds = kd.from_directory(tree, target_size=(6, 6), batch_size=4, seed=0, rescale=1 / 255, class_mode="binary",
                           on_bad_file="ignore", verbose=False)
    model = keras.Sequential([keras.Input((6, 6, 3)), keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(ds, epochs=2, verbose=2)
    out, err = capfd.readouterr()
    assert len(history.history["loss"]) == 2
    text = out + err + " ".join(str(w.message) for w in caught)
    assert "ran out of data" not in text
    assert out.count(f"{len(ds)}/{len(ds)}") == 2, out


@pytest.mark.parametrize("route", ["graph", "opencv_groups", "graph_only"])
def test_an_epoch_whose_every_file_fails_raises_instead_of_coming_up_short(tree, route, tmp_path):
    os.makedirs(tmp_path / "b")
    shutil.copy(os.path.join(tree, route_datasets.RUNTIME_BAD), tmp_path / route_datasets.RUNTIME_BAD)
    ds = route_datasets.build(str(tmp_path), route, augment=route_datasets.augment() if route != "graph" else None)
    assert ds.samples == 1 and len(ds) == 1
    with pytest.raises(Exception, match="every file of the epoch failed to decode"):
        count_epoch(ds)
