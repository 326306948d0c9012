"""`python -m keras_aug.data.native build`: compile (if needed) and load the op, print its path.

For Docker images and clusters: run it once where the image is built, so no process
compiles at its first dataset. Exits 1 (with the reason on stderr) if the op is
unavailable; `path` prints where the library is (or would be) without building.
"""

import argparse
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m keras_aug.data.native", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("build", "path"))
    args = parser.parse_args(argv)
    from keras_aug.data.native import build
    from keras_aug.data.native import loader

    if args.command == "path":
        print(build.library_path())
        return 0
    start = time.perf_counter()
    loaded = loader.load()
    if not loaded.ok:
        print(f"keras_aug native op unavailable: {loaded.reason}", file=sys.stderr)
        return 1
    print(f"{loaded.path} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
