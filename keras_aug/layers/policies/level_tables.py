"""The colour slots of a policy on uint8 images, as one lookup table per sample and channel.

On a uint8 image every colour op of the policies except color and sharpness
is a function of the pixel value, given per-sample statistics of the image
(contrast: the mean gray level; autocontrast: each channel's min and max;
equalize: each channel's histogram). So the image is kept as its uint8
LEVELS (the input) plus TABLES, [B, C, 256] float32: the current value of
every input level. A pointwise op acts on the 256 entries of a table, not
on the pixels: consecutive slots compose (a table of a table) and the image
is read through its table once, with one gather, at the end. The statistics
are those of the image as it is at that slot: equalize's histogram is the
histogram of the levels pushed through the table; contrast's mean and
autocontrast's min and max are read from the image through the table. The
values are the ones the per-pixel kernels of
`keras_aug.layers.policies.ops.colour_slot` compute (float rounding of the
mean aside), with no rounding between these ops.

Color (a blend with each pixel's gray) and sharpness (with its neighbours)
are not functions of one value: a sample that draws one is read through its
table, blended, and rounded back to uint8 levels with an identity table (an
image held as uint8 between ops, as PIL and torchvision do). The layer's
output is rounded anyway, so this changes a result only where a blend is
followed by another colour op (by the rounding of the blend, < 0.5 level,
carried through the ops after it).

Pay for what samples draw: histograms (0.6-1.2 CPU ms per 224 x 224 x 3
image on XLA:CPU, a scatter), the range statistics and the blends are
computed only for the rows of the samples that drew them, one row a turn
of a loop (`rows.update_rows` with `rows.chunk_size`), and written back in
place: the tables of those rows, or for a blend their levels. Tiers of gathered rows in `cond`s (`rows.on_rows`) cost more here:
their fixed row counts were mostly too large (the count of a slot varies
with the chain depth) and each branch wrote the whole batch of levels.

Measured (AugMix uint8, batch 32 x 224 x 224 x 3: 96 chain rows, XLA:CPU,
profiled and ablated on a shared machine): per image of the batch, the
contrast/autocontrast slots cost about 0.4 CPU ms, equalize 0.65 (its
histograms, 1.2 ms per row on that machine), the blends 0.8, the final read
through the tables 0.4-0.7, the pointwise ops next to nothing; with tiers of
gathered rows, 0.5 / 1.0 / 2.4 for the first three.
"""

from keras_aug.core.backend import ops
from keras_aug.layers.photometric import histogram
from keras_aug.layers.photometric.base import materialized
from keras_aug.layers.photometric.color import GRAY_WEIGHTS
from keras_aug.layers.policies import ops as op_table
from keras_aug.layers.policies import rows as row_lib

LEVELS = 256
BLEND_OPS = ("color", "sharpness")


# ---------------------------------------------------------------- tables
def identity_tables(batch_size, channels):
    """[B, C, 256] float32 tables mapping each level to itself."""
    return ops.broadcast_to(ops.arange(LEVELS, dtype="float32")[None, None, :], [batch_size, channels, LEVELS])


def read(tables, levels, identity=False):
    """Float32 [B, H, W, C] image: each pixel's table entry (`levels` uint8 [B, H, W, C]).

    `identity` (static): the tables are known to be identity tables, so the
    levels are the values (no lookup).
    """
    if identity:
        return ops.cast(levels, "float32")
    batch_size, _, _, channels = ops.shape(levels)
    groups = histogram.channel_groups(batch_size, channels)
    # The tables stored first (B x C x 256 values): XLA would otherwise fuse whatever computed them (a select,
    # a gather of rows) into the lookup and evaluate it again for every pixel.
    return histogram.lookup(materialized(tables), ops.cast(levels, "int32"), groups, LEVELS)


def level_histograms(levels):
    """[B, C, 256] int32 per-sample, per-channel histograms of uint8 levels."""
    batch_size, _, _, channels = ops.shape(levels)
    groups = histogram.channel_groups(batch_size, channels)
    counts = histogram.histograms(ops.cast(levels, "int32"), groups, batch_size * channels, LEVELS)
    return ops.reshape(counts, [batch_size, channels, LEVELS])


