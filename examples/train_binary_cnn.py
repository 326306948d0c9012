"""Binary image classification with augmentation inside the model.

The classic Keras cats-vs-dogs CNN (Conv2D 32-64-128-128, 3x3 kernels, 2x2 max-pooling,
Flatten, Dropout 0.5, Dense 512 relu, Dense 1 sigmoid; Adam; binary cross-entropy), fed by
`keras_aug.data.from_directory(..., class_mode="binary")`, with the augmentation as the
first layers of the model:

    keras_aug.Pipeline([RandomFlip("horizontal"), RandomRotation(0.1),
                        RandomZoom(0.2), RandomTranslation(0.1, 0.1)])   # one resample
    keras.layers.Rescaling(1 / 255)

The pipeline augments in `fit` and is the identity in `evaluate`, `predict` and the
exported serving function.

With no arguments the script writes its built-in data set (no download; see
`examples/make_dataset.py`: rings vs discs, shown in one pose for training and in any pose
for validation), trains the model with and without augmentation, reports both validation
accuracies (at each model's best epoch, whose weights are restored, and as the mean of the
last epochs), exports the augmented model with `model.export`, reloads the export in a fresh
Python process and checks its predictions.

    python examples/train_binary_cnn.py                       # built-in data: ~2 min on 2 idle CPUs
    python examples/train_binary_cnn.py --epochs 2 --images-per-class 40 --size 64   # quick
    python examples/train_binary_cnn.py --data ~/cats_and_dogs_filtered   # DIR/train, DIR/validation
    python examples/train_binary_cnn.py --data ~/PetImages    # one tree: 20% held out

To look at the augmentation first (see the README's "Look before you train"):

    python -m keras_aug preview DIR/train --pipeline examples/train_binary_cnn.py:augmentation -o grid.png
"""

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

import keras  # noqa: E402
import keras_aug  # noqa: E402
from keras_aug import export as ka_export  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_dataset import make_dataset  # noqa: E402


LAST_EPOCHS = 3  # the summary also averages the validation accuracy of these last epochs


def augmentation(seed=None):
    """The augmentation of this example (also what its README preview shows:
    `python -m keras_aug preview DIR --pipeline examples/train_binary_cnn.py:augmentation`)."""
    return keras_aug.Pipeline(
        [
            keras_aug.RandomFlip("horizontal"),
            keras_aug.RandomRotation(0.1),
            keras_aug.RandomZoom(0.2),
            keras_aug.RandomTranslation(0.1, 0.1),
        ],
        seed=seed,
        name="augmentation",
    )


