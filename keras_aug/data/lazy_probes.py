"""The header probe, run when the pipeline first needs a file, not when the dataset is built.

Building a dataset opens no image file (its cost is the listing's), so nothing is known
about a file until the pipeline reads it. The routes that run Python ask `LazyProbes`:
the first request for a file runs `decoding.probe_file` on it (header, pixel limit,
tail check: the same rules as `scan_directory`) and keeps the `Probe`, so every later
epoch reuses it. A file the probe rejects is a bad file found while reading: the route
reports it with the probe's reason and gives its slot a stand-in from the same epoch.

The graph-only route cannot call Python; it reads the same facts from the bytes in the
graph (`keras_aug.data.graph_header`).
"""

import numpy as np
import tensorflow as tf

from keras_aug.data import decoding
from keras_aug.data import exit_guard

class LazyProbes:
    """`probes[i]`: the `decoding.Probe` of file i, probed on first use and kept.

    Thread-safe enough for tf.data's parallel maps: two threads may probe the same file
    once each, and both store the same result.

    Args:
        paths: the files, in the dataset's index order.
        max_pixels: pixel limit of `decoding.probe_file` (None: no limit).
        target_size: (height, width) the images are resized to (for the JPEG DCT scale).
        keep_aspect_ratio: the images are centre-cropped to the target aspect first.
    """

    def __init__(self, paths, max_pixels, target_size, keep_aspect_ratio=False):
        self.paths = list(paths)
        self.max_pixels = max_pixels
        self.target_size = target_size
        self.keep_aspect_ratio = keep_aspect_ratio
        self._probes = [None] * len(self.paths)
        self._ratios = [None] * len(self.paths)

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        probe = self._probes[index]
        if probe is None:
            probe = decoding.probe_file(self.paths[index], self.max_pixels)
            self._probes[index] = probe
        return probe

    def ratio(self, index):
        """The JPEG DCT down-scale (1, 2, 4 or 8) of file `index` (`decoding.dct_ratio`)."""
        ratio = self._ratios[index]
        if ratio is None:
            ratio = decoding.dct_ratio(self[index], self.target_size, self.keep_aspect_ratio)
            self._ratios[index] = ratio
        return ratio

    @property
    def ratios(self):
        """`ratios[i]` is `ratio(i)` (what `file_groups.FileGroupLoader` indexes)."""
        return _Ratios(self)

    def facts(self, indices):
        """int32 arrays (decoder branch, EXIF orientation) of `indices`.

        The branch is `decoding.decoder_branch` of the probe's route and DCT ratio;
        a file the probe rejected gets `decoding.BRANCH_BAD`, a negative index (the
        end-of-epoch sentinel) `decoding.BRANCH_NONE` (never opened). The orientation
        is 1 for PIL's files (its decode orients them). Later epochs look the probes up.
        """
        k = len(indices)
        branch, orientation = np.empty(k, np.int32), np.ones(k, np.int32)
        for j, i in enumerate(indices.tolist()):
            if i < 0:
                branch[j] = decoding.BRANCH_NONE
                continue
            probe = self[i]
            if not probe.ok:
                branch[j] = decoding.BRANCH_BAD
                continue
            branch[j] = decoding.decoder_branch(probe.route, int(self.ratio(i)).bit_length() - 1)
            if probe.route != decoding.ROUTE_PIL:  # PIL's decode applies it itself
                orientation[j] = probe.orientation
        return branch, orientation

    def facts_in_graph(self, indices):
        """`facts` as a tf op (`numpy_function`): two int32 [k] tensors."""
        out = exit_guard.numpy_function(self.facts, [indices], (tf.int32, tf.int32), stateful=False)
        for t in out:
            t.set_shape(indices.shape)
        return out


class _Ratios:
    def __init__(self, probes):
        self._probes = probes

    def __getitem__(self, index):
        return self._probes.ratio(index)
