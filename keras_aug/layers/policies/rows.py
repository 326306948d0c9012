"""Gathered rows: compute a costly step only for the samples of a batch that need it.

A policy's op is drawn per sample, so most samples skip any one op. A step
that costs per sample (a histogram, a blend, a warp) is computed on the
rows of the samples that drew it, gathered into a fixed number of rows
(XLA needs static shapes) sized to the expected count, and scattered back;
a call where more samples drew it takes the whole-batch path (the same
result). `capacity` sizes the gathered rows, `on_rows` runs a step on them.
"""

import math

from keras_aug.core.backend import ops

# Compacting rows costs gathers, scatters and conditionals (and compile time:
# each tier is compiled): not worth it above this fraction of the batch, nor
# for batches this small.
MAX_COMPACT_FRACTION = 0.6
MIN_COMPACT_BATCH = 16


def capacity(batch_size, probability):
    """Row counts to try gathering for samples that each need work with `probability`; None: whole batch.

    Two tiers: the expected count plus one standard deviation (and one),
    enough in about 5 calls of 6, then plus three (about 999 calls in
    1000); a batch beyond both takes the whole-batch path. Tiers above
    `MAX_COMPACT_FRACTION` of the batch are dropped; batches under
    `MIN_COMPACT_BATCH` always take the whole-batch path.
    """
    if not isinstance(batch_size, int) or batch_size < MIN_COMPACT_BATCH or probability <= 0:
        return None
    mean = batch_size * probability
    spread = math.sqrt(mean * (1.0 - min(probability, 1.0)))
    tiers = sorted({math.ceil(mean + k * spread + 1.0) for k in (1.0, 3.0)})
    tiers = tuple(t for t in tiers if t <= MAX_COMPACT_FRACTION * batch_size)
    return tiers or None


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
    every = ops.arange(batch_size, dtype="int32")
    order = ops.cast(ops.argsort(ops.where(flags, 0, batch_size) + every), "int32")  # flagged rows first
    count = ops.sum(ops.cast(flags, "int32"))

    def tier(i):
        if i == len(tiers):
            return compute(every)
        return ops.cond(count <= tiers[i], lambda: compute(order[:tiers[i]]), lambda: tier(i + 1))

    return tier(0)


def put_rows(values, rows, updates):
    """`values` with rows `rows` ([K] int32, distinct) replaced by `updates` ([K, ...])."""
    return ops.scatter_update(values, ops.reshape(rows, [-1, 1]), updates)
