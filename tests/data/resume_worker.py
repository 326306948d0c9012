"""Subprocess side of the checkpoint test: restores iterators in a fresh process.

Usage: python resume_worker.py ROOT WORKDIR ROUTE... For each route, builds
the route's dataset; for each checkpoint `WORKDIR/<route>_<tag>/` restores a new iterator
from it and saves the batches it yields to `WORKDIR/<route>_<tag>.npz`.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import route_datasets  # noqa: E402


def main(root, workdir, routes):
    for route in routes:
        ds = route_datasets.build(root, route)
        for tag in ("epoch1", "epoch2"):
            iterator = iter(ds)
            tf.train.Checkpoint(iterator=iterator).restore(os.path.join(workdir, f"{route}_{tag}", "ckpt-1"))
            batches = [(x.numpy(), y.numpy()) for x, y in iterator]
            np.savez(
                os.path.join(workdir, f"{route}_{tag}.npz"),
                x=np.concatenate([x for x, _ in batches]),
                y=np.concatenate([y for _, y in batches]),
            )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
