"""Decode and resample a group of files in one Python call (the fused data path).

When the data path resamples each image with OpenCV (`keras_aug.data.resample`), the
decode moves next to it: a group of files is read, decoded (`decoding.decode_array`)
and warped at the output size in ONE `tf.numpy_function` call. Against TF's
`decode_jpeg` followed by one Python call per image this saves, per image, a Python
call and a tf.data element in flight, and OpenCV's JPEG decode is faster than TF's
(bit-identical pixels). Groups are then labelled as a whole, so no per-element stage
follows them before batching. On `benchmarks/pipeline.py`'s 2,000 JPEGs this cut the
augmented loader's CPU time per image by about 20% (`benchmarks/PIPELINE_RESULTS.md`
gives each step).

A file that fails to read or decode does not fail the call: it is reported right there
(`report(path, reason)`: the dataset's `BadFileLog`, which warns, or raises with
`on_bad_file="raise"`) and its slot gets a stand-in: the next file in the epoch's order
that decodes (cyclically), warped with the slot's own matrix. So every epoch keeps its
length. An error in the resample is a bug and raises.
"""

import numpy as np
import tensorflow as tf

from keras_aug.data import decoding
from keras_aug.data import exit_guard

# Files per Python call: enough to spread the call's cost (about 0.1 ms) thin. Larger
# groups measured no faster and kept more memory: at 16, 10-30 MB more peak RSS over 8
# epochs than at 8 (the malloc arenas of the threads that run the calls).
GROUP_SIZE = 8


class FileGroupLoader:
    """`(indices [k], positions [k], key, head matrices [k, 3, 3]) -> (images [k', h, w, C] uint8, used [k'])`.

    One image per real slot (index >= 0), in order: the slot's file, or its stand-in
    when the file fails to decode; `used` holds the index of the file each image came
    from (the labels follow it). Negative indices (the end-of-epoch sentinel and the
    padding of a chunk's last group) give no image.

    Args:
        probes: `probes[i]` is file i's `decoding.Probe` (route, path, orientation; a
            `lazy_probes.LazyProbes` probes a file when first asked). A probe that is
            not ok is a file that fails, with the probe's reason.
        ratios: `ratios[i]` is file i's JPEG DCT down-scale (1, 2, 4 or 8).
        color_mode: "grayscale", "rgb" or "rgba".
        resampler: the fused `resample.Resampler` (resize + geometric run).
        report: `report(path, reason)`, called for each file that fails to decode.
        order: `key (int) -> int64 [n]` the epoch's order (for stand-ins); None: the
            identity order.
    """

    def __init__(self, probes, ratios, color_mode, resampler, report, order=None):
        self.probes = probes
        self.ratios = ratios
        self.color_mode = color_mode
        self.channels = decoding.CHANNELS[color_mode]
        self.resampler = resampler
        self.report = report
        self.order = order if order is not None else (lambda key: np.arange(len(probes)))
        self._failed = {}  # index -> reason, for files known not to decode
        self._orders = {}  # the last epoch's order (stand-ins are rare)

    def _decode(self, index):
        """The decoded file, or None after reporting it (raises with on_bad_file="raise").

        A file known to fail is reported again without being read (the log warns once
        per path; "raise" raises every time, so no epoch skips a file silently).
        """
        probe = self.probes[index]
        if index not in self._failed and not probe.ok:
            self._failed[index] = probe.reason
        if index not in self._failed:
            try:
                # RGB comes padded to RGBA: the resample drops alpha as it writes.
                return decoding.decode_array(probe, self.color_mode, int(self.ratios[index]), pad_rgb=True)
            except Exception as e:
                self._failed[index] = decoding.decode_failure(e)
        self.report(probe.path, self._failed[index])
        return None

    def _stand_in(self, position, key):
        """(index, image) of the next file after `position` in the epoch that decodes."""
        if key not in self._orders:
            self._orders = {key: np.asarray(self.order(key))}
        order = self._orders[key]
        n = len(order)
        for step in range(1, n):
            index = int(order[(position + step) % n])
            image = None if index in self._failed else self._decode(index)
            if image is not None:
                return index, image
        raise ValueError("keras_aug: every file of the epoch failed to decode; there is no stand-in for them")

    def __call__(self, indices, positions, key, matrices):
        height, width = self.resampler.output_size
        real = indices >= 0
        # Every slot returned is written below.
        images = np.empty((int(real.sum()), height, width, self.channels), np.uint8)
        used = np.empty(len(images), np.int64)
        count = 0
        for j, i in enumerate(indices.tolist()):
            if i < 0:
                continue
            image = self._decode(i)
            if image is None:
                i, image = self._stand_in(int(positions[j]), int(key))
            self.resampler(image, matrices[j], out=images[count])
            used[count] = i
            count += 1
        return images, used

    def in_graph(self, indices, positions, key, matrices):
        """The loader as a tf op (`numpy_function`) for a tf.data `map` over groups."""
        # Stateful: it reports bad files (warns, or raises with on_bad_file="raise").
        images, used = exit_guard.numpy_function(
            self, [indices, positions, key, matrices], (tf.uint8, tf.int64), stateful=True
        )
        height, width = self.resampler.output_size
        images.set_shape([None, height, width, self.channels])
        used.set_shape([None])
        return images, used
