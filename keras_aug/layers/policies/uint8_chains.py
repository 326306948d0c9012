"""AugMix's chains on uint8 images: one colour pass, one warp of only the chains that move, one mix.

The `num_chains` chains of a batch of B images run as one batch of
num_chains x B uint8 images (PIL's AugMix: every op returns a uint8 image):
the colour slots on lookup tables (`level_tables`), then the geometric
slots as one matrix per chain. About 4 chains in 10 draw no geometric op
(13 ops, 5 geometric, depth 1-3), so only the chains that moved are warped
(`rows.warp_moved`) and the mix reads each chain from its warped copy or,
unmoved, from the colour pass: the select fuses into the mix, so no chain is
scattered back into a batch.
"""

from keras_aug.core import dtypes
from keras_aug.core.backend import ops
from keras_aug.layers.policies import ops as op_table
from keras_aug.layers.policies import rows as row_lib
from keras_aug.layers.policies import selection


def aug_mix(layer, images, params, finish):
    """`finish(sum_k w_k * chain_k)` for uint8 `images` [B, H, W, C] (`layer`: the AugMix layer).

    `params`: AugMix's (see `AugMix.sample`); `finish` takes the weighted sum
    of the chains (float32 [B, H, W, C]) and returns the layer's output.
    """
    n, k, depth = ops.shape(images)[0], layer.num_chains, layer.chain_depth
    op = ops.reshape(ops.transpose(params["op"], [1, 0, 2]), [-1, depth])
    magnitude = ops.reshape(ops.transpose(params["magnitude"], [1, 0, 2]), [-1, depth])
    chains = ops.concatenate([images] * k, axis=0)
    if any(name in op_table.COLOUR_OPS for name in layer.op_names):
        values = selection.colour_values(chains, op, magnitude, layer.op_names, layer.value_range,
                                         layer.op_frequency)
        chains = dtypes.cast_like(values, "uint8")
    weights = ops.cast(params["weights"], "float32")

    def weighted_sum(read_chain):
        mixed = 0.0
        for i in range(k):
            mixed = mixed + weights[:, i, None, None, None] * ops.cast(read_chain(i), "float32")
        return finish(mixed)

    if not any(name in op_table.GEOMETRIC_OPS for name in layer.op_names):
        return weighted_sum(lambda i: chains[i * n:(i + 1) * n])
    height, width = images.shape[1] or ops.shape(images)[1], images.shape[2] or ops.shape(images)[2]
    moved = ops.any(op_table.drew(op, op_table.GEOMETRIC_OPS), axis=1)
    return row_lib.warp_moved(
        chains, op_table.slots_matrix(op, magnitude, height, width), moved, selection.moving_probability(layer),
        lambda read: weighted_sum(lambda i: read(i * n, (i + 1) * n)), layer.interpolation, layer.fill_mode,
        layer.fill_value)
