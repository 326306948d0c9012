"""Label sums of the mixing layers, for any batch, size and seed (hypothesis).

Each sample i is a constant image of value 10 (i + 1) with its own class, so an output
pixel tells which sample it came from. CutMix and Mosaic copy pixels: each class's label
weight must be the share of pixels that came from that sample. MixUp blends: the mean
pixel must be the label-weighted mean of the sources. Soft labels must stay a
distribution (non-negative, summing to 1).
"""

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_aug.layers.mixing import CutMix
from keras_aug.layers.mixing import MixUp
from keras_aug.layers.mixing import Mosaic

# Every example traces the layer anew (new shapes): few examples, no deadline.
FEW = settings(max_examples=8, deadline=None, database=None)

LAYERS = {
    "cutmix": lambda: CutMix(),
    "replacement": lambda: CutMix(mode="replacement"),
    "mixup": lambda: MixUp(alpha=0.4),
    "mosaic": lambda: Mosaic(),
}
cases = dict(batch=st.integers(1, 6), height=st.integers(4, 20), width=st.integers(4, 20),
             seed=st.tuples(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1)))


def sources(batch, height, width):
    images = np.broadcast_to(10.0 * np.arange(1, batch + 1, dtype=np.float32)[:, None, None, None],
                             (batch, height, width, 1)).copy()
    return images, np.eye(batch, dtype=np.float32)


@pytest.mark.parametrize("name", ["cutmix", "replacement", "mosaic"])
@FEW
@given(**cases)
def test_copied_pixels_share_equals_label_weight(name, batch, height, width, seed):
    images, labels = sources(batch, height, width)
    out = LAYERS[name]()({"images": images, "labels": labels}, seed=tf.constant(seed, tf.int64))
    x, y = out["images"].numpy()[..., 0], out["labels"].numpy()
    share = np.stack([(x == 10.0 * (k + 1)).mean(axis=(1, 2)) for k in range(batch)], axis=-1)
    np.testing.assert_allclose(share.sum(-1), 1.0, atol=1e-6)  # every pixel is one sample's
    if name == "replacement":  # pastes like CutMix but keeps each sample's own label
        np.testing.assert_array_equal(y, labels)
        assert (np.diagonal(share) > 0).all()
    else:
        np.testing.assert_allclose(y, share, atol=1e-5)


@FEW
@given(**cases)
def test_mixup_mean_pixel_is_the_label_weighted_mean(batch, height, width, seed):
    images, labels = sources(batch, height, width)
    out = MixUp(alpha=0.4)({"images": images, "labels": labels}, seed=tf.constant(seed, tf.int64))
    x, y = out["images"].numpy(), out["labels"].numpy()
    np.testing.assert_allclose(x.mean(axis=(1, 2, 3)), y @ (10.0 * np.arange(1, batch + 1)), rtol=1e-4)


@pytest.mark.parametrize("name", sorted(LAYERS))
@FEW
@given(batch=st.integers(1, 6), classes=st.integers(2, 5), seed=st.integers(0, 2**31 - 1))
def test_soft_labels_stay_distributions(name, batch, classes, seed):
    rng = np.random.default_rng(seed)
    labels = rng.dirichlet(np.ones(classes), size=batch).astype(np.float32)
    images = rng.uniform(0, 255, (batch, 8, 10, 3)).astype(np.float32)
    y = LAYERS[name]()({"images": images, "labels": labels}, seed=tf.constant([seed, 1], tf.int64))["labels"].numpy()
    assert (y >= -1e-7).all()
    np.testing.assert_allclose(y.sum(-1), 1.0, atol=1e-5)
