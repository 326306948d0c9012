"""The base layer every augmentation derives from.

The work is split in two, as in kornia (`generate_parameters` /
`apply_transform`) and Albumentations (`get_params` / `apply_*`):

1. `sample(shape, draws)` draws ALL randomness: a dict of tensors with a leading
   batch axis, one parameter set per sample, from stateless ops keyed on the
   call's seed (see `keras_aug.core.randomness.Draws`).
2. `apply_images`, `apply_labels`, `apply_boxes`, `apply_masks` and
   `apply_keypoints` are pure functions of (value, params). A layer that leaves
   a target alone inherits the identity.

Training semantics. With `training=None` (the usual case when a model is
called without `fit`), a layer augments only when it is called directly, i.e.
it is the outermost layer of the call (or in a tf.data `map`). Inside a model,
it follows the model's `training` flag: `fit` augments, `predict`, `evaluate`,
`model(x)` and the serving functions of `model.export` / `tf.saved_model.save`
do not. (Keras's own layers augment whenever `training` is unset, so their
exported models serve augmented outputs: keras-team/keras#19108.)

Seeds. Each call draws a fresh seed from a `tf.random.Generator` built from the
layer's `seed` (atomic in TF, so parallel tf.data maps do not repeat seeds).
Passing `seed=` (an int tensor of shape [2]) to the call makes that call a pure
function of its inputs and that seed, which the data path uses to make batches
independent of `num_parallel_calls`.
"""

import dataclasses
import random
import weakref

import keras
import tensorflow as tf

from keras_aug.core import boxes as box_utils
from keras_aug.core import randomness
from keras_aug.core import structures
from keras_aug.core import warp as warp_lib
from keras_aug.core.warp import _in_xla_context

try:  # Keras's call-context stack tells a direct call from a nested one.
    from keras.src.backend.common import global_state as _global_state
except ImportError:  # pragma: no cover - only if Keras moves its internals
    _global_state = None


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


def _called_directly(layer):
    if _global_state is None:
        return True
    context = _global_state.get_global_attribute("current_call_ctx")
    return context is None or context.entry_layer is layer


# One XLA-compiled augment function per layer, kept outside the layer so that
# SavedModel export does not try to serialize it.
_COMPILED = weakref.WeakKeyDictionary()


def _compiled_augment(layer):
    if layer not in _COMPILED:
        _COMPILED[layer] = tf.function(layer._augment_inputs, jit_compile=True, reduce_retracing=True)
    return _COMPILED[layer]


def _compile_nested(inputs):
    """Whether to run an augmentation as its own XLA-compiled function.

    Traced into a graph that XLA does not compile (a tf.data `map`, a
    `tf.function` without `jit_compile`), a layer's ops would run one by one,
    each writing a full-size intermediate: 10 to 40 times slower than the same
    ops fused by XLA (benchmarks/layers.py). Only with static image sizes:
    XLA compiles once per shape.
    """
    if not warp_lib.COMPILE_IN_GRAPHS or tf.executing_eagerly():
        return False
    if _in_xla_context(tf.compat.v1.get_default_graph()):
        return False
    images = inputs.get("images") if isinstance(inputs, dict) else (
        inputs[0] if isinstance(inputs, (tuple, list)) else inputs)
    shape = getattr(images, "shape", None)
    return shape is not None and shape.rank in (3, 4) and shape[-3:].is_fully_defined()


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
        self._generator = tf.random.Generator.from_seed(
            seed if seed is not None else random.randrange(2**31)
        )

    @property
    def reproducible_seed(self):
        """The seed the layer's calls derive from, or None when it was random."""
        return self.seed

    # ------------------------------------------------------------------ calls
    def call(self, inputs, training=None, seed=None):
        if self.should_augment(training):
            seed = self.call_seed(seed)
            if _compile_nested(inputs):
                return _compiled_augment(self)(inputs, seed)
            return self._augment_inputs(inputs, seed)
        batch = structures.unpack(inputs, self.bounding_box_format, self.data_format, self.compute_dtype)
        return self.inference(batch).pack()

    def _augment_inputs(self, inputs, seed):
        batch = structures.unpack(inputs, self.bounding_box_format, self.data_format, self.compute_dtype)
        return self.augment(batch, seed).pack()

    def should_augment(self, training):
        if training is None:
            return _called_directly(self)
        if isinstance(training, tf.Tensor):
            raise ValueError("`training` must be a Python bool or None, not a tensor.")
        return bool(training)

    def call_seed(self, seed=None):
        """The seed of this call: the caller's, or a fresh one from the generator."""
        if seed is not None:
            return randomness.as_seed(seed)
        return self._generator.make_seeds(1)[:, 0]

    def augment(self, batch, seed):
        """Samples parameters from `seed` and applies them to every target."""
        params = self.sample(shape_of(batch), randomness.Draws(seed))
        return self.apply(batch, params)

    def inference(self, batch):
        """What the layer does when not augmenting: the identity by default."""
        return batch

    # ------------------------------------------------- to be defined by layers
    def sample(self, shape, draws):
        """Returns a dict of per-sample parameter tensors (leading axis: batch)."""
        return {}

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
