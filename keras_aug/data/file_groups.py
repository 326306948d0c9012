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
`on_bad_file="raise"`) and left out of the group's images. An error in the resample is a
bug and raises.
"""

import numpy as np
import tensorflow as tf

from keras_aug.data import decoding

# Files per Python call: enough to spread the call's cost (about 0.1 ms) thin. Larger
# groups measured no faster and kept more memory: at 16, 10-30 MB more peak RSS over 8
# epochs than at 8 (the malloc arenas of the threads that run the calls).
GROUP_SIZE = 8


class FileGroupLoader:
    """`(indices [k], head matrices [k, 3, 3]) -> (images [k', h, w, C] uint8, ok [k])`.

    `images` holds, in order, the files that decoded (`ok` True); k' = sum(ok).

    Args:
        probes: the source's `Probe`s (route, path, orientation of each file).
        ratios: JPEG DCT down-scale per file (1, 2, 4 or 8).
        color_mode: "grayscale", "rgb" or "rgba".
        resampler: the fused `resample.Resampler` (resize + geometric run).
        report: `report(path, reason)`, called for each file that fails to decode.

    Negative indices (the pipeline's end-of-epoch sentinel) are skipped (ok False).
    """

    def __init__(self, probes, ratios, color_mode, resampler, report):
        self.probes = probes
        self.ratios = [int(r) for r in ratios]
        self.color_mode = color_mode
        self.channels = decoding.CHANNELS[color_mode]
        self.resampler = resampler
        self.report = report

    def __call__(self, indices, matrices):
        height, width = self.resampler.output_size
        # Every slot returned is written below; the rest is sliced off.
        images = np.empty((len(indices), height, width, self.channels), np.uint8)
        ok = np.zeros(len(indices), bool)
        count = 0
        for j, i in enumerate(indices.tolist()):
            if i < 0:
                continue
            probe = self.probes[i]
            try:
                # RGB comes padded to RGBA: the resample drops alpha as it writes.
                image = decoding.decode_array(probe, self.color_mode, self.ratios[i], pad_rgb=True)
            except Exception as e:
                self.report(probe.path, decoding.decode_failure(e))
                continue
            self.resampler(image, matrices[j], out=images[count])
            ok[j] = True
            count += 1
        return images[:count], ok

    def in_graph(self, indices, matrices):
        """The loader as a tf op (`numpy_function`) for a tf.data `map` over groups."""
        # Stateful: it reports bad files (warns, or raises with on_bad_file="raise").
        images, ok = tf.numpy_function(self, [indices, matrices], (tf.uint8, tf.bool), stateful=True)
        height, width = self.resampler.output_size
        images.set_shape([None, height, width, self.channels])
        ok.set_shape([None])
        return images, ok
