"""Route "opencv_groups" (the default with geometric augmentation on files).

Chosen for files when `augment` starts with geometric layers that the OpenCV resample
covers and the resize uses the run's interpolation: the resize and the run are ONE
resample per image (`keras_aug.data.resample`), and files are read, decoded (OpenCV's
libjpeg-turbo, bit-identical to the graph decoder) and resampled a group per Python call
(`keras_aug.data.file_groups`). The epoch is cut into groups chunk by chunk, so no stage
before the loader handles single files. The cheapest route in CPU per image
(`benchmarks/PIPELINE_RESULTS.md`), but it calls Python: it cannot run on a tf.data
service worker or where `tf.distribute` ships the dataset graph to another process
(use `distributable=True` there).

Each file is probed (`keras_aug.data.lazy_probes`) when the loader first reads it, not
when the dataset is built. A file that the probe rejects or that fails to decode is
reported by the loader itself and replaced in its slot by
the next file of the epoch that decodes (cyclically), so every group keeps its size.
"""

import tensorflow as tf

from keras_aug.data import epochs
from keras_aug.data import file_groups
from keras_aug.data.routes.base import plain

NAME = "opencv_groups"


def elements(plan):
    """The epoch's labelled elements, a group at a time, unbatched: n per epoch."""
    loader = file_groups.FileGroupLoader(
        plan.probes, plan.probes.ratios, plan.color_mode, plan.resampler, plan.bad_files.report,
        order=lambda key: epochs.epoch_order(plan.seed, tf.constant(key, tf.int64), plan.n, plan.shuffle).numpy(),
    )

    def chunk_groups(chunk, index, count, key):
        """One chunk -> its groups `(indices [g, G], positions [g, G], key [g], matrices [g, G, 3, 3])`.

        The matrices are the per-image routes' (same chunks, counts and seeds); the
        chunk's last group is padded with -1.
        """
        group = file_groups.GROUP_SIZE
        matrices = plan.sample_head(count, epochs.chunk_seed(key, chunk))
        pad = (-count) % group
        positions = tf.cast(chunk, tf.int64) * epochs.HEAD_CHUNK + tf.range(count + pad, dtype=tf.int64)
        index = tf.reshape(tf.pad(index[:count], [[0, pad]], constant_values=-1), [-1, group])
        matrices = tf.reshape(tf.pad(matrices, [[0, pad], [0, 0], [0, 0]]), [-1, group, 3, 3])
        return index, tf.reshape(positions, [-1, group]), tf.fill(tf.shape(index)[:1], key), matrices

    def load_group(index, positions, key, matrices):
        # uint8 until batched: unbatch and batch copy a quarter of the bytes (the cast
        # after batching; measured 4-5% less CPU per image).
        images, used = loader.in_graph(index, positions, key, matrices)
        return plan.labelled(images, used, tf.fill(tf.shape(used), key))

    ds = epochs.chunks(plan.seed, plan.n, plan.shuffle).map(plain(chunk_groups)).unbatch()
    ds = ds.map(plain(load_group), num_parallel_calls=plan.num_parallel_calls, deterministic=True)
    return ds.unbatch()
