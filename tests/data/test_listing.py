"""Listing parity with tf-keras's `flow_from_directory` (classes, files, order, splits)."""

import os

import numpy as np
import pytest

from keras_aug.data import listing


def legacy_iterator(directory, **kwargs):
    from tf_keras.preprocessing.image import ImageDataGenerator

    split = kwargs.pop("validation_split", 0.0)
    return ImageDataGenerator(validation_split=split).flow_from_directory(
        directory, shuffle=False, **kwargs
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"classes": ["cow", "ant"]},
        {"validation_split": 0.3, "subset": "training"},
        {"validation_split": 0.3, "subset": "validation"},
        {"validation_split": 0.5, "subset": "validation", "classes": ["bee"]},
    ],
)
def test_listing_matches_legacy(clean_tree, kwargs):
    legacy = legacy_iterator(clean_tree, **kwargs)
    ours = listing.list_directory(clean_tree, **kwargs)
    assert ours.class_indices == legacy.class_indices
    assert ours.filenames == legacy.filenames
    np.testing.assert_array_equal(ours.labels, legacy.classes)
    assert ours.filepaths == legacy.filepaths


@pytest.mark.parametrize("follow_links", [False, True])
def test_symlinked_folders_inside_a_class_like_legacy(clean_tree, tmp_path, follow_links):
    # A class folder holding a link to a folder of images elsewhere: listed only when
    # following links, in legacy's order.
    os.symlink(os.path.join(clean_tree, "bee", "nested"), os.path.join(clean_tree, "ant", "linked"))
    legacy = legacy_iterator(clean_tree, follow_links=follow_links)
    ours = listing.list_directory(clean_tree, follow_links=follow_links)
    assert ours.filenames == legacy.filenames
    assert any(f.startswith(os.path.join("ant", "linked")) for f in ours.filenames) == follow_links


def test_listing_rules(clean_tree):
    ours = listing.list_directory(clean_tree)
    assert ours.class_names == ["ant", "bee", "cow"]
    # Upper-case extensions count, nested folders are walked, .txt/.gif are ignored.
    assert "ant/img_02.PNG" in ours.filenames
    assert os.path.join("bee", "nested", "img_05.png") in ours.filenames
    assert not any(f.endswith((".txt", ".gif")) for f in ours.filenames)
    assert len(ours.filenames) == 17


def test_split_counts_partition_each_class(clean_tree):
    train = listing.list_directory(clean_tree, validation_split=0.25, subset="training")
    val = listing.list_directory(clean_tree, validation_split=0.25, subset="validation")
    assert sorted(train.filenames + val.filenames) == sorted(listing.list_directory(clean_tree).filenames)
    # int(0.25 * 5) = 1, int(0.25 * 7) = 1 per class.
    assert len(val.filenames) == 3 and len(train.filenames) == 14


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"subset": "test", "validation_split": 0.2}, "subset"),
        ({"subset": "training", "validation_split": 1.5}, "validation_split"),
    ],
)
def test_bad_arguments(clean_tree, kwargs, word):
    with pytest.raises(ValueError, match=word):
        listing.list_directory(clean_tree, **kwargs)


def test_missing_directory(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        listing.list_directory(str(tmp_path / "nope"))


@pytest.mark.parametrize("head, tail", [("a", "b.jpg"), ("a/", "b.jpg"), ("", "b.jpg"), ("/x/y", "c/d.png"), ("cats/sub", "1.jpg")])
def test_join_relative_equals_os_path_join(head, tail):
    assert listing.join_relative(head, tail) == os.path.join(head, tail)
