"""Serving export helpers.

Two kinds of artifact:

* A trained model. Use Keras's own `model.export(path)` (or
  `tf.saved_model.save(model, path)`): keras_aug layers inside a model are the
  identity in its serving function (unlike Keras's own random layers,
  keras-team/keras#19108), while sizing layers (`Resizing`, `CenterCrop`) and
  `keras.layers.Rescaling` still act as they do in `predict`.
  `check_export(model, path, images)` reloads an artifact in a fresh Python
  process and compares it with `model.predict`.

* The augmentation itself, for consumers outside Python (TF Serving, C++, Java,
  another process): `export_augmentation(pipeline, path)` writes a SavedModel
  whose serving signature takes `images` and `seed` and returns
  `pipeline(images, training=True, seed=seed)` (bit for bit as that call runs
  in a `tf.function`).

        keras_aug.export.export_augmentation(augment, "augment/", image_shape=(None, None, 3))
        loaded = tf.saved_model.load("augment/")
        out = loaded.signatures["serving_default"](images=x, seed=tf.constant([7, 0], tf.int64))["images"]
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf

__all__ = ["export_augmentation", "check_export", "load_and_predict", "serve_in_fresh_process"]

_SEED_DTYPES = (tf.int32, tf.int64)


class _AugmentationModule(tf.Module):
    """Holds the pipeline (and thereby its state) and the traced functions."""

    def __init__(self, pipeline, image_spec, jit_compile):
        super().__init__(name="keras_aug_augmentation")
        self.pipeline = pipeline
        self._image_spec = image_spec

        def augment(images, seed):
            return {"images": self.pipeline(images, training=True, seed=seed)}

        self.augment = tf.function(augment, jit_compile=jit_compile, autograph=False)

    def concrete(self, seed_dtype):
        return self.augment.get_concrete_function(
            tf.TensorSpec(self._image_spec.shape, self._image_spec.dtype, name="images"),
            tf.TensorSpec([2], seed_dtype, name="seed"),
        )


def export_augmentation(
    pipeline,
    path,
    image_shape=(None, None, 3),
    dtype="float32",
    batched=True,
    seed_dtype="int64",
    jit_compile=False,
):
    """Writes a SavedModel that applies `pipeline`'s training-time augmentation.

    The serving signature ("serving_default") takes

    * `images`: a tensor of `dtype` and shape `[batch, *image_shape]` (or
      `image_shape` alone with `batched=False`);
    * `seed`: an integer tensor of shape [2] (`seed_dtype`),

    and returns `{"images": pipeline(images, training=True, seed=seed)}`, a
    pure function of the images and the seed: bit for bit the output of that
    call traced in a graph (`tf.function`, as `fit` runs it), in this process
    or any other. The eager call agrees up to float rounding (about 1e-3 on
    0-255 pixels): TensorFlow's graph optimizer reassociates float arithmetic. A second signature, "serving_int32" or
    "serving_int64", takes the seed in the other integer dtype. The reloaded
    object also has `augment(images, seed)` for both seed dtypes.

    Only the image input is exported; pipelines that move boxes, masks or
    keypoints keep doing so in Python.

    Args:
      pipeline: a keras_aug layer or `keras_aug.Pipeline`.
      path: directory to write.
      image_shape: `(height, width, channels)`; None for a dimension left free
        (height and width may vary per call when None).
      dtype: image dtype ("float32", "uint8", "float16", "bfloat16",
        "float64"); the output has the same dtype.
      batched: whether `images` has a leading batch axis.
      seed_dtype: "int64" (default) or "int32" for "serving_default".
      jit_compile: compile the function with XLA (the serving function then
        needs XLA at load time).

    Returns:
      `path`.

    Raises:
      ValueError: bad `image_shape`, `dtype` or `seed_dtype`, or `pipeline` is
        not a keras_aug layer.
    """
    from keras_aug.core.base import Augmentation

    if not isinstance(pipeline, Augmentation):
        raise ValueError(
            f"`pipeline` must be a keras_aug layer or keras_aug.Pipeline; got {pipeline!r}."
        )
    image_shape = tuple(image_shape)
    if len(image_shape) != 3 or any(d is not None and (not isinstance(d, int) or d < 1) for d in image_shape):
        raise ValueError(
            f"`image_shape` must be (height, width, channels) of positive ints or None; got {image_shape!r}."
        )
    from keras_aug.core.structures import IMAGE_DTYPES

    try:
        dtype = tf.as_dtype(dtype)
    except TypeError:
        raise ValueError(f"`dtype` must be one of {list(IMAGE_DTYPES)}; got {dtype!r}.") from None

    if dtype.name not in IMAGE_DTYPES:
        raise ValueError(f"`dtype` must be one of {list(IMAGE_DTYPES)}; got {dtype.name!r}.")
    requested = seed_dtype
    try:
        seed_dtype = tf.as_dtype(seed_dtype)
    except TypeError:
        seed_dtype = None
    if seed_dtype not in _SEED_DTYPES:
        raise ValueError(f"`seed_dtype` must be 'int32' or 'int64'; got {requested!r}.")
    shape = ((None,) if batched else ()) + image_shape
    other = tf.int32 if seed_dtype == tf.int64 else tf.int64
    module = _AugmentationModule(pipeline, tf.TensorSpec(shape, dtype), jit_compile)
    signatures = {
        "serving_default": module.concrete(seed_dtype),
        f"serving_{other.name}": module.concrete(other),
    }
    tf.saved_model.save(module, os.fspath(path), signatures=signatures)
    return path


# --------------------------------------------------------------- checking
_RELOAD_SCRIPT = r"""
import os, pickle, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
with open(sys.argv[1], "rb") as f:
    requests = pickle.load(f)
