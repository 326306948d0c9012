"""Within one epoch, every batch and every image gets its own random draws.

The seed tests elsewhere compare epoch with epoch and seed with seed; these compare
batch with batch (the per-batch augmentation) and image with image across the whole
epoch (the per-image geometric run, whose parameters are drawn in chunks of the epoch).
Public behaviour only: what `from_directory` / `from_arrays` yield.
"""

import numpy as np
import tensorflow as tf

import keras_aug
import keras_aug.data as kd


class AddSeededNoise:
    """A non-geometric stand-in (runs per batch): adds noise drawn from the call's seed.

    The noise is exactly `augmented - plain`, so each batch's draws can be read back.
    """

    is_geometric = False

    def __call__(self, inputs, training=True, seed=None):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        images = images + tf.random.stateless_uniform(tf.shape(images), seed=seed, maxval=10.0)
        return dict(inputs, images=images) if isinstance(inputs, dict) else images


def test_every_batch_of_an_epoch_gets_its_own_augmentation(clean_tree):
    kwargs = dict(target_size=(12, 16), batch_size=4, shuffle=False, seed=5, class_mode="sparse", verbose=False)
    plain = [x.numpy() for x, _ in kd.from_directory(clean_tree, **kwargs)]
    noisy = [x.numpy() for x, _ in kd.from_directory(clean_tree, augment=AddSeededNoise(), **kwargs)]
    noise = [a - b for a, b in zip(noisy, plain)]
    assert len(noise) == 5 and all(((n > -1e-3) & (n < 10 + 1e-3)).all() for n in noise)
    # The four full batches (same shape): pairwise different draws.
    for i in range(4):
        for j in range(i + 1, 4):
            assert not np.allclose(noise[i], noise[j], atol=1e-3), (i, j)


def test_every_batch_of_an_epoch_gets_its_own_keras_aug_draws(clean_tree):
    # The same with a real per-batch layer: erasing every sample, one rectangle each.
    # The fill -1 never occurs in the 0-255 images, so it shows each rectangle exactly.
    erase = keras_aug.RandomErasing(factor=(1.0, 1.0), fill_mode="constant", fill_value=-1.0)
    kwargs = dict(target_size=(12, 16), batch_size=4, shuffle=False, seed=5, class_mode="sparse", verbose=False)
    hidden = [x.numpy()[..., 0] == -1.0 for x, _ in kd.from_directory(clean_tree, augment=erase, **kwargs)][:4]
    assert all(h.any(axis=(1, 2)).all() for h in hidden)
    for i in range(4):
        for j in range(i + 1, 4):
            assert not np.array_equal(hidden[i], hidden[j]), (i, j)


def test_every_image_of_a_long_epoch_gets_its_own_geometric_draws():
    # 2100 identical images (more than two of the chunks the per-image parameters are
    # drawn in) under a continuous random rotation: every output must differ from every
    # other; a chunk seed that ignores the chunk would repeat the first chunk's angles.
    n = 2100
    yy, xx = np.mgrid[0:8, 0:8]
    image = (yy * 7.0 + xx * 3.0 + (yy * xx) % 5)[..., None].astype(np.float32)
    x = np.repeat(image[None], n, axis=0)
    augment = keras_aug.Pipeline([keras_aug.RandomRotation(0.5, fill_mode="constant")])
    ds = kd.from_arrays(x, batch_size=700, shuffle=False, seed=9, augment=augment)
    out = np.concatenate([b.numpy() for b in ds]).reshape(n, -1)
    assert out.shape[0] == n
    assert len(np.unique(np.round(out, 3), axis=0)) == n


def test_from_dataframe_same_seed_same_epochs(clean_tree):
    # The seed reaches the dataframe pipeline: two datasets with one seed shuffle and
    # augment alike, epoch by epoch; another seed differs.
    import pandas as pd

    files = kd.from_directory(clean_tree, target_size=(12, 16), shuffle=False, verbose=False)
    df = pd.DataFrame({"filename": [f"{clean_tree}/{f}" for f in files.filenames],
                       "class": [files.class_names[c] for c in files.classes]})

    def two_epochs(seed):
        ds = kd.from_dataframe(df, target_size=(12, 16), batch_size=6, seed=seed, augment=AddSeededNoise(),
                               class_mode="sparse", verbose=False)
        return [np.concatenate([x.numpy() for x, _ in ds]) for _ in range(2)]

    first, again, other = two_epochs(3), two_epochs(3), two_epochs(4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1]) and not np.array_equal(first[0], other[0])