def _chosen(op, name, rank):
    return ops.reshape(op == op_table.OP_INDEX[name], [-1] + [1] * (rank - 1))


def _contrast(tables, channel_means, magnitude):
    """Contrast: blend with the mean gray level of the image (`channel_means` [K, C, 1])."""
    if tables.shape[1] == 3:
        gray_weights = ops.convert_to_tensor(GRAY_WEIGHTS, "float32")[None, :, None]
        mean = ops.sum(channel_means * gray_weights, axis=1, keepdims=True)
    else:  # one channel: it is the gray image
        mean = channel_means
    return mean + (1.0 + magnitude) * (tables - mean)


def _autocontrast(tables, low, high):
    """Autocontrast: each channel stretched from its [low, high] ([K, C, 1]) onto 0-255; constant ones unchanged."""
    spread = high > low
    scale = 255.0 / ops.where(spread, high - low, ops.ones_like(high))
    return ops.where(spread, 0.0 + (tables - low) * scale, tables)


def _equalized(tables, counts):
    """Equalize: PIL's table of each channel's histogram of the current values, as `histogram.equalize`."""
    rows, channels = tables.shape[0], tables.shape[1]
    bins = histogram.to_levels(tables, op_table.FULL_SCALE, LEVELS)
    groups = ops.reshape(ops.arange(rows * channels, dtype="int32"), [rows, channels, 1])
    ids = ops.reshape(groups * LEVELS + bins, [-1])
    current = ops.segment_sum(ops.reshape(counts, [-1]), ids, num_segments=rows * channels * LEVELS)
    equalization, flat = histogram.equalization_tables(ops.reshape(current, [rows * channels, LEVELS]))
    mapped = ops.cast(histogram.lookup(equalization, bins, groups, LEVELS), "float32")
    mapped = histogram.from_levels(mapped, op_table.FULL_SCALE, LEVELS)
    return ops.where(ops.reshape(flat, [rows, channels, 1]), tables, mapped)


def _pointwise_tables(tables, op, magnitude, names):
    """Tables after each sample's brightness, posterize, solarize or invert (others unchanged)."""
    out = tables
    if "brightness" in names:
        out = ops.where(_chosen(op, "brightness", 3), 0.0 + (1.0 + magnitude) * (tables - 0.0), out)
    if "invert" in names:
        out = ops.where(_chosen(op, "invert", 3), 255.0 - tables, out)
    if "solarize" in names:
        out = ops.where(_chosen(op, "solarize", 3) & (tables >= magnitude), 255.0 - tables, out)
    if "posterize" in names:
        bits = ops.cast(ops.clip(magnitude, 1.0, 8.0), "int32")
        step = ops.cast(ops.left_shift(ops.ones_like(bits), 8 - bits), "float32")
        out = ops.where(_chosen(op, "posterize", 3), ops.floor(ops.floor(tables) / step) * step, out)
    return out


def _range_slot(levels, tables, op, magnitude, names, chunk, identity):
    """Applies the slot's contrast and autocontrast (reading only the rows that drew one).

    `identity` (static): the rows that drew one have identity tables (see `read`).
    """
    def step(own_tables, rows):
        own_op = ops.take(op, rows, axis=0)
        v = read(own_tables, ops.take(levels, rows, axis=0), identity)
        out = own_tables
        if "contrast" in names:
            means = ops.expand_dims(ops.mean(v, axis=(1, 2)), -1)
            m = ops.reshape(ops.take(magnitude, rows, axis=0), [-1, 1, 1])
            out = ops.where(_chosen(own_op, "contrast", 3), _contrast(own_tables, means, m), out)
        if "autocontrast" in names:
            low = ops.expand_dims(ops.min(v, axis=(1, 2)), -1)
            high = ops.expand_dims(ops.max(v, axis=(1, 2)), -1)
            out = ops.where(_chosen(own_op, "autocontrast", 3), _autocontrast(own_tables, low, high), out)
        return out

    ranges = [n for n in ("contrast", "autocontrast") if n in names]
    return row_lib.update_rows(tables, op_table.drew(op, ranges), chunk, step)