results = []
for path, inputs, signature in requests:
    fn = tf.saved_model.load(path).signatures[signature]
    if not isinstance(inputs, dict):
        inputs = {list(fn.structured_input_signature[1])[0]: inputs}
    out = fn(**{k: tf.constant(v) for k, v in inputs.items()})
    results.append({k: np.asarray(v) for k, v in out.items()})
with open(sys.argv[2], "wb") as f:
    pickle.dump(results, f)
"""


def serve_in_fresh_process(requests, python=None, timeout=600):
    """Runs serving signatures of SavedModels in ONE fresh Python process.

    Nothing of this process's state (registered Keras classes, traced
    functions, random generators) is shared, as for a real consumer.

    Args:
      requests: a list of `(path, inputs)` or `(path, inputs, signature)`:
        `inputs` is a numpy array (for a single-input signature, e.g. from
        `model.export` or `tf.saved_model.save(model, ...)`) or a dict of
        arrays by input name; `signature` defaults to "serving_default".
      python: the interpreter to use (default: this one).

    Returns:
      A list with, per request, the dict of outputs (numpy arrays by name).

    Raises:
      RuntimeError: the process failed (its stderr is included).
    """
    import pickle

    requests = [
        (os.fspath(r[0]), r[1] if isinstance(r[1], dict) else np.asarray(r[1]), r[2] if len(r) > 2 else "serving_default")
        for r in requests
    ]
    with tempfile.TemporaryDirectory() as tmp:
        inputs = os.path.join(tmp, "requests.pkl")
        outputs = os.path.join(tmp, "results.pkl")
        with open(inputs, "wb") as f:
            pickle.dump(requests, f)
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        proc = subprocess.run(
            [python or sys.executable, "-c", _RELOAD_SCRIPT, inputs, outputs],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"Serving in a fresh process failed:\n{proc.stderr[-4000:]}")
        with open(outputs, "rb") as f:
            return pickle.load(f)


def load_and_predict(path, images, python=None, timeout=600):
    """The first output of the SavedModel at `path` on `images`, computed in a
    fresh Python process (see `serve_in_fresh_process`)."""
    (result,) = serve_in_fresh_process([(path, images)], python=python, timeout=timeout)
    return next(iter(result.values()))


def check_export(model, path, images, atol=1e-5):
    """Compares `model.predict(images)` with the artifact at `path` reloaded in
    a fresh process. Returns a dict: `max_abs_diff`, `ok` (within `atol`),
    `predict`, `served`.
    """
    expected = np.asarray(model.predict(np.asarray(images), verbose=0))
    served = load_and_predict(path, images)
    diff = float(np.max(np.abs(expected - served))) if expected.size else 0.0
    return {"max_abs_diff": diff, "ok": diff <= atol, "predict": expected, "served": served}
