"""A built-in, download-free image data set where augmentation matters.

Photo-like JPEGs (smooth lighting, textured background, clutter, colour casts, JPEG
noise), two classes told apart by a property that flips, rotations, zooms and
shifts do not change:

* ``rings``: the object is a ring (a disc with a hole);
* ``discs``: the object is a filled disc.

The TRAINING split shows the object only in a narrow pose: near one spot (slightly
left of and above the centre) and at one size. The VALIDATION split shows it anywhere
within a range that geometric augmentation covers (shifted by up to ~10%, scaled by
~±20%). A model without augmentation learns "what is at that spot"; a model that sees
flipped, rotated, zoomed and shifted copies learns the shape.

Also used by the benchmark to write large photo-like JPEGs (`photo_like`).

    python examples/make_dataset.py /tmp/rings_vs_discs --images-per-class 200 --size 150
"""

import argparse
import os

import numpy as np
from PIL import Image

CLASSES = ("discs", "rings")


def _smooth_noise(rng, height, width, cells, channels=1):
    """Low-frequency noise: a coarse random grid upsampled bilinearly, in [0, 1]."""
    coarse = rng.uniform(0, 1, (cells, cells, channels)).astype(np.float32)
    image = Image.fromarray((coarse * 255).astype(np.uint8).squeeze(), None)
    image = image.resize((width, height), Image.BILINEAR)
    out = np.asarray(image, np.float32) / 255.0
    return out.reshape(height, width, channels)


def photo_like(rng, height, width):
    """A photo-like background: lighting gradient, textures at two scales, clutter."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.uniform(110, 220, 3).astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    gradient = (np.cos(angle) * x / width + np.sin(angle) * y / height)[..., None]
    image = base + 60 * gradient * rng.uniform(-1, 1, 3)
    image = image + 50 * (_smooth_noise(rng, height, width, 4, 3) - 0.5)
    image = image + 25 * (_smooth_noise(rng, height, width, max(8, min(height, width) // 8), 3) - 0.5)
    # Clutter: a few small soft blobs and lines (both classes alike).
    for _ in range(rng.randint(2, 6)):
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        r = rng.uniform(0.02, 0.06) * min(height, width)
        blob = np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r))[..., None]
        image = image * (1 - blob) + blob * rng.uniform(0, 255, 3)
    for _ in range(rng.randint(0, 3)):
        a, c = rng.uniform(-1, 1), rng.uniform(0, height)
        d = np.abs(y - (a * x + c)) / np.sqrt(1 + a * a)
        line = np.clip(1.5 - d, 0, 1)[..., None] * rng.uniform(0.3, 0.8)
        image = image * (1 - line) + line * rng.uniform(0, 255, 3)
    return image


def draw_object(rng, image, ring, cy, cx, radius):
    """A soft-edged, shaded disc or ring at (cy, cx) (fractions of the size)."""
    height, width = image.shape[:2]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    cy, cx, r = cy * height, cx * width, radius * min(height, width)
    # A slightly elliptical, rotated object so it is not a perfect template.
    theta = rng.uniform(0, np.pi)
    squash = rng.uniform(0.85, 1.0)
    u = (x - cx) * np.cos(theta) + (y - cy) * np.sin(theta)
    v = ((y - cy) * np.cos(theta) - (x - cx) * np.sin(theta)) / squash
    d = np.sqrt(u * u + v * v)
    edge = max(1.0, 0.03 * r)
    alpha = np.clip((r - d) / edge + 0.5, 0, 1)
    if ring:
        hole = r * rng.uniform(0.45, 0.6)
        alpha = alpha * np.clip((d - hole) / edge + 0.5, 0, 1)
    colour = rng.uniform(0, 90, 3)  # darker than the background: a clear silhouette
    shade = 1 + 0.35 * (u / r) * rng.uniform(-1, 1)  # side lighting
    texture = 1 + 0.15 * (_smooth_noise(rng, height, width, 12)[..., 0] - 0.5)
    fill = colour * (shade * texture)[..., None]
    alpha = alpha[..., None]
    return image * (1 - alpha) + fill * alpha


def make_image(rng, size, ring, split):
    height, width = size
    image = photo_like(rng, height, width)
    if split == "train":  # one narrow pose
        cy, cx = 0.42 + rng.uniform(-0.015, 0.015), 0.40 + rng.uniform(-0.015, 0.015)
        radius = 0.25 * rng.uniform(0.97, 1.03)
    else:  # anywhere augmentation reaches
        cy, cx = 0.5 + rng.uniform(-0.1, 0.1), 0.5 + rng.uniform(-0.1, 0.1)
        radius = 0.25 * rng.uniform(0.85, 1.15)
    image = draw_object(rng, image, ring, cy, cx, radius)
    image = image + rng.normal(0, rng.uniform(2, 6), image.shape)  # sensor noise
    return np.clip(image, 0, 255).astype(np.uint8)


def make_dataset(root, images_per_class=200, size=150, validation_fraction=0.5, seed=0, quiet=False):
    """Writes root/{train,validation}/{discs,rings}/*.jpg; returns root.

    Skips the work if the tree already exists with the same settings.
    """
    size = (size, size) if isinstance(size, int) else tuple(size)
    stamp = os.path.join(root, ".settings")
    settings = f"{images_per_class} {size} {validation_fraction} {seed} v2"
    if os.path.exists(stamp) and open(stamp).read() == settings:
        return root
    rng = np.random.RandomState(seed)
    n_val = max(1, int(round(images_per_class * validation_fraction)))
    for split, count in (("train", images_per_class), ("validation", n_val)):
        for label, name in enumerate(CLASSES):
            folder = os.path.join(root, split, name)
            os.makedirs(folder, exist_ok=True)
            for old in os.listdir(folder):
                os.remove(os.path.join(folder, old))
            for i in range(count):
                image = make_image(rng, size, ring=bool(label), split=split)
                Image.fromarray(image).save(
                    os.path.join(folder, f"{name[:-1]}.{i:04d}.jpg"), quality=int(rng.randint(80, 95))
                )
    with open(stamp, "w") as f:
        f.write(settings)
    if not quiet:
        print(f"Wrote {2 * (images_per_class + n_val)} JPEGs ({size[0]}x{size[1]}) under {root}")
    return root


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root")
    parser.add_argument("--images-per-class", type=int, default=200)
    parser.add_argument("--size", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    make_dataset(args.root, args.images_per_class, args.size, seed=args.seed)


if __name__ == "__main__":
    main()
