"""Command line: look at your augmentation and your data before training.

    python -m keras_aug preview IMAGE_OR_DIR --pipeline SPEC -o grid.png [--seed N] [--n N]
    python -m keras_aug scan DIR [--json] [--full]

`preview` draws each image beside N augmented versions of it. SPEC is a `.keras` file
(the model's keras_aug layers), a JSON file of layer configs (what `get_config` gives),
or `module:attribute` (a layer, or a function returning one). Without IMAGE_OR_DIR it
uses a built-in scene with boxes; without --pipeline a built-in pipeline. With --seed
the PNG is byte-identical across runs.

`scan` walks a class-per-folder tree: class counts, image sizes and formats, duplicates
by content hash, and every file the loader would skip, with the reason.

Bad input (a missing path, an unreadable spec, an unknown layer name) is reported as
one line on stderr with exit status 2.
"""

import argparse
import contextlib
import json
import sys

from keras_aug.cli import CliError

USAGE_ERROR = 2
_REPLACED = {
    "--image": "pass the image (or a folder of images) as the first argument: "
               "python -m keras_aug preview IMAGE_OR_DIR --pipeline SPEC -o grid.png",
    "--rows": "the grid has one row per image (--images, default 4) and --n augmented versions in each row",
    "--cols": "the grid has one row per image (--images, default 4) and --n augmented versions in each row",
}


def _preview_parser(sub):
    p = sub.add_parser("preview", help="write a PNG grid: each image beside N augmented versions of it",
                       description="Each image beside N augmented versions of it, as one PNG.")
    p.add_argument("path", nargs="?", metavar="IMAGE_OR_DIR",
                   help="an image, or a folder (class sub-folders are sampled in turn); "
                        "default: a built-in scene with two boxes")
    p.add_argument("--pipeline", metavar="SPEC",
                   help="a .keras file, a .json file of layer configs, or module:attribute "
                        "(default: flip, rotation, zoom, translation)")
    p.add_argument("-o", "--out", default="preview.png", help="the PNG to write (default: preview.png)")
    p.add_argument("--seed", type=int, help="seed of the augmentation: the same seed writes the same PNG")
    p.add_argument("--n", type=int, default=5, help="augmented versions per image (default: 5)")
    p.add_argument("--images", type=int, default=4, help="images taken from a folder (default: 4)")
    p.add_argument("--size", type=int, default=160, help="images are centre-cropped and resized to SIZE x SIZE")
    for old in _REPLACED:
        p.add_argument(old, dest="replaced_" + old.strip("-"), help=argparse.SUPPRESS)
    p.set_defaults(command=_preview)


def _scan_parser(sub):
    p = sub.add_parser("scan", help="check a class-per-folder image tree the way the loader does",
                       description="Class counts, sizes, formats, duplicates and the files the loader skips.")
    p.add_argument("directory", metavar="DIR", help="the root folder: one sub-folder per class")
    p.add_argument("--json", action="store_true", help="print the report as JSON (progress goes to stderr)")
    p.add_argument("--full", action="store_true",
                   help="also decode every image (about 20x slower; finds corruption the header check misses)")
    p.add_argument("--follow-links", action="store_true", help="follow symlinked sub-folders")
    p.set_defaults(command=_scan)


def _preview(args):
    for old, replacement in _REPLACED.items():
        if getattr(args, "replaced_" + old.strip("-")) is not None:
            raise CliError(f"{old} was replaced: {replacement}")
    from keras_aug.cli import preview

    return preview.run(args)


def _scan(args):
    from keras_aug.cli import scan

    # With --json, stdout carries only the JSON; the progress bar goes to stderr.
    with contextlib.redirect_stdout(sys.stderr if args.json else sys.stdout):
        report = scan.scan_tree(args.directory, args.follow_links, args.full, progress=True)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print("\n".join(scan.format_report(report)))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m keras_aug", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="name", required=True)
    _preview_parser(sub)
    _scan_parser(sub)
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except CliError as e:
        print(f"error: {e}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
