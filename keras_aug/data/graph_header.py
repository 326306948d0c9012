"""What a file's first bytes say, read with TF ops in the pipeline (no Python, no probe).

The datasets do not open any file before the first batch: whatever decoding needs to know
about a file (which decoder, its size for the JPEG DCT scale, its EXIF orientation) is
read from the bytes the pipeline has already read, in the graph:

* the format from the signature: JPEG (FF D8 FF) or PNG (89 "PNG" 0D 0A 1A 0A); anything
  else needs PIL (`decoding.ROUTE_PIL`);
* a JPEG's stored size with `tf.image.extract_jpeg_shape` (reads the
  markers up to the frame header, not the pixels); a PNG's from its IHDR chunk;
* a JPEG's EXIF orientation (tag 0x0112 of IFD0 in the APP1 "Exif" segment, found in
  the first 64 KiB), as `PIL.Image.getexif` reads it. A missing or broken EXIF block
  means orientation 1, as in the Python probe. (A PNG's rare eXIf chunk is not read
  here: PNGs come out as stored on the graph-only route.)

Where the graph-only route resamples with the native op, the same facts come from one op
of its library instead (`keras_aug/data/native/header_op.cc`, tested against `facts`).
`keras_aug.data.decoding.make_graph_decoder` turns these into the decode branch, the DCT
scale and the orientation; the header probe in Python (`decoding.probe_file`) remains
the reference, and the scan command's tool.
"""

import tensorflow as tf

from keras_aug.data import decoding

_JPEG_SIGNATURE = b"\xff\xd8\xff"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# IFD0 entries looked at for the orientation tag, and the head searched for "Exif".
_IFD_ENTRIES = 32
_HEAD_BYTES = 65536
_EXIF_TAG = b"Exif\x00\x00"


def _c(value, dtype=tf.int32):
    """The traced graph's shared constant (`decoding.graph_constant`): fewer ops to trace."""
    return decoding.graph_constant(value, dtype)


def facts(data, target_size, keep_aspect_ratio=False, max_pixels=None):
    """(route, log2 DCT ratio, orientation) int32 scalars of a file's bytes, in the graph.

    Fails (an InvalidArgumentError naming the reason, which the pipeline's decode stage
    turns into a bad file and a stand-in) for files that are neither JPEG nor PNG (they
    need PIL) and for images over `max_pixels`.

    Args:
        data: scalar tf.string, the file's bytes.
        target_size: (height, width) the image is resized to (for the DCT scale).
        keep_aspect_ratio: the image is centre-cropped to the target aspect first.
        max_pixels: pixel limit (None: none), as in `decoding.probe_file`.
    """
    route = file_route(data)
    route += decoding.fail_unless(tf.not_equal(route, _c(decoding.ROUTE_PIL)), "not a JPEG or PNG file (needs PIL)")
    size = stored_size(data, route)
    if max_pixels is not None:
        height, width = tf.unstack(tf.cast(size, tf.int64))
        route += decoding.fail_unless(height * width <= _c(max_pixels, tf.int64),
                                      f"image over the pixel limit (max_pixels={max_pixels})")
    jpeg = tf.equal(route, _c(decoding.ROUTE_TF_JPEG))
    # Most files carry no "Exif\0\0" at all: four ops decide it, and the ~60 ops that
    # read the orientation run only for the others (0.15-0.2 CPU ms per image saved).
    head_parts = _split_at_exif(data)
    exif = tf.logical_and(jpeg, tf.size(head_parts) > _c(1))
    orientation = tf.cond(exif, lambda: jpeg_orientation(data, head_parts), lambda: _c(1))
    ratio_index = tf.where(jpeg, dct_ratio_index(size, orientation, target_size, keep_aspect_ratio), _c(0))
    return route, ratio_index, orientation


def dct_ratio_index(size, orientation, target_size, keep_aspect_ratio=False):
    """int32 log2 of `decoding.dct_ratio` (0-3) for a stored (height, width) and orientation.

    `floor(side / r) >= target` is `side >= target * r` for whole numbers, and with
    `keep_aspect_ratio` only the side the crop keeps whole decides (see `dct_ratio`).
    """
    transposed = orientation >= _c(5)
    stored_height, stored_width = tf.unstack(size)
    height = tf.where(transposed, stored_width, stored_height)
    width = tf.where(transposed, stored_height, stored_width)
    th, tw = target_size
    wider = width * _c(th) > height * _c(tw)

    def fits(r):
        if keep_aspect_ratio:
            return tf.where(wider, height >= _c(th * r), width >= _c(tw * r))
        return tf.logical_and(height >= _c(th * r), width >= _c(tw * r))

    return tf.where(fits(8), _c(3), tf.where(fits(4), _c(2), tf.where(fits(2), _c(1), _c(0))))


