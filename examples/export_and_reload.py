"""Export a model with in-graph augmentation, and the augmentation on its own.

1. `model.export(path)`: the serving function resizes and rescales as the model does and
   never augments; reloaded in a fresh Python process it returns `model.predict`'s values.
2. `keras_aug.export.export_augmentation(pipeline, path)`: a SavedModel whose signature
   takes `images` and `seed` and returns the training-time augmentation, for consumers
   outside Python (TF Serving, C++, another process).

    python examples/export_and_reload.py [--out DIR]
"""

import argparse
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras  # noqa: E402
import keras_aug  # noqa: E402
from keras_aug import export  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "keras_aug_export_example"))
    args = parser.parse_args(argv)

    augment = keras_aug.Pipeline(
        [
            keras_aug.Resizing(64, 64),  # acts in serving too
            keras_aug.RandomFlip("horizontal"),
            keras_aug.RandomRotation(0.1),
            keras_aug.RandomZoom(0.2),
            keras_aug.RandomTranslation(0.1, 0.1),
        ],
        seed=7,
    )
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((96, 128, 3)),
            augment,
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile("adam", "binary_crossentropy")
    rng = np.random.RandomState(0)
    x = rng.uniform(0, 255, (32, 96, 128, 3)).astype("float32")
    y = rng.randint(0, 2, (32, 1)).astype("float32")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)  # augments

    # 1. The trained model, both ways.
    model_dir = os.path.join(args.out, "model")
    model.export(model_dir, verbose=False)
    saved_dir = os.path.join(args.out, "saved_model")
    tf.saved_model.save(model, saved_dir)

    # 2. The augmentation alone: images (any size) + seed -> augmented images.
    aug_dir = os.path.join(args.out, "augmentation")
    export.export_augmentation(augment, aug_dir, image_shape=(None, None, 3))

    # Reload all three in ONE fresh process.
    seed = np.array([42, 0], np.int64)
    served_model, served_saved, served_aug = export.serve_in_fresh_process(
        [(model_dir, x[:8]), (saved_dir, x[:8]), (aug_dir, {"images": x[:4], "seed": seed})]
    )
    predicted = model.predict(x[:8], verbose=0)
    for name, served in (("model.export", served_model), ("tf.saved_model.save", served_saved)):
        diff = np.max(np.abs(next(iter(served.values())) - predicted))
        print(f"{name}: reloaded in a fresh process, max |served - predict| = {diff:.2e}")
    traced = tf.function(lambda images, s: augment(images, training=True, seed=s))
    expected = traced(tf.constant(x[:4]), tf.constant(seed)).numpy()
    same = np.array_equal(served_aug["images"], expected)
    moved = np.max(np.abs(served_aug["images"] - tf.image.resize(x[:4], (64, 64)).numpy()))
    print(
        f"augmentation export: output {served_aug['images'].shape}, identical to "
        f"pipeline(images, training=True, seed=seed): {same}; differs from the plain resize by up to {moved:.0f}"
    )
    print(f"artifacts under {args.out}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
