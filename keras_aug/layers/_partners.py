"""Partner samples for the mixing layers: random permutations without fixed points.

Written on `keras_aug.core.backend.ops`; compiles under XLA and `jax.jit`.
"""

from keras_aug.core.backend import ops


def partners(draws, batch_size, count=1):
    """`count` partner indices per sample, [count, B] int32, from one random permutation.

    Samples are put in a random cyclic order (argsort of stateless uniforms);
    partner k of a sample is the one k + 1 places after it. So each partner map
    is a random permutation that never maps a sample to itself when B > 1, each
    sample's partner is uniform over the others, and with B > count the
    `count` partners of a sample are distinct. With B == 1 the partner is the
    sample itself.
    """
    order = ops.argsort(draws.uniform([batch_size]))  # position -> sample
    position = ops.argsort(order)  # sample -> position
    size = ops.shape(order)[0]
    out = [ops.take(order, (position + k) % size, axis=0) for k in range(1, count + 1)]
    return ops.stack(out, axis=0)
