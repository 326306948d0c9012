"""Gathered rows: compute a costly step only for the samples of a batch that need it.

A policy's op is drawn per sample, so most samples skip any one op. A step
that costs per sample (a histogram, a blend, a warp) is computed on the
rows of the samples that drew it, gathered into a fixed number of rows
(XLA needs static shapes) sized to the expected count, and scattered back;
a call where more samples drew it takes the whole-batch path (the same
result). `capacity` sizes the gathered rows; `on_rows` runs a step that
returns the whole batch's values on them (a `cond` per tier);
`update_rows` a per-sample step on chunks of `chunk_size` rows in a loop,
written back in place; `warp_moved` the warp of the samples that moved, read
into what consumes it, and `warp_rows_in_place` the same warp written back
over the rows that moved.
"""

import math

from keras_aug.core import warp as warp_lib
from keras_aug.core.backend import ops
from keras_aug.core.fusion import materialized

# Compacting rows costs gathers, scatters and conditionals (and compile time:
# each tier is compiled): not worth it above this fraction of the batch, nor
# for batches this small.
MAX_COMPACT_FRACTION = 0.6
# `warp_moved` neither gathers nor scatters whole images, and a warp costs far
# more per row than its select: compacting pays up to a larger part of the batch.
MAX_WARP_FRACTION = 0.9
MIN_COMPACT_BATCH = 16


def capacity(batch_size, probability, max_fraction=MAX_COMPACT_FRACTION):
    """Row counts to try gathering for samples that each need work with `probability`; None: whole batch.

    Two tiers: the expected count plus one standard deviation (and one),
    enough in about 5 calls of 6, then plus three (about 999 calls in
    1000); a batch beyond both takes the whole-batch path. Tiers above
    `max_fraction` of the batch are dropped (a step whose rows are read in
    place and not scattered back, such as AugMix's warp, pays off up to a
    higher fraction); batches under `MIN_COMPACT_BATCH` always take the
    whole-batch path.
    """
    if not isinstance(batch_size, int) or batch_size < MIN_COMPACT_BATCH or probability <= 0:
        return None
    mean = batch_size * probability
    spread = math.sqrt(mean * (1.0 - min(probability, 1.0)))
    tiers = sorted({math.ceil(mean + k * spread + 1.0) for k in (1.0, 3.0)})
    tiers = tuple(t for t in tiers if t <= max_fraction * batch_size)
    return tiers or None


def chunk_size(batch_size, probability, max_fraction=MAX_COMPACT_FRACTION):
    """Rows per pass of `update_rows` for samples that each need work with `probability`; None: whole batch.

    One: a pass then takes its row with a dynamic slice and computes no
    padding row, and XLA:CPU gives a one-row pass little overhead. Chunks of
    several rows cost more per row than whole batches (measured on XLA:CPU,
    224 x 224 x 3 float32, 17 of 32 rows warped: 0.5 CPU ms per image of the
    batch in chunks of 1, 1.2 in chunks of 3 to 9, 2.8 in one chunk of 17,
    against 1.0 for warping all 32 rows): a gather of several rows runs value
    by value, and so did the passes of a step on them. Batches under
    `MIN_COMPACT_BATCH`, and work for more than `max_fraction` of the
    samples, take the whole-batch path.
    """
    if not isinstance(batch_size, int) or batch_size < MIN_COMPACT_BATCH or not 0 < probability <= max_fraction:
        return None
    return 1


def on_rows(flags, rows_capacity, compute):
    """`compute(rows)` on the flagged rows of the batch only, where they fit in `rows_capacity`.

    `flags`: [B] bool; `rows_capacity`: ascending row counts to try (or one
    int, or None). `compute(rows)` gets int32 row indices (distinct; the
    flagged ones first, then unflagged ones as padding, which `compute` must
    leave unchanged) and returns whole-batch results: rows for the smallest
    count the flagged rows fit in, every row when they fit in none.
    """
    batch_size = flags.shape[0]
    if rows_capacity is None or not isinstance(batch_size, int):
        return compute(ops.arange(ops.shape(flags)[0], dtype="int32"))
    tiers = (rows_capacity,) if isinstance(rows_capacity, int) else tuple(rows_capacity)
    every, order, count = _flagged_first(flags, batch_size)

    def tier(i):
        if i == len(tiers):
            return compute(every)
        return ops.cond(count <= tiers[i], lambda: compute(order[:tiers[i]]), lambda: tier(i + 1))

    return tier(0)


