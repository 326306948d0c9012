"""Export: trained models serve without augmentation; the augmentation itself exports.

Models are reloaded in a fresh Python process (`keras_aug.export.load_and_predict`), so
nothing of this process's Keras state (registered classes, traced functions) helps.
"""

import numpy as np
import pytest
import tensorflow as tf

import keras
import keras_aug
from keras_aug import export
from sample_images import textured_image


def _augment(seed=3, resize=None):
    layers = [keras_aug.Resizing(*resize)] if resize else []
    layers += [
        keras_aug.RandomFlip("horizontal"),
        keras_aug.RandomRotation(0.1),
        keras_aug.RandomZoom(0.2),
        keras_aug.RandomTranslation(0.1, 0.1),
    ]
    return keras_aug.Pipeline(layers, seed=seed)


def _images(n=4, height=40, width=48):
    return np.stack([textured_image(height, width, seed=i) for i in range(n)]).astype("float32")


@pytest.fixture(scope="module")
def model():
    """A Pipeline (resize + geometric) + Rescaling + a small conv net, on 40x48 inputs."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((40, 48, 3)),
            _augment(resize=(32, 32)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    x = _images(8)
    model.fit(x, np.arange(8) % 3, epochs=1, batch_size=4, verbose=0)
    return model


def _reference(model, x):
    """What serving must compute: resize + rescale + net, no augmentation."""
    net = keras.Sequential(model.layers[1:])
    resized = keras_aug.Resizing(32, 32)(x)  # called directly; Resizing is not random
    return net.predict(resized, verbose=0)


def test_model_predict_is_identity_augmentation(model):
    x = _images()
    predicted = model.predict(x, verbose=0)
    np.testing.assert_allclose(predicted, _reference(model, x), atol=1e-5)
    # The layers do augment in training mode, so the check above is not vacuous.
    trained = model(x, training=True).numpy()
    assert np.max(np.abs(trained - predicted)) > 1e-4


@pytest.fixture(scope="module")
def augmentation_dir(tmp_path_factory):
    pipeline = _augment()
    path = tmp_path_factory.mktemp("augment") / "saved"
    export.export_augmentation(pipeline, path, image_shape=(None, None, 3))
    return pipeline, path


@pytest.fixture(scope="module")
def fresh_process(model, augmentation_dir, tmp_path_factory):
    """Exports the model both ways and serves everything in ONE fresh process."""
    root = tmp_path_factory.mktemp("exports")
    model.export(str(root / "export"), verbose=False)
    tf.saved_model.save(model, str(root / "saved_model"))
    x = _images()
    seed = np.array([3, 8], np.int64)
    results = export.serve_in_fresh_process(
        [
            (root / "export", x),
            (root / "saved_model", x),
            (augmentation_dir[1], {"images": x[:2], "seed": seed}),
        ]
    )
    return x, seed, results


@pytest.mark.parametrize("index", [0, 1], ids=["model.export", "tf.saved_model.save"])
def test_export_serves_predict_in_fresh_process(model, fresh_process, index):
    x, _, results = fresh_process
    (served,) = results[index].values()
    assert served.shape == (4, 3)
    np.testing.assert_allclose(served, model.predict(x, verbose=0), atol=1e-5)
    # Serving resizes and rescales as the model does and never augments.
    np.testing.assert_allclose(served, _reference(model, x), atol=1e-5)


# ---------------------------------------------------------- augmentation export
def _graph_call(pipeline, seed_dtype=tf.int64, shape=(None, None, None, 3), dtype=tf.float32):
    """`pipeline(images, training=True, seed=seed)` traced once, as fit and serving run it."""
    return tf.function(
        lambda images, seed: pipeline(images, training=True, seed=seed),
        input_signature=[tf.TensorSpec(shape, dtype), tf.TensorSpec([2], seed_dtype)],
    )


def test_augmentation_export_reproduces_training_call(augmentation_dir):
    pipeline, path = augmentation_dir
    loaded = tf.saved_model.load(str(path))
    serve = loaded.signatures["serving_default"]
    x = _images()
    call = _graph_call(pipeline)
    for s in range(4):
        seed = tf.constant([11, s], tf.int64)
        served = serve(images=tf.constant(x), seed=seed)["images"].numpy()
        np.testing.assert_array_equal(served, call(tf.constant(x), seed).numpy())
        # The eager call agrees up to float rounding only: TF's graph optimizer
        # (arithmetic_optimization, constant_folding) reassociates float chains
        # such as the warp's a*x + b*y + c, so graph and eager differ by ~1e-3.
        eager = pipeline(x, training=True, seed=seed).numpy()
        np.testing.assert_allclose(served, eager, atol=0.05)
        assert np.max(np.abs(served - x)) > 1.0  # it does augment


def test_augmentation_export_seeds(augmentation_dir):
    pipeline, path = augmentation_dir
    loaded = tf.saved_model.load(str(path))
    x = tf.constant(_images())
    serve64 = loaded.signatures["serving_default"]
    serve32 = loaded.signatures["serving_int32"]
    a = serve64(images=x, seed=tf.constant([5, 1], tf.int64))["images"].numpy()
    again = serve64(images=x, seed=tf.constant([5, 1], tf.int64))["images"].numpy()
    b = serve64(images=x, seed=tf.constant([5, 2], tf.int64))["images"].numpy()
    c = serve32(images=x, seed=tf.constant([5, 1], tf.int32))["images"].numpy()
    np.testing.assert_array_equal(a, again)  # a pure function of (images, seed)
    np.testing.assert_array_equal(a, c)  # int32 and int64 seeds mean the same
    assert np.max(np.abs(a - b)) > 1.0  # different seeds, different augmentation
    # Any image size works with a free (None, None) shape.
    other = loaded.augment(tf.constant(_images(2, 20, 30)), tf.constant([5, 1], tf.int64))["images"]
    assert other.shape == (2, 20, 30, 3)


def test_augmentation_export_uint8_fixed_shape_unbatched(tmp_path):
    pipeline = _augment(seed=9)
    x = _images(1)[0].astype("uint8")
    export.export_augmentation(pipeline, tmp_path / "u8", image_shape=(40, 48, 3), dtype="uint8",
                               batched=False, seed_dtype="int32")
    loaded = tf.saved_model.load(str(tmp_path / "u8"))
    seed = tf.constant([4, 2], tf.int32)
    served = loaded.signatures["serving_default"](images=tf.constant(x), seed=seed)["images"].numpy()
    assert served.dtype == np.uint8 and served.shape == (40, 48, 3)
    call = _graph_call(pipeline, tf.int32, (40, 48, 3), tf.uint8)
    np.testing.assert_array_equal(served, call(tf.constant(x), seed).numpy())
    assert "serving_int64" in loaded.signatures


def test_augmentation_export_in_fresh_process(augmentation_dir, fresh_process):
    """Consumers outside this process get the same bits."""
    pipeline, _ = augmentation_dir
    x, seed, results = fresh_process
    expected = _graph_call(pipeline)(tf.constant(x[:2]), tf.constant(seed)).numpy()
    np.testing.assert_array_equal(results[2]["images"], expected)


def test_export_augmentation_validates_arguments(tmp_path):
    with pytest.raises(ValueError, match="pipeline"):
        export.export_augmentation(keras.layers.RandomFlip(), tmp_path / "a")
    with pytest.raises(ValueError, match="image_shape"):
        export.export_augmentation(_augment(), tmp_path / "b", image_shape=(32, 32))
    with pytest.raises(ValueError, match="dtype"):
        export.export_augmentation(_augment(), tmp_path / "c", dtype="int32")
    with pytest.raises(ValueError, match="seed_dtype"):
        export.export_augmentation(_augment(), tmp_path / "d", seed_dtype="float32")
