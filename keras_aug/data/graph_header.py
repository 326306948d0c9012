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
    route += decoding.fail_unless(route != decoding.ROUTE_PIL, "not a JPEG or PNG file (needs PIL)")
    size = stored_size(data, route)
    if max_pixels is not None:
        pixels = tf.cast(size[0], tf.int64) * tf.cast(size[1], tf.int64)
        route += decoding.fail_unless(pixels <= max_pixels, f"image over the pixel limit (max_pixels={max_pixels})")
    jpeg = tf.equal(route, decoding.ROUTE_TF_JPEG)
    # Most files carry no "Exif\0\0" at all: four ops decide it, and the ~60 ops that
    # read the orientation run only for the others (0.15-0.2 CPU ms per image saved).
    head_parts = _split_at_exif(data)
    exif = tf.logical_and(jpeg, tf.size(head_parts) > 1)
    orientation = tf.cond(exif, lambda: jpeg_orientation(data, head_parts), lambda: tf.constant(1, tf.int32))
    ratio_index = tf.where(jpeg, dct_ratio_index(size, orientation, target_size, keep_aspect_ratio), 0)
    return route, ratio_index, orientation


def dct_ratio_index(size, orientation, target_size, keep_aspect_ratio=False):
    """int32 log2 of `decoding.dct_ratio` (0-3) for a stored (height, width) and orientation.

    `floor(side / r) >= target` is `side >= target * r` for whole numbers, and with
    `keep_aspect_ratio` only the side the crop keeps whole decides (see `dct_ratio`).
    """
    transposed = orientation >= 5
    height = tf.where(transposed, size[1], size[0])
    width = tf.where(transposed, size[0], size[1])
    th, tw = target_size
    wider = width * th > height * tw

    def fits(r):
        if keep_aspect_ratio:
            return tf.where(wider, height >= th * r, width >= tw * r)
        return tf.logical_and(height >= th * r, width >= tw * r)

    return tf.where(fits(8), 3, tf.where(fits(4), 2, tf.where(fits(2), 1, 0)))


def file_route(data):
    """int32 `decoding.ROUTE_*` of the bytes `data` (scalar tf.string): by signature."""
    jpeg = tf.equal(tf.strings.substr(data, 0, len(_JPEG_SIGNATURE)), _JPEG_SIGNATURE)
    png = tf.equal(tf.strings.substr(data, 0, len(_PNG_SIGNATURE)), _PNG_SIGNATURE)
    return tf.where(jpeg, decoding.ROUTE_TF_JPEG, tf.where(png, decoding.ROUTE_TF_PNG, decoding.ROUTE_PIL))


def stored_size(data, route):
    """int32 [2] (height, width) as stored (before orientation); [0, 0] for PIL files."""

    def png():
        width_height = tf.reshape(_bytes(data, 16, 8), [2, 4])
        return tf.reverse(_number(width_height, False), [0])

    return tf.switch_case(
        tf.clip_by_value(route, 0, 2),
        [lambda: tf.image.extract_jpeg_shape(data)[:2], png, lambda: tf.zeros([2], tf.int32)],
    )


def _split_at_exif(data):
    """The file's first `_HEAD_BYTES` split at its first "Exif\\0\\0": 1 part when absent, else 2."""
    return tf.strings.split(tf.strings.substr(data, 0, _HEAD_BYTES), _EXIF_TAG, maxsplit=1)


def jpeg_orientation(data, head_parts=None):
    """int32 EXIF orientation 1-8 of a JPEG's bytes (1 when absent or unreadable).

    Few ops on purpose (each op in a tf.data function costs microseconds, per image):
    the TIFF block starts after the first "Exif\\0\\0" of the head that follows an APP1
    marker (FF E1 and a 2-byte length); its IFD0 entries are read as one [k, 12] table.
    `head_parts`: `_split_at_exif(data)`, when the caller has it already.
    """
    before = _split_at_exif(data) if head_parts is None else head_parts
    tiff = tf.strings.length(before[0]) + len(_EXIF_TAG)
    marker = tf.strings.substr(data, tf.maximum(tiff - len(_EXIF_TAG) - 4, 0), 2)
    found = tf.logical_and(tf.size(before) > 1, tf.equal(marker, b"\xff\xe1"))
    found = tf.logical_and(found, tiff >= len(_EXIF_TAG) + 4)
    header = _bytes(data, tiff, 8)
    little = tf.equal(header[0], ord("I"))
    ifd = tiff + _number(header[4:8], little)
    table = _bytes(data, ifd, 2 + 12 * _IFD_ENTRIES)
    count = _number(table[:2], little)
    entries = tf.reshape(table[2:], [_IFD_ENTRIES, 12])
    # SHORT values sit in the first two bytes of the entry's 4-byte value field.
    tags = _number(entries[:, :2], little)
    values = _number(entries[:, 8:10], little)
    match = tf.logical_and(tf.equal(tags, 0x0112), tf.range(_IFD_ENTRIES) < count)
    value = tf.reduce_max(tf.where(match, values, 0))
    valid = tf.logical_and(found, tf.logical_and(value >= 1, value <= 8))
    return tf.where(valid, value, 1)


def _bytes(data, start, count):
    """int32 [count] of the bytes of `data` from `start` (zeros past its end)."""
    raw = tf.io.decode_raw(tf.strings.substr(data, tf.clip_by_value(start, 0, tf.strings.length(data)), count), tf.uint8)
    return tf.reshape(tf.pad(tf.cast(raw, tf.int32), [[0, count - tf.shape(raw)[0]]]), [count])


def _number(digits, little):
    """Unsigned integers from the last axis of `digits` (int32 bytes), little- or big-endian."""
    count = digits.shape[-1]
    weights = tf.where(little, [256**k for k in range(count)], [256 ** (count - 1 - k) for k in range(count)])
    return tf.reduce_sum(digits * weights, axis=-1)
