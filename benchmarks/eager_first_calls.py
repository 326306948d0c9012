"""What the first eager calls of a new input shape cost, ours against Keras's same layer.

keras_aug runs the first `keras_aug.core.eager.COMPILE_AFTER_CALLS` eager calls
of a signature op by op and compiles on the next one; this prints the process
CPU seconds of each of the first calls of a fresh layer, then the steady CPU
ms per call. Keras's layers run op by op on every call.

    python benchmarks/eager_first_calls.py --backend jax --batch 1 --layers 'RandomFlip()' 'RandomRotation(0.04)'
"""

import argparse
import os
import sys
import time

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--backend", choices=("tensorflow", "jax"), default="tensorflow")
parser.add_argument("--batch", type=int, default=1)
parser.add_argument("--size", type=int, default=224)
parser.add_argument("--calls", type=int, default=4, help="first calls timed one by one")
parser.add_argument("--steady-calls", type=int, default=20)
parser.add_argument("--layers", nargs="+", default=["RandomFlip()", "RandomRotation(0.04)", "RandomBrightness(0.2)"],
                    help="constructor calls, evaluated on keras_aug and on keras.layers")
args = parser.parse_args()
os.environ["KERAS_BACKEND"] = args.backend
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_aug  # noqa: E402


def first_and_steady(layer, images):
    """CPU seconds of each of the first calls, and steady CPU ms per call."""
    firsts = []
    for _ in range(args.calls):
        start = time.process_time()
        np.asarray(layer(images, training=True))
        firsts.append(time.process_time() - start)
    start = time.process_time()
    for _ in range(args.steady_calls):
        np.asarray(layer(images, training=True))
    return firsts, 1000 * (time.process_time() - start) / args.steady_calls


def main():
    rng = np.random.default_rng(0)
    uint8 = keras.ops.convert_to_tensor(rng.integers(0, 256, (args.batch, args.size, args.size, 3), dtype=np.uint8))
    float32 = keras.ops.cast(uint8, "float32")
    print(f"{args.backend}, batch {args.batch} x {args.size} x {args.size} x 3, load average {os.getloadavg()}")
    for spec in args.layers:
        for label, module, images in (("keras_aug uint8", keras_aug, uint8), ("keras float32", keras.layers, float32)):
            firsts, steady = first_and_steady(eval(f"module.{spec}", {"module": module}), images)  # noqa: S307
            calls = " ".join(f"{s:.2f}" for s in firsts)
            print(f"{spec:28s} {label:16s} first calls, CPU s: {calls}   then {steady:.1f} CPU ms/call")


if __name__ == "__main__":
    main()