def build_model(size, augment=True, seed=0, learning_rate=1e-3):
    keras.utils.set_random_seed(seed)  # same initial weights with and without augmentation
    layers = [keras.Input((size, size, 3))]
    if augment:
        layers.append(augmentation(seed))
    layers += [
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(128, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(128, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
    model = keras.Sequential(layers, name="binary_cnn" + ("_augmented" if augment else ""))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def fit_and_restore_best(model, train_data, val, epochs, verbose):
    """Fits `model`, restores its best epoch's weights; returns its figures for the summary.

    With a handful of epochs the last epoch's validation accuracy swings a lot from run
    to run (0.90 vs 0.87 in one run, 0.99 vs 0.85 in another), so each model is judged
    at its best epoch (the weights are restored, as `EarlyStopping` does, and then
    exported) and by the mean of its last epochs. Picking the epoch on the validation set
    flatters both models alike; the mean of the last epochs does not.
    """
    best = keras.callbacks.EarlyStopping(
        monitor="val_accuracy", mode="max", patience=epochs, restore_best_weights=True
    )
    start = time.time()
    # shuffle=False: keras_aug datasets reshuffle every epoch from their seed themselves;
    # Keras cannot shuffle a tf.data.Dataset and warns when asked to (the default True).
    history = model.fit(
        train_data, validation_data=val, epochs=epochs, verbose=verbose, shuffle=False, callbacks=[best]
    )
    seconds = time.time() - start
    val_accuracy = history.history["val_accuracy"]
    restored = model.evaluate(val, verbose=0, return_dict=True)["accuracy"]
    return {
        "val_accuracy": float(restored),
        "best_epoch": best.best_epoch + 1,
        "mean_last_val_accuracy": float(np.mean(val_accuracy[-LAST_EPOCHS:])),
        "train_accuracy": float(history.history["accuracy"][best.best_epoch]),
        "seconds": seconds,
    }


def load_data(data, size, batch_size, seed):
    """(train, validation) datasets: DIR/train + DIR/validation, or one tree split 80/20."""
    common = dict(target_size=(size, size), class_mode="binary", batch_size=batch_size, seed=seed)
    train_dir, val_dir = os.path.join(data, "train"), os.path.join(data, "validation")
    if os.path.isdir(train_dir) and os.path.isdir(val_dir):
        train = keras_aug.data.from_directory(train_dir, shuffle=True, **common)
        val = keras_aug.data.from_directory(val_dir, shuffle=False, **common)
    else:
        split = dict(validation_split=0.2, **common)
        train = keras_aug.data.from_directory(data, subset="training", shuffle=True, **split)
        val = keras_aug.data.from_directory(data, subset="validation", shuffle=False, **split)
    if len(train.class_names) != 2:
        raise SystemExit(f"--data needs exactly two classes; found {train.class_names} in {data}")
    return train, val


def main(argv=None):
    parser = argparse.ArgumentParser(description="Binary CNN with in-model keras_aug augmentation.")
    parser.add_argument("--data", help="image tree: DIR/train/{a,b} + DIR/validation/{a,b}, or DIR/{a,b}")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--images-per-class", type=int, default=200, help="built-in data: training images per class")
    parser.add_argument("--size", type=int, default=150, help="input height and width")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true", help="skip the model without augmentation")
    parser.add_argument("--out", help="where to write the data set and the export (default: a temp dir)")
    parser.add_argument("--verbose", type=int, default=1, help="Keras fit verbosity (1: progress bar)")
    args = parser.parse_args(argv)

    start = time.time()
    out = args.out or os.path.join(tempfile.gettempdir(), "keras_aug_example")
    os.makedirs(out, exist_ok=True)
    data = args.data
    if data is None:
        data = make_dataset(os.path.join(out, "rings_vs_discs"), args.images_per_class, args.size, seed=args.seed)
    train_data, val = load_data(data, args.size, args.batch_size, args.seed)
    print(f"Classes: {train_data.class_indices}; {train_data.samples} training, {val.samples} validation images")

    results = {}
    models = {}
    for augment in ([True] if args.no_baseline else [True, False]):
        name = "with augmentation" if augment else "without augmentation"
        print(f"\n== Training {name} ==")
        model = build_model(args.size, augment=augment, seed=args.seed, learning_rate=args.learning_rate)
        results[name] = fit_and_restore_best(model, train_data, val, args.epochs, args.verbose)
        models[augment] = model
    # Export the augmented model; reload it in a fresh process; compare with predict.
    model = models[True]
    export_dir = os.path.join(out, "serving")
    model.export(export_dir, verbose=False)
    images, labels = [], []
    for x, y in val:
        images.append(x.numpy())
        labels.append(y.numpy())
    images, labels = np.concatenate(images), np.concatenate(labels).reshape(-1)
    check = ka_export.check_export(model, export_dir, images)
    reloaded_accuracy = float(np.mean((check["served"].reshape(-1) > 0.5) == (labels > 0.5)))

    print("\n== Summary ==")
    print(f"data: {data} ({train_data.samples} train / {val.samples} validation, {args.size}x{args.size})")
    last = min(LAST_EPOCHS, args.epochs)
    print(
        "Comparison: each model at its best epoch by validation accuracy (weights restored; the augmented "
        f"model is exported with them), and the mean validation accuracy of its last {last} epochs."
    )
    for name, r in results.items():
        print(
            f"validation accuracy {name}: {r['val_accuracy']:.3f} "
            f"(best epoch {r['best_epoch']}/{args.epochs}, weights restored; "
            f"mean of the last {last} epochs {r['mean_last_val_accuracy']:.3f}; "
            f"train accuracy at that epoch {r['train_accuracy']:.3f}; "
            f"{args.epochs} epochs in {r['seconds']:.0f} s)"
        )
    print(
        f"export: {export_dir} reloaded in a fresh process: max |served - predict| = "
        f"{check['max_abs_diff']:.2e} ({'OK' if check['ok'] else 'MISMATCH'}), "
        f"accuracy of the reloaded model {reloaded_accuracy:.3f} on {len(labels)} validation images"
    )
    print(f"total time: {time.time() - start:.0f} s")
    return 0 if check["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
