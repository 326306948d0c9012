"""The base layer every augmentation derives from.

The work is split in two, as in kornia (`generate_parameters` /
`apply_transform`) and Albumentations (`get_params` / `apply_*`):

1. `sample(shape, draws)` draws ALL randomness: a dict of tensors with a leading
   batch axis, one parameter set per sample, from stateless ops keyed on the
   call's seed (see `keras_aug.core.randomness.Draws`).
2. `apply_images`, `apply_labels`, `apply_boxes`, `apply_masks` and
   `apply_keypoints` are pure functions of (value, params). A layer that leaves
   a target alone inherits the identity.
3. `identity_params(shape)` returns parameters of the same form under which
   `apply` returns its input unchanged (bit for bit on uint8 images and on
   every target; a mixing layer appends padding box rows). `select_params`
   mixes them with sampled parameters per sample, which is how policies and
   `RandomApply` switch a layer off for some samples in the same single pass.
   Layers that change the image size have no identity (a ValueError says so).

The gate convention. When a layer's per-sample on/off draw is a pure gate
(other parameters say how the sample changes, the gate says whether), its
key is "active", a [B] bool, True where the sample is augmented (the erasing
layers, RandomGaussianBlur). Where the flag IS the operation and there is
nothing else to say (RandomInvert's "invert", RandomGrayscale's "grayscale",
RandomFlip's "horizontal"/"vertical"), the flag keeps the operation's name.

Training semantics. With `training=None` (the usual case when a model is
called without `fit`), a layer augments only when it is called directly, i.e.
it is the outermost layer of the call (or in a tf.data `map`). Inside a model,
it follows the model's `training` flag: `fit` augments, `predict`, `evaluate`,
`model(x)` and the serving functions of `model.export` / `tf.saved_model.save`
do not. (Keras's own layers augment whenever `training` is unset, so their
exported models serve augmented outputs: keras-team/keras#19108.)

Seeds. Call k of a layer (k = 0, 1, 2, ... counted per layer) uses the seed
`fold_in(seed, k)` of the layer's `seed`, so the same seeded layer gives the same
sequence of outputs on every backend. The counter is a Keras variable under JAX
(updated statelessly under `jit`) and an atomic TF resource when the call
computes with TensorFlow (parallel tf.data maps never share a value). Passing
`seed=` (an int tensor of shape [2]) to the call makes that call a pure function
of its inputs and that seed, which the data path uses to make batches
independent of `num_parallel_calls`.

Backends. Each call computes with the backend `backend.backend_for` picks for
its images: TensorFlow in tf.data and on TF tensors, else the Keras backend
(see `keras_aug.core.backend`). Eager calls run op by op until their input
signature repeats, then as one compiled function (`keras_aug.core.eager`).
"""

import dataclasses
import random

import keras

from keras_aug.core import backend
from keras_aug.core import boxes as box_utils
from keras_aug.core import eager
from keras_aug.core import randomness
from keras_aug.core import structures
from keras_aug.core.backend import dtype_name
from keras_aug.core.backend import ops


@dataclasses.dataclass(frozen=True)
class ImageShape:
    """Sizes a layer samples for: python ints where static, else scalar tensors."""

    batch_size: object
    height: object
    width: object
    channels: object


def shape_of(batch):
    return ImageShape(batch.batch_size, batch.height, batch.width, batch.images.shape[-1])


def standardize_data_format(data_format):
    data_format = data_format or keras.config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"`data_format` must be 'channels_last' or 'channels_first'; got {data_format!r}."
        )
    return data_format


def _compiles_in_graph(images):
    """Whether a call traced into a TF graph XLA does not compile runs as its own XLA function.

    Eager calls are `keras_aug.core.eager`'s; under `jax.jit` XLA compiles the
    whole step already.
    """
    if backend.current() != "tensorflow":
        return False
    from keras_aug.core import _tf_fast_path

    return _tf_fast_path.compile_layer_call(images)


def _first_image(inputs):
    if isinstance(inputs, dict):
        return inputs.get("images")
    if isinstance(inputs, (tuple, list)) and inputs:
        return inputs[0]
    return inputs


