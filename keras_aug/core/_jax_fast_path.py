"""JAX-only speed device: a function compiled as one XLA program (`keras_aug.core.eager` uses it).

Op by op, each of a layer's ops is one dispatch and writes a full-size
intermediate; compiled, XLA fuses them (the same reason the TF path compiles,
`_tf_fast_path`). Inside a JAX trace (a model under `jit`) nothing is needed:
XLA compiles the whole step already.
"""

import jax


def xla_function(fn):
    """`fn` under `jax.jit` (traced once per input signature)."""
    return jax.jit(fn)