def file_route(data):
    """int32 `decoding.ROUTE_*` of the bytes `data` (scalar tf.string): by signature."""
    jpeg = tf.equal(_substr(data, 0, len(_JPEG_SIGNATURE)), _c(_JPEG_SIGNATURE, tf.string))
    png = tf.equal(_substr(data, 0, len(_PNG_SIGNATURE)), _c(_PNG_SIGNATURE, tf.string))
    return tf.where(jpeg, _c(decoding.ROUTE_TF_JPEG),
                    tf.where(png, _c(decoding.ROUTE_TF_PNG), _c(decoding.ROUTE_PIL)))


def stored_size(data, route):
    """int32 [2] (height, width) as stored (before orientation); [0, 0] for PIL files."""

    def jpeg():
        return tf.slice(tf.image.extract_jpeg_shape(data), _c([0]), _c([2]))

    def png():
        width_height = tf.reshape(_bytes(data, 16, 8), _c([2, 4]))
        return tf.reverse(_number(width_height, False), _c([0]))

    return tf.switch_case(
        tf.clip_by_value(route, _c(0), _c(2)), [jpeg, png, lambda: tf.zeros([2], tf.int32)],
    )


def _split_at_exif(data):
    """The file's first `_HEAD_BYTES` split at its first "Exif\\0\\0": 1 part when absent, else 2."""
    # The raw op on a [1] vector gives the parts as they are: `tf.strings.split` of a
    # scalar wraps the same op in a ragged tensor (about 40 more ops to trace and run).
    head = tf.reshape(_substr(data, 0, _HEAD_BYTES), _c([1]))
    return tf.raw_ops.StringSplitV2(input=head, sep=_c(_EXIF_TAG, tf.string), maxsplit=1).values


def jpeg_orientation(data, head_parts=None):
    """int32 EXIF orientation 1-8 of a JPEG's bytes (1 when absent or unreadable).

    Few ops on purpose (each op in a tf.data function costs microseconds, per image):
    the TIFF block starts after the first "Exif\\0\\0" of the head that follows an APP1
    marker (FF E1 and a 2-byte length); its IFD0 entries are read as one [k, 12] table.
    `head_parts`: `_split_at_exif(data)`, when the caller has it already.
    """
    before = _split_at_exif(data) if head_parts is None else head_parts
    tag = len(_EXIF_TAG)
    tiff = tf.strings.length(tf.gather(before, _c(0))) + _c(tag)
    marker = _substr(data, tf.maximum(tiff - _c(tag + 4), _c(0)), 2)
    found = tf.logical_and(tf.size(before) > _c(1), tf.equal(marker, _c(b"\xff\xe1", tf.string)))
    found = tf.logical_and(found, tiff >= _c(tag + 4))
    header = _bytes(data, tiff, 8)
    little = tf.equal(tf.gather(header, _c(0)), _c(ord("I")))
    ifd = tiff + _number(_range(header, 4, 4), little)
    table = _bytes(data, ifd, 2 + 12 * _IFD_ENTRIES)
    count = _number(_range(table, 0, 2), little)
    entries = tf.reshape(_range(table, 2, 12 * _IFD_ENTRIES), _c([_IFD_ENTRIES, 12]))
    # SHORT values sit in the first two bytes of the entry's 4-byte value field.
    tags = _number(tf.slice(entries, _c([0, 0]), _c([_IFD_ENTRIES, 2])), little)
    values = _number(tf.slice(entries, _c([0, 8]), _c([_IFD_ENTRIES, 2])), little)
    match = tf.logical_and(tf.equal(tags, _c(0x0112)), tf.range(_IFD_ENTRIES) < count)
    value = tf.reduce_max(tf.where(match, values, _c(0)))
    valid = tf.logical_and(found, tf.logical_and(value >= _c(1), value <= _c(8)))
    return tf.where(valid, value, _c(1))


def _substr(data, start, count):
    """`tf.strings.substr` with shared constants for Python `start` / `count`."""
    start = _c(start) if isinstance(start, int) else start
    return tf.strings.substr(data, start, _c(count))


def _range(vector, start, count):
    """`vector[start:start + count]` of a 1-D tensor (a `Slice`: fewer ops than `[a:b]`)."""
    return tf.slice(vector, _c([start]), _c([count]))


def _bytes(data, start, count):
    """int32 [count] of the bytes of `data` from `start` (zeros past its end)."""
    start = _c(start) if isinstance(start, int) else start
    raw = tf.io.decode_raw(_substr(data, tf.clip_by_value(start, _c(0), tf.strings.length(data)), count), tf.uint8)
    pad = tf.reshape(tf.stack([_c(0), _c(count) - tf.size(raw)]), _c([1, 2]))
    return tf.reshape(tf.pad(tf.cast(raw, tf.int32), pad), _c([count]))


def _number(digits, little):
    """Unsigned integers from the last axis of `digits` (int32 bytes), little- or big-endian."""
    count = digits.shape[-1]
    weights = tf.where(little, _c([256**k for k in range(count)]), _c([256 ** (count - 1 - k) for k in range(count)]))
    return tf.reduce_sum(digits * weights, axis=_c(-1))
