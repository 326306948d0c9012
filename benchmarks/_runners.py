"""How a benchmark calls a layer on each backend: one zero-argument callable per way of running it.

TensorFlow: `tf.function` (mode False), `tf.function(jit_compile=True)` (True), or eager.
JAX: `jax.jit` of the layer's `stateless_call` (True; the layer's variables, such as
our call counter or Keras's seed generator state, are threaded through as in
`fit`), or an eager call ("eager"). TensorFlow is imported only for the TF runners.
"""


def modes(backend, eager):
    """The ways to run a layer on `backend` ("eager" first when asked)."""
    compiled = (False, True) if backend == "tensorflow" else (True,)
    return (("eager",) if eager else ()) + compiled


def runner(backend, layer, inputs, mode):
    """(label, run): how the layer is run, and a callable that runs it once on `inputs`."""
    if backend == "tensorflow":
        return _tf_runner(layer, inputs, mode)
    return _jax_runner(layer, inputs, mode)


def _tf_runner(layer, inputs, mode):
    import tensorflow as tf  # noqa: PLC0415 - only for the TensorFlow backend

    if mode == "eager":
        return "eager", lambda: layer(inputs, training=True)
    fn = tf.function(lambda x: layer(x, training=True), jit_compile=mode)
    return ("XLA" if mode else "tf.function"), lambda: fn(inputs)


def _jax_runner(layer, inputs, mode):
    import jax  # noqa: PLC0415

    layer(inputs, training=True)  # builds the layer (and Keras's sublayers) eagerly
    if mode == "eager":
        return "eager", lambda: layer(inputs, training=True)
    trainable = [v.value for v in layer.trainable_variables]
    state = {"non_trainable": [v.value for v in layer.non_trainable_variables]}

    @jax.jit
    def step(non_trainable, x):
        return layer.stateless_call(trainable, non_trainable, x, training=True)

    def run():
        out, state["non_trainable"] = step(state["non_trainable"], inputs)
        return out

    return "jax.jit", run