class Augmentation(keras.layers.Layer):
    """Base class: per-sample parameters from `sample`, pure `apply_*` functions.

    Args:
      seed: int or None. The same seed gives the same sequence of outputs;
        None picks a random seed at construction.
      bounding_box_format: format of `bounding_boxes["boxes"]` in dict inputs:
        one of "xyxy", "xywh", "center_xywh", "rel_xyxy", "rel_xywh",
        "rel_center_xywh". Required only when boxes are passed.
      data_format: "channels_last" (default, or Keras's configured value) or
        "channels_first".
    """

    is_geometric = False
    # Layers that never draw (CenterCrop, Resizing) keep no call counter: no
    # state, no weights, as Keras's same layers.
    draws_randomness = True

    def __init__(self, seed=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        # Keep the caller's dtype (uint8 stays uint8) and allow dict inputs.
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.supports_jit = True
        if seed is not None and not isinstance(seed, int):
            raise ValueError(f"`seed` must be an int or None; got {seed!r}.")
        self.seed = seed
        self.bounding_box_format = box_utils.validate_format(bounding_box_format)
        # A Pipeline defers to its layers' data_format only where they chose one.
        self.data_format_given = data_format is not None
        self.data_format = standardize_data_format(data_format)
        self.use_seed(seed)

    def use_seed(self, seed):
        """Restarts the layer's stream of call seeds from `seed` (None: a random one)."""
        self._stream_seed = seed if seed is not None else random.randrange(2**31)
        if not self.draws_randomness:
            return
        if keras.backend.backend() == "jax":
            if getattr(self, "_call_counter", None) is None:
                self._call_counter = keras.Variable(0, dtype="int32", trainable=False, name="call_counter")
            else:
                self._call_counter.assign(0)
        elif getattr(self, "_tf_counter", None) is None:
            from keras_aug.core import _tf_fast_path

            self._tf_counter = _tf_fast_path.new_counter()
        else:
            self._reset_tf_counter(self._tf_counter)
        holder = self.__dict__.get("_tf_data_counter")
        if holder:
            self._reset_tf_counter(holder[0])

    @staticmethod
    def _reset_tf_counter(counter):
        from keras_aug.core import _tf_fast_path

        _tf_fast_path.reset_counter(counter)

    @property
    def reproducible_seed(self):
        """The seed the layer's calls derive from, or None when it was random."""
        return self.seed

    # ------------------------------------------------------------------ calls
    def call(self, inputs, training=None, seed=None):
        images = _first_image(inputs)
        with backend.computing_with(backend.backend_for(images)):
            if self.should_augment(training):
                if eager.handles(self, images):
                    return eager.call(self, inputs, images, seed)
                seed = self.call_seed(seed)
                # `supports_jit` is Keras's own flag: a layer without an XLA
                # kernel (JPEG) runs op by op here too.
                if self.supports_jit and _compiles_in_graph(images):
                    from keras_aug.core import _tf_fast_path

                    return _tf_fast_path.compiled_layer_call(self, images)(inputs, seed)
                return self._augment_inputs(inputs, seed)
            batch = structures.unpack(inputs, self.bounding_box_format, self.data_format, self.compute_dtype)
            return self.inference(batch).pack()

    def _augment_inputs(self, inputs, seed):
        batch = structures.unpack(inputs, self.bounding_box_format, self.data_format, self.compute_dtype)
        return self.augment(batch, seed).pack()

    def should_augment(self, training):
        if training is None:
            return backend.called_directly(self)
        if not isinstance(training, bool) and backend.is_tensor(training):
            raise ValueError("`training` must be a Python bool or None, not a tensor.")
        return bool(training)

    def call_seed(self, seed=None):
        """The seed of this call: the caller's, or `fold_in(layer seed, call index)`."""
        if seed is not None:
            return randomness.as_seed(seed)
        return randomness.fold_in(self._stream_seed, self._next_call_index())

    def _next_call_index(self):
        if not self.draws_randomness:
            return 0
        if backend.current() == "tensorflow":
            from keras_aug.core import _tf_fast_path

            return _tf_fast_path.next_index(self._tf_counter_for_call())
        index = self._call_counter.value
        self._call_counter.assign(index + 1)
        return index

    def _tf_counter_for_call(self):
        if keras.backend.backend() == "tensorflow":
            return self._tf_counter
        # Under the JAX backend, the counter of calls that compute with TF (in
        # tf.data) is made on the first such call, and kept out of Keras's
        # attribute tracking: a TF resource is not a Keras variable there.
        holder = self.__dict__.get("_tf_data_counter")
        if holder is None:
            from keras_aug.core import _tf_fast_path

            holder = self.__dict__["_tf_data_counter"] = [_tf_fast_path.new_counter()]
        return holder[0]

    def augment(self, batch, seed):
        """Samples parameters from `seed` and applies them to every target."""
        return self.apply(batch, self.sample_from_seed(shape_of(batch), seed))

    def sample_from_seed(self, shape, seed):
        """The parameters a call with `seed` (an int [2] tensor) applies: `sample(shape, Draws(seed))`."""
        return self.sample(shape, randomness.Draws(seed))

    def sample_from_draws(self, shape, draws):
        """`sample(shape, draws)`; a layer that samples from a seed tensor uses `draws.seed` instead.

        `compose.sample_layers` hands each layer a `Draws` prepared with its neighbours'
        (`randomness.fold_in_draws`), the same draws as `sample_from_seed` with that seed.
        """
        return self.sample(shape, draws)

    def inference(self, batch):
        """What the layer does when not augmenting: the identity by default."""
        return batch

    # ------------------------------------------------- to be defined by layers
    def sample(self, shape, draws):
        """Returns a dict of per-sample parameter tensors (leading axis: batch)."""
        return {}

    def output_size(self, height, width):
        """(height, width) of the output for an input of (height, width): the input's by default."""
        return height, width

    def only_moves_memory(self, images):
        """Whether a training call on `images` (static sizes) draws nothing and only slices or pads.

        Such calls cost a few dispatches op by op, less than a compiled call: the
        eager route (`keras_aug.core.eager`) runs them op by op, with seed None.
        """
        return False

    def identity_params(self, shape):
        """Parameters under which `apply` returns its input unchanged.

        Same keys, shapes and dtypes as `sample(shape, ...)`. Policies and
        `RandomApply` mix them with sampled parameters per sample
        (`select_params`) to switch the layer off for some samples without a
        second code path. Layers that cannot be the identity (they change the
        image size) raise a ValueError saying so.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define `identity_params` yet.")

    def apply(self, batch, params):
        """Applies `params` to every target of `batch`; returns a new `Batch`."""
        changes = {"images": self.apply_images(batch.images, params, batch)}
        if batch.labels is not None:
            changes["labels"] = self.apply_labels(batch.labels, params, batch)
        if batch.boxes is not None:
            changes["boxes"], changes["box_labels"] = self.apply_boxes(
                batch.boxes, batch.box_labels, params, batch
            )
        if batch.masks is not None:
            changes["masks"] = self.apply_masks(batch.masks, params, batch)
        if batch.keypoints is not None:
            changes["keypoints"] = self.apply_keypoints(batch.keypoints, params, batch)
        return batch.replace(**changes)

    def apply_images(self, images, params, batch):
        return images

    def apply_labels(self, labels, params, batch):
        return labels

    def apply_boxes(self, boxes, box_labels, params, batch):
        return boxes, box_labels

    def apply_masks(self, masks, params, batch):
        return masks

    def apply_keypoints(self, keypoints, params, batch):
        return keypoints

    # ------------------------------------------------------------ keras glue
    def build(self, input_shape=None):
        # Augmentations hold no weights; sublayers of a Pipeline are driven
        # through `augment`, so there is nothing to build.
        for layer in getattr(self, "layers", ()):
            layer.built = True
        self.built = True

    def get_config(self):
        config = super().get_config()
        config.update(
            seed=self.seed,
            bounding_box_format=self.bounding_box_format,
            data_format=self.data_format,
        )
        return config


def constant_params(batch_size, value, dtype="float32", trailing=()):
    """A `[batch_size, *trailing]` tensor filled with `value`: one identity value per sample.

    `batch_size` is a python int or a scalar tensor (as in `ImageShape`).
    """
    return ops.full([batch_size, *trailing], value, dtype=dtype)


def select_params(chosen, params, identity):
    """Per sample, `params` where `chosen` ([B] bool) is true, else `identity`.

    `params` and `identity` have the same structure (dicts, nested for
    containers such as `RandomApply`) of `[B, ...]` tensors; so has the result.
    """

    def select(value, fallback):
        mask = ops.reshape(chosen, [-1] + [1] * (len(value.shape) - 1))
        return ops.where(mask, value, ops.cast(fallback, dtype_name(value)))

    return keras.tree.map_structure(select, params, identity)