def _flagged_first(flags, batch_size):
    """(every row, the rows with the flagged ones first in batch order, the flagged count): [B], [B] int32, int32."""
    every = ops.arange(batch_size, dtype="int32")
    order = ops.cast(ops.argsort(ops.where(flags, 0, batch_size) + every), "int32")
    return every, order, ops.sum(ops.cast(flags, "int32"))


def positions(rows, batch_size):
    """[B] int32: the position of each row in `rows` ([K] int32, distinct); 0 for rows not in it.

    With it a consumer reads the K computed rows back in batch order
    (`take(computed, positions)`, selected where a row was computed) instead
    of scattering them into a whole-batch copy.
    """
    count = ops.shape(rows)[0]
    return ops.scatter_update(ops.zeros([batch_size], dtype="int32"), ops.reshape(rows, [-1, 1]),
                              ops.arange(count, dtype="int32"))


def warp_moved(images, matrices, moved, probability, consume, interpolation="bilinear", fill_mode="constant",
               fill_value=0.0):
    """`consume(read)` on `images` [B, H, W, C] warped by `matrices` [B, 3, 3] where `moved` ([B] bool).

    Rows not `moved` must have the identity matrix: they are read unchanged
    (the identity warp reads every pixel back exactly: bilinear at the pixel
    centres, all inside), so only the moved rows are warped, sized by
    `capacity(B, probability, MAX_WARP_FRACTION)`. Compacting is cheap here:
    the warp reads the moved rows in place (its row offsets point at them)
    and `read(start, stop)` gives rows start..stop of the warped batch, each
    a select between the warped copy and the unmoved row, for `consume` to
    fuse into what it computes (no scatter into a whole-batch copy).
    `consume` runs once per tier (see `on_rows`) and returns its result.
    """
    height, width, channels = _image_dims(images)
    images = materialized(images)  # read by the warp's 4 gathers and by the select: computed once
    flat = ops.reshape(images, [-1, channels])

    def compute(rows):
        warped = materialized(_warp_flat_rows(flat, matrices, rows, rows, height, width, interpolation, fill_mode,
                                              fill_value))
        position = positions(rows, ops.shape(images)[0])

        def read(start, stop):
            return ops.where(ops.reshape(moved[start:stop], [-1, 1, 1, 1]),
                             ops.take(warped, position[start:stop], axis=0), images[start:stop])

        return consume(read)

    return on_rows(moved, capacity(images.shape[0], probability, MAX_WARP_FRACTION), compute)


def warp_rows_in_place(images, matrices, moved, probability, interpolation="bilinear", fill_mode="constant",
                       fill_value=0.0):
    """`images` [B, H, W, C] with the rows `moved` ([B] bool) warped by their `matrices` [B, 3, 3], in place.

    The rows that moved are warped one at a time (`update_rows`, with
    `chunk_size(B, probability, MAX_WARP_FRACTION)`) and written back over
    their own rows; the others are not read. Unlike `warp_moved`, no second batch of warped rows
    is held: on XLA:CPU a program's temporaries share one allocation, and a
    float batch fewer keeps it small enough for the allocator to reuse rather
    than map fresh, page-faulted memory on every call (RandAugment float32,
    32 x 224 x 224 x 3: 38.5 MB of temporaries, about 9000 page faults a call,
    a third of its CPU time). Each row's warp reads only its own row, so the
    rows are warped exactly as by `keras_aug.core.warp.warp`.
    """
    height, width, channels = _image_dims(images)

    def step(rows_images, rows):
        return _warp_flat_rows(ops.reshape(rows_images, [-1, channels]), matrices, rows,
                               ops.arange(ops.shape(rows)[0], dtype="int32"), height, width, interpolation,
                               fill_mode, fill_value)

    chunk = chunk_size(images.shape[0], probability, MAX_WARP_FRACTION)
    return update_rows(images, moved, chunk, step)


