"""Command line: `python -m keras_aug preview` writes a PNG grid of augmented samples.

    python -m keras_aug preview [--image PATH] [--out preview.png] [--rows 4] [--cols 6] [--seed 0]

Without --image it draws a built-in synthetic scene with boxes, so the grid
also shows the boxes moving with the image.
"""

import argparse
import os
import sys


def _scene(size=160):
    import numpy as np

    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    image = np.stack([
        110 + 60 * np.sin(x / 17.0), 120 + 50 * np.cos(y / 23.0), 140 + 40 * np.sin((x + y) / 31.0)
    ], axis=-1)
    boxes = np.array([[20, 30, 70, 90], [90, 100, 150, 140]], np.float32)
    colours = [(230, 40, 40), (40, 40, 230)]
    for (x1, y1, x2, y2), colour in zip(boxes.astype(int), colours):
        image[y1:y2, x1:x2] = colour
        image[y1 + 5:y1 + 15, x1 + 5:x1 + 30] = 255  # an asymmetric mark shows turns and flips
    return image.clip(0, 255).astype("uint8"), boxes


def _draw_box(tile, box, colour=(255, 255, 0)):
    x1, y1, x2, y2 = [int(round(v)) for v in box]
    h, w = tile.shape[:2]
    x1, x2 = max(0, min(w - 1, x1)), max(0, min(w - 1, x2 - 1))
    y1, y2 = max(0, min(h - 1, y1)), max(0, min(h - 1, y2 - 1))
    tile[y1, x1:x2 + 1] = colour
    tile[y2, x1:x2 + 1] = colour
    tile[y1:y2 + 1, x1] = colour
    tile[y1:y2 + 1, x2] = colour


def preview(args):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    from PIL import Image

    import keras_aug

    if args.image:
        image = np.asarray(Image.open(args.image).convert("RGB").resize((args.size, args.size)))
        boxes = np.zeros((0, 4), np.float32)
    else:
        image, boxes = _scene(args.size)
    n = args.rows * args.cols
    pipeline = keras_aug.Pipeline(
        [
            keras_aug.RandomFlip("horizontal"),
            keras_aug.RandomRotation(15 / 360),
            keras_aug.RandomZoom(0.2),
            keras_aug.RandomTranslation(0.1, 0.1),
        ],
        seed=args.seed,
        bounding_box_format="xyxy",
    )
    inputs = {
        "images": np.repeat(image[None], n, axis=0),
        "bounding_boxes": {
            "boxes": np.repeat(boxes[None], n, axis=0),
            "labels": np.zeros((n, len(boxes)), np.int32),
        },
    }
    out = pipeline(inputs)
    images = np.asarray(out["images"])
    out_boxes = np.asarray(out["bounding_boxes"]["boxes"])
    out_labels = np.asarray(out["bounding_boxes"]["labels"])
    size = images.shape[1]
    grid = np.full((args.rows * (size + 4), args.cols * (size + 4), 3), 255, np.uint8)
    for i in range(n):
        tile = images[i].copy()
        for box, label in zip(out_boxes[i], out_labels[i]):
            if label >= 0:
                _draw_box(tile, box)
        r, c = divmod(i, args.cols)
        grid[r * (size + 4):r * (size + 4) + size, c * (size + 4):c * (size + 4) + size] = tile
    Image.fromarray(grid).save(args.out)
    print(f"wrote {args.out}: {n} augmented samples ({args.rows}x{args.cols})")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m keras_aug", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("preview", help="write a PNG grid of augmented samples")
    p.add_argument("--image", help="an image file (default: a built-in scene with boxes)")
    p.add_argument("--out", default="preview.png")
    p.add_argument("--rows", type=int, default=3)
    p.add_argument("--cols", type=int, default=5)
    p.add_argument("--size", type=int, default=160)
    p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    return preview(args)


if __name__ == "__main__":
    sys.exit(main())
