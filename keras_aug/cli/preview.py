"""`python -m keras_aug preview`: a PNG of your pipeline on your images.

Each row is one image: the original, then `--n` augmented versions of it. Images are
checked with the loader's header probe (`keras_aug.data.decoding.probe_files`: files the
loader would skip are skipped here too, with the reason), turned upright by their EXIF
orientation, centre-cropped to a square and resized to `--size` pixels.
"""

import itertools
import os
import random

import numpy as np

from keras_aug.cli import CliError
from keras_aug.cli import one_line

# The built-in pipeline when no --pipeline is given (the README's usage example).
DEFAULT_PIPELINE = "RandomFlip('horizontal'), RandomRotation(15 / 360), RandomZoom(0.2), RandomTranslation(0.1, 0.1)"


def default_pipeline():
    import keras_aug

    return keras_aug.Pipeline(
        [
            keras_aug.RandomFlip("horizontal"),
            keras_aug.RandomRotation(15 / 360),
            keras_aug.RandomZoom(0.2),
            keras_aug.RandomTranslation(0.1, 0.1),
        ],
        bounding_box_format="xyxy",
    )


def scene(size=160):
    """A built-in synthetic picture with two boxed objects (uint8 [size, size, 3], boxes xyxy)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    image = np.stack([
        110 + 60 * np.sin(x / 17.0), 120 + 50 * np.cos(y / 23.0), 140 + 40 * np.sin((x + y) / 31.0)
    ], axis=-1)
    boxes = np.array([[20, 30, 70, 90], [90, 100, 150, 140]], np.float32) * (size / 160)
    colours = [(230, 40, 40), (40, 40, 230)]
    for (x1, y1, x2, y2), colour in zip(np.rint(boxes).astype(int), colours):
        image[y1:y2, x1:x2] = colour
        mark = max(1, size // 32)
        image[y1 + mark:y1 + 3 * mark, x1 + mark:x1 + 6 * mark] = 255  # asymmetric: shows turns and flips
    return image.clip(0, 255).astype("uint8"), boxes


def image_files(path):
    """Image files under `path` (a file or a folder), sorted, spread over its sub-folders.

    In a class-per-folder tree the files are taken round-robin over the classes, so the
    first few show every class. Returns (paths, class name of each path or None).
    """
    from keras_aug.data import WHITE_LIST_FORMATS

    if os.path.isfile(path):
        return [path], [None]
    if not os.path.isdir(path):
        raise CliError(f"IMAGE_OR_DIR {path}: no such file or directory")
    groups = {}
    for root, dirs, files in os.walk(path):
        dirs.sort()
        top = os.path.relpath(root, path).split(os.sep)[0]
        for name in sorted(files):
            if name.lower().endswith(WHITE_LIST_FORMATS):
                groups.setdefault(None if top == "." else top, []).append(os.path.join(root, name))
    # Files at the top level first (no class), then the class folders in sorted order.
    names = sorted(groups, key=lambda name: (name is not None, name or ""))
    ordered, classes = [], []
    for row in itertools.zip_longest(*(groups[name] for name in names)):
        for name, file in zip(names, row):
            if file is not None:
                ordered.append(file)
                classes.append(name)
    if not ordered:
        raise CliError(f"IMAGE_OR_DIR {path}: no image files ({', '.join(WHITE_LIST_FORMATS)}) in it")
    return ordered, classes


def load_images(path, count, size, report=print):
    """Up to `count` good images under `path` as uint8 [N, size, size, 3], and their classes."""
    from PIL import Image
    from PIL import ImageOps

    from keras_aug.data.decoding import probe_files

    paths, classes = image_files(path)
    images, kept = [], []
    for start in range(0, len(paths), max(count, 1)):
        chunk = paths[start:start + count]
        for probe, name in zip(probe_files(chunk), classes[start:start + count]):
            if len(images) == count:
                break
            if not probe.ok:
                report(f"skipped {probe.path}: {probe.reason}")
                continue
            try:
                with Image.open(probe.path) as im:
                    im = ImageOps.exif_transpose(im).convert("RGB")
                    images.append(np.asarray(ImageOps.fit(im, (size, size), Image.BILINEAR)))
                    kept.append(name)
            except Exception as e:  # corruption the header probe cannot see
                report(f"skipped {probe.path}: cannot decode ({one_line(e)})")
        if len(images) == count:
            break
    if not images:
        raise CliError(f"IMAGE_OR_DIR {path}: none of its {len(paths)} image files could be read")
    return np.stack(images), kept


def run(args):
    """Writes the preview PNG for parsed arguments; returns the exit status."""
    for name in ("n", "images", "size"):
        if getattr(args, name) < 1:
            raise CliError(f"--{name} must be a positive integer; got {getattr(args, name)}")
    if args.path is not None and not os.path.exists(args.path):
        raise CliError(f"IMAGE_OR_DIR {args.path}: no such file or directory")
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir):
        raise CliError(f"-o {args.out}: the folder {out_dir} does not exist")
    from keras_aug.cli import specs

    layer = specs.load(args.pipeline) if args.pipeline else default_pipeline()
    inputs, class_names = _inputs(args, layer)
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    picture = _draw(layer, inputs, args.n, seed, class_names)
    from PIL import Image

    Image.fromarray(picture).save(args.out, optimize=True)  # deterministic: same picture, same bytes
    described = args.pipeline or f"built-in ({DEFAULT_PIPELINE})"
    rows = len(inputs["images"])
    print(f"wrote {args.out}: {rows} image{'s' * (rows != 1)} x (original + {args.n} augmented), "
          f"pipeline {described}, seed {seed}")
    if args.seed is None:
        print(f"(pass --seed {seed} to draw the same picture again)")
    return 0


def _inputs(args, layer):
    if args.path is None:
        image, boxes = scene(args.size)
        inputs = {"images": image[None]}
        layer_format = getattr(layer, "bounding_box_format", None)
        if layer_format:  # boxes can move only with a layer that knows their format
            inputs["bounding_boxes"] = {"boxes": boxes[None], "labels": np.array([[0, 1]], np.int32)}
        return inputs, None
    images, classes = load_images(args.path, args.images, args.size)
    if any(name is None for name in classes):
        return {"images": images}, None
    class_names = sorted(set(classes))
    return {"images": images, "labels": np.array([class_names.index(c) for c in classes])}, class_names


def _draw(layer, inputs, n, seed, class_names):
    from keras_aug import visualize

    try:
        return visualize.preview(layer, inputs, n=n, seed=seed, bounding_box_format="xyxy", class_names=class_names)
    except (ValueError, TypeError) as e:  # the layer rejects these images (channels, sizes, formats)
        raise CliError(f"the pipeline could not augment the images ({one_line(e)})") from e