def _equalize_slot(levels, tables, op, chunk):
    """Applies the slot's equalize (histograms only of the rows that drew it)."""
    def step(own_tables, rows):
        return _equalized(own_tables, level_histograms(ops.take(levels, rows, axis=0)))

    return row_lib.update_rows(tables, op == op_table.OP_INDEX["equalize"], chunk, step)


def _blend_slot(levels, tables, op, magnitude, names, chunks, identity):
    """Applies the slot's color and sharpness blends to the rows that drew one.

    The blended values are rounded to levels, written in place of the
    levels of those rows, and their tables become identity tables: the image
    of those samples is uint8 again, as after every op in PIL. One loop per
    op (`chunks`: name -> chunk size), so that a row computes only its own
    degenerate image (the gray one, or the smoothed one). `identity`
    (static): the rows that drew one have identity tables (see `read`).
    """
    blends = [n for n in BLEND_OPS if n in names]
    for name in blends:
        levels = row_lib.update_rows(levels, op == op_table.OP_INDEX[name], chunks[name],
                                     _blend_step(name, tables, magnitude, identity))
    drew_blend = op_table.drew(op, blends)
    tables = ops.where(ops.reshape(drew_blend, [-1, 1, 1]), identity_tables(*ops.shape(tables)[:2]), tables)
    return levels, tables


def _blend_step(name, tables, magnitude, identity):
    """The `rows.update_rows` step of blend `name`: rows' levels -> their blended levels, rounded (uint8)."""
    def step(own_levels, rows):
        v = read(ops.take(tables, rows, axis=0), own_levels, identity)
        if name == "sharpness":
            # Read once: the smoothing would repeat the lookup for each of 9 neighbours.
            degenerate = op_table.smooth(materialized(v))
        else:
            degenerate = op_table.gray(v)
        factor = 1.0 + ops.reshape(ops.take(magnitude, rows, axis=0), [-1, 1, 1, 1])
        blended = ops.round(ops.clip(degenerate + factor * (v - degenerate), 0.0, 255.0))
        # Stored before it is written row by row: each row's write would otherwise be fused with the whole blend.
        return materialized(ops.cast(blended, "uint8"))

    return step


def colour_values(levels, op, magnitude, names, frequency):
    """Runs the colour op of every slot per sample on uint8 `levels`; float32 0-255 values.

    Args:
      levels: uint8 [B, H, W, C] images, C in (1, 3) (alpha removed).
      op: [B, S] int32 indices into `op_table.OPS`; non-colour ops do nothing here.
      magnitude: [B, S] float32, in each op's units.
      names: the op names the policy can draw (static): only those are computed.
      frequency: name -> the expected fraction of slots that hold it (whether
        to loop over the rows that drew it, `rows.chunk_size`; any value gives
        the same result).

    Returns:
      float32 [B, H, W, C] in [0, 255]: what `op_table.colour_slot`, slot after
      slot, gives on the float levels (see the module docstring for rounding).
    """
    batch_size, _, _, channels = ops.shape(levels)
    static_batch = levels.shape[0]
    tables = identity_tables(batch_size, channels)
    blends = [n for n in BLEND_OPS if n in names]
    ranges = [n for n in ("contrast", "autocontrast") if n in names]
    # In the first slot, the rows that drew an op still have identity tables: read as they are (identity=...).
    for s in range(op.shape[1]):
        o, m = op[:, s], ops.cast(magnitude[:, s], "float32")
        if ranges:
            chunk = row_lib.chunk_size(static_batch, sum(frequency(n) for n in ranges))
            tables = _range_slot(levels, tables, o, m, names, chunk, identity=s == 0)
        if "equalize" in names:
            tables = _equalize_slot(levels, tables, o, row_lib.chunk_size(static_batch, frequency("equalize")))
        tables = materialized(ops.clip(_pointwise_tables(tables, o, ops.reshape(m, [-1, 1, 1]), names), 0.0, 255.0))
        if blends:
            chunks = {n: row_lib.chunk_size(static_batch, frequency(n)) for n in blends}
            levels, tables = _blend_slot(levels, tables, o, m, names, chunks, identity=s == 0)
    return read(tables, levels)
