"""A JAX-backend model with keras_aug layers: fit augments, predict does not, export serves the same."""

import os
import subprocess
import sys

import jax
import keras
import numpy as np

import keras_aug

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _model():
    augment = keras_aug.Pipeline([
        keras_aug.RandomFlip("horizontal", seed=1),
        keras_aug.RandomRotation(0.1, seed=2),
        keras_aug.RandomZoom(0.2, seed=3),
    ])
    head = [keras.layers.Rescaling(1 / 255), keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1, activation="sigmoid")]
    model = keras.Sequential([keras.Input((24, 24, 3)), augment, keras_aug.RandomErasing(seed=4)] + head)
    return model, augment, head


def _data():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (16, 24, 24, 3)).astype("float32"), rng.integers(0, 2, (16, 1)).astype("float32")


def test_fit_augments_and_predict_is_the_identity():
    model, augment, head = _model()
    x, y = _data()
    model.compile(optimizer="adam", loss="binary_crossentropy", jit_compile=True)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    # 2 epochs x 2 steps: each augmentation layer was called (and advanced its counter) 4 times.
    assert int(augment._call_counter.value) == 4
    predicted = model.predict(x, verbose=0)
    plain = x
    for layer in head:
        plain = layer(plain)
    np.testing.assert_allclose(predicted, np.asarray(plain), rtol=1e-5, atol=1e-6)
    assert isinstance(model(x[:2]), jax.Array)


def test_export_reloads_in_a_fresh_process_with_the_same_predictions(tmp_path):
    model, _, _ = _model()
    x, y = _data()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / "served")
    model.export(path, format="tf_saved_model", verbose=False)
    np.save(tmp_path / "x.npy", x)
    script = (
        "import sys, numpy as np, tensorflow as tf\n"
        f"served = tf.saved_model.load({path!r})\n"
        f"x = np.load({str(tmp_path / 'x.npy')!r})\n"
        "print(repr(np.asarray(served.serve(tf.constant(x))).ravel().tolist()))\n"
    )
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    served = np.array(eval(result.stdout.strip().splitlines()[-1]))  # noqa: S307 - our own repr of floats
    np.testing.assert_allclose(served, expected.ravel(), rtol=1e-5, atol=1e-6)