def _image_dims(images):
    """(height, width, channels) of [B, H, W, C] images: static where known, else dynamic."""
    return tuple(images.shape[a] if images.shape[a] is not None else ops.shape(images)[a] for a in (1, 2, 3))


def _warp_flat_rows(flat, matrices, rows, image_indices, height, width, interpolation, fill_mode, fill_value):
    """The batch rows `rows` warped by their `matrices`, read from `flat` [N * H * W, C] pixels at the
    images `image_indices` (the warp's row offsets: the batch rows themselves, or 0..K-1 for a
    gathered chunk) -> [K, H, W, C]."""
    x, y = warp_lib.sample_coordinates(ops.take(matrices, rows, axis=0), (height, width))
    offsets = ops.reshape(image_indices * (height * width), [-1, 1, 1])
    return warp_lib.resample_flat(flat, offsets, height, width, x, y, interpolation, fill_mode, fill_value)

def update_rows(values, flags, chunk, step, source=None):
    """`values` [B, ...] with the rows flagged in `flags` ([B] bool) replaced by `step` on them.

    `step(rows_values, rows)` maps the [K, ...] values of the rows `rows`
    ([K] int32) to their [K, ...] new values, row by row. It reads them from
    `source` ([B, ...]), or with `source` None from `values` as updated so far
    (each row is read before it is written: in place, no copy of `values`).

    With `chunk` (an int; see `chunk_size`) only the flagged rows are
    computed, `chunk` at a time in a loop (one pass when they fit): gathered
    (one row a turn: read by a scalar index, which XLA makes a dynamic
    slice; see `_row`) and written back into `values` in place by
    dynamic-update-slices (not a scatter, which XLA:CPU runs value by
    value); a loop, not a `cond` per tier, whose branches copied the whole
    batch. Without `chunk` (None, or a batch size not known statically),
    `step` runs on the whole batch.
    """
    batch_size, rank = flags.shape[0], len(values.shape)
    source_of = (lambda current, rows: current) if source is None else (
        lambda current, rows: ops.take(source, rows, axis=0))
    if chunk is None or not isinstance(batch_size, int):
        every = ops.arange(ops.shape(values)[0], dtype="int32")
        return ops.where(ops.reshape(flags, [-1] + [1] * (rank - 1)), step(source_of(values, every), every), values)
    order, count = _flagged_first(flags, batch_size)[1:]
    padding = -batch_size % chunk  # the last chunk repeats row 0, rewritten with its own values
    order = ops.concatenate([order, ops.zeros([padding], dtype="int32")]) if padding else order

    def body(index, updated):
        position = index * chunk + ops.arange(chunk, dtype="int32")
        rows = ops.take(order, position, axis=0)
        if chunk == 1:
            # One row: read by its scalar index (`_row`), not by a gather of a [1] index, which XLA:CPU
            # runs value by value (the in-place warp of 17 of 32 rows of 224 x 224 x 3 float32: 1.0 ->
            # 0.5-0.6 CPU ms a row). Every turn's row is flagged (the loop stops at the count): no select.
            results = step(_row(updated if source is None else source, rows[0]), rows)
        else:
            current = ops.take(updated, rows, axis=0)
            # Positions past the flagged count (unflagged rows, padding) keep their values.
            keep = ops.reshape(position < count, [-1] + [1] * (rank - 1))
            results = ops.where(keep, step(source_of(current, rows), rows), current)
        for i in range(chunk):
            updated = ops.slice_update(updated, [rows[i]] + [0] * (rank - 1), results[i:i + 1])
        return index + 1, updated

    _, values = ops.while_loop(lambda index, _: index * chunk < count, body, (ops.zeros([], dtype="int32"), values))
    return values


def _row(values, row):
    """values[row:row + 1] ([1, ...]) for an int32 scalar `row`.

    A take at a scalar index, which XLA simplifies to a dynamic slice of one
    row (a take at a [1] index stays a gather, run value by value on
    XLA:CPU). Not `ops.slice`: TensorFlow's XLA bridge wants its start as a
    compile-time constant, made the call's seed one, and compiled every call
    anew (AugMix: 2.7 -> 376 CPU ms/image).
    """
    return ops.expand_dims(ops.take(values, row, axis=0), 0)
