"""RandomApply, RandomChoice and RandomOrder: compositions decided per sample.

Each container draws its decision per sample on every call and runs in one
pass, with no second code path for the samples it leaves alone:
  * a geometric layer that a sample does not get contributes the identity
    matrix for that sample; a container of geometric layers is itself
    geometric (an instance of `GeometricAugmentation`), so inside a
    `keras_aug.Pipeline` it joins the run's ONE warp;
  * any other layer runs on the whole batch with its sampled parameters
    where a sample gets it and its identity parameters
    (`Augmentation.identity_params`) elsewhere.
The containers draw their layers' parameters and their own decisions from
the container's call seed (its `Draws` hands out independent streams in
order), so a container inside a `Pipeline` samples the same whether the
Pipeline fuses it into a run or calls it alone.
"""

import keras

from keras_aug.core import matrices as mat
from keras_aug.core.backend import ops
from keras_aug.core.base import Augmentation
from keras_aug.core.base import select_params
from keras_aug.core.base import shape_of
from keras_aug.core.geometric import GeometricAugmentation
from keras_aug.core.geometric import exact_index_move
from keras_aug.core.geometric import transform_batch
from keras_aug.layers.compose import agreed_setting
from keras_aug.layers.compose import SerializesLayers
from keras_aug.layers.policies.selection import categorical
from keras_aug.layers.policies.selection import parse_probabilities



def _check_layers(layers, name):
    layers = list(layers)
    if not layers:
        raise ValueError(f"`{name}` must be a non-empty list of keras_aug layers.")
    for i, layer in enumerate(layers):
        if not isinstance(layer, Augmentation):
            raise ValueError(f"`{name}[{i}]` must be a keras_aug layer (a keras_aug.core.Augmentation); got {layer!r}.")
    return layers


def _resample_settings(layers, container):
    """The one (interpolation, fill_mode, fill_value, mask_fill_value) geometric `layers` share.

    Layers that never read outside the image (flips, quarter turns) set no
    fill and match any. Different settings cannot share one warp: a clear
    ValueError naming the layers.
    """
    agreed = {"interpolation": None, "fill_mode": None, "fill_value": None, "mask_fill_value": None}
    for i, layer in enumerate(layers):
        own = {"interpolation": layer.interpolation, "fill_mode": layer.fill_mode,
               "fill_value": layer.fill_value if layer.fill_mode == "constant" else None,
               "mask_fill_value": layer.mask_fill_value}
        for key, value in own.items():
            if value is None:
                continue
            if agreed[key] is not None and agreed[key] != value:
                raise ValueError(
                    f"{container} warps its geometric layers once, so they must agree on `{key}`; "
                    f"layers[{i}] ({type(layer).__name__}) has {value!r}, an earlier one {agreed[key]!r}."
                )
            agreed[key] = value
    return agreed


def _same_size(layers, height, width, container, keep_size=False):
    """The one output size of geometric `layers` for (height, width) inputs, or a ValueError."""
    sizes = {tuple(layer.output_size(height, width)) for layer in layers}
    changed = keep_size and isinstance(height, int) and isinstance(width, int) and sizes != {(height, width)}
    if len(sizes) > 1 or changed:
        raise ValueError(
            f"{container} needs geometric layers that give one output size (a sample that does not get a layer "
            f"keeps its own size, and a batch has one size); got output sizes {sorted(sizes, key=str)} for "
            f"{height}x{width} inputs."
        )
    return next(iter(sizes))


def _agreed_settings(layers, bounding_box_format, data_format):
    """The container's box format and data format: given, or the ones its layers were given."""
    return {
        "bounding_box_format": agreed_setting(layers, "bounding_box_format", bounding_box_format,
                                              lambda layer: layer.bounding_box_format is not None),
        "data_format": agreed_setting(layers, "data_format", data_format, lambda layer: layer.data_format_given),
    }


class _Container(SerializesLayers, Augmentation):
    """Shared glue: sublayers, their serialization, sampling each from its own stream."""

    def sample_layers(self, shape, draws):
        # One Draws object hands out independent streams in call order, so the
        # layers' parameters and the container's own draws never overlap.
        return [layer.sample(shape, draws) for layer in self.layers]


class _GeometricContainer(_Container, GeometricAugmentation):
    """A container of geometric layers: one matrix per sample, so it fuses in a Pipeline."""

    # The resampling settings are the layers', not arguments of the container.
    resample_args = ()

    def __init__(self, name_for_errors, **kwargs):
        settings = _resample_settings(self.layers, name_for_errors)
        exact = settings["interpolation"] is None and settings["fill_mode"] is None
        super().__init__(
            interpolation=settings["interpolation"], fill_mode=settings["fill_mode"],
            fill_value=settings["fill_value"] or 0.0,
            mask_fill_value=settings["mask_fill_value"] if settings["mask_fill_value"] is not None else 255,
            **kwargs)
        self._exact = exact
        # Homographies (RandomPerspective) need the perspective divide.
        self.projective = any(layer.projective for layer in self.layers)

    def output_size(self, height, width):
        return _same_size(self.layers, height, width, type(self).__name__)

    def apply(self, batch, params):
        matrix = self.matrix(params, batch.height, batch.width)
        size = self.output_size(batch.height, batch.width)
        if self._exact:
            # Only exact index moves (flips, quarter turns) and the identity: still exact.
            return exact_index_move(batch, matrix, size)
        return transform_batch(batch, matrix, size, projective=self.projective, **self.resample_settings())

    def layer_matrices(self, params, height, width):
        return [layer.matrix(p, height, width) for layer, p in zip(self.layers, params["layers"])]


def _where_matrix(chosen, matrix, other):
    return ops.where(ops.reshape(chosen, [-1, 1, 1]), matrix, other)


# ------------------------------------------------------------------ RandomApply
@keras.saving.register_keras_serializable(package="keras_aug")
class RandomApply(_Container):
    """Applies `layer` to each sample with probability `rate`, else leaves it unchanged.

    Per sample a uniform draw below `rate` decides. The layer runs once on
    the whole batch: with its sampled parameters for the chosen samples and
    its identity parameters for the others (bitwise unchanged on uint8). A
    RandomApply of a geometric layer is geometric: its matrix is the layer's
    where chosen and the identity elsewhere, so in a `Pipeline` it shares the
    run's one warp.

    Args:
      layer: a keras_aug layer. Geometric layers must keep the image size.
      rate: probability in [0, 1] that a sample gets the layer. Default 0.5.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"applied": [B] bool, "layer": the layer's
    parameters (mixed with its identity parameters where not applied)}.

    Targets: what the layer does, for the chosen samples.
    """

    def __new__(cls, layer=None, *args, **kwargs):
        if cls is RandomApply and isinstance(layer, GeometricAugmentation):
            cls = GeometricRandomApply
        return super().__new__(cls, layer, *args, **kwargs)

    def __init__(self, layer, rate=0.5, seed=None, bounding_box_format=None, data_format=None, **kwargs):
        self.layers = _check_layers([layer], "layer")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
            raise ValueError(f"`rate` must be a probability in [0, 1]; got {rate!r}.")
        self.rate = float(rate)
        super().__init__(seed=seed, **_agreed_settings(self.layers, bounding_box_format, data_format),
                         **self._extra_init(layer), **kwargs)
        self.layer = layer

    def _extra_init(self, layer):
        return {}

    def sample(self, shape, draws):
        params = self.sample_layers(shape, draws)[0]
        applied = draws.uniform([shape.batch_size]) < self.rate
        if not isinstance(self.layer, GeometricAugmentation):  # (geometric: gated in `matrix`)
            params = select_params(applied, params, self.layer.identity_params(shape))
        return {"applied": applied, "layer": params}

    def identity_params(self, shape):
        return {"applied": ops.zeros([shape.batch_size], "bool"), "layer": self.layer.identity_params(shape)}

    def apply(self, batch, params):
        return self.layer.apply(batch, params["layer"])

    def get_config(self):
        config = super().get_config()
        config.pop("layers")
        config.update(layer=keras.saving.serialize_keras_object(self.layer), rate=self.rate)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = keras.saving.deserialize_keras_object(config["layer"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_aug")
class GeometricRandomApply(RandomApply, _GeometricContainer):
    """`RandomApply` of a geometric layer (built by `RandomApply(...)`): one matrix per sample."""

    def _extra_init(self, layer):
        return {"name_for_errors": "RandomApply"}

    def output_size(self, height, width):
        return _same_size(self.layers, height, width, "RandomApply", keep_size=True)

    def matrix(self, params, height, width):
        inner = self.layer.matrix(params["layer"], height, width)
        return _where_matrix(params["applied"], inner, mat.identity(ops.shape(inner)[0]))

    def apply(self, batch, params):
        return _GeometricContainer.apply(self, batch, params)


# ----------------------------------------------------------------- RandomChoice
@keras.saving.register_keras_serializable(package="keras_aug")
class RandomChoice(_Container):
    """Applies ONE of `layers` to each sample, chosen per sample.

    Geometric layers (all of `layers` geometric): the sample's matrix is the
    chosen layer's, so the container is geometric and a `Pipeline` fuses it
    into its run's one warp. Mixed families: the geometric layers are folded
    into one warp (the chosen one's matrix, the identity for samples that
    chose another layer), and every other layer runs once on the batch with
    its identity parameters for the samples that did not choose it. As each
    sample gets exactly one layer, the order of these passes does not matter.

    Args:
      layers: keras_aug layers. Geometric ones must keep the image size (or
        all give the same size) and agree on interpolation and fill.
      probabilities: None (uniform) or one non-negative weight per layer
        (normalized to sum to 1).
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"choice": [B] int32, "layers": one parameter dict
    per layer (non-geometric ones mixed with their identity parameters)}.

    Targets: what the chosen layer does to each sample.
    """

    def __new__(cls, layers=None, *args, **kwargs):
        if cls is RandomChoice and layers and all(isinstance(x, GeometricAugmentation) for x in layers):
            cls = GeometricRandomChoice
        return super().__new__(cls, layers, *args, **kwargs)

    def __init__(self, layers, probabilities=None, seed=None, bounding_box_format=None, data_format=None, **kwargs):
        layers = _check_layers(layers, "layers")
        self.layers = layers
        self.probabilities = probabilities
        self._weights = parse_probabilities(probabilities, len(layers))
        super().__init__(seed=seed, **_agreed_settings(self.layers, bounding_box_format, data_format),
                         **self._extra_init(), **kwargs)
        geometric = [layer for layer in layers if isinstance(layer, GeometricAugmentation)]
        if geometric and not isinstance(self, GeometricAugmentation):
            _resample_settings(geometric, "RandomChoice")

    def _extra_init(self):
        return {}

    def sample(self, shape, draws):
        choice = categorical(draws, [shape.batch_size], len(self.layers), self._weights)
        params = self.sample_layers(shape, draws)
        mixed = []
        for i, (layer, p) in enumerate(zip(self.layers, params)):
            if not isinstance(layer, GeometricAugmentation):
                p = select_params(choice == i, p, layer.identity_params(shape))
            mixed.append(p)
        return {"choice": choice, "layers": mixed}

    def identity_params(self, shape):
        # Every sample "chooses" layer 0, whose parameters are its identity.
        return {"choice": ops.zeros([shape.batch_size], "int32"),
                "layers": [layer.identity_params(shape) for layer in self.layers]}

    def apply(self, batch, params):
        geometric = [i for i, layer in enumerate(self.layers) if isinstance(layer, GeometricAugmentation)]
        for i, layer in enumerate(self.layers):
            if i not in geometric:
                batch = layer.apply(batch, params["layers"][i])
        if geometric:
            batch = _warp_chosen(self.layers, geometric, params, batch)
        return batch

    def get_config(self):
        config = super().get_config()
        config["probabilities"] = self.probabilities
        return config


def _chosen_matrix(layers, indices, params, height, width):
    """Per sample, the matrix of the geometric layer it chose (identity if it chose another)."""
    matrix = None
    for i in indices:
        m = layers[i].matrix(params["layers"][i], height, width)
        matrix = mat.identity(ops.shape(m)[0]) if matrix is None else matrix
        matrix = _where_matrix(params["choice"] == i, m, matrix)
    return matrix


def _warp_chosen(layers, indices, params, batch):
    geometric = [layers[i] for i in indices]
    settings = _resample_settings(geometric, "RandomChoice")
    size = _same_size(geometric, batch.height, batch.width, "RandomChoice")
    matrix = _chosen_matrix(layers, indices, params, batch.height, batch.width)
    if settings["interpolation"] is None and settings["fill_mode"] is None:
        return exact_index_move(batch, matrix, size)
    return transform_batch(batch, matrix, size, projective=any(layer.projective for layer in geometric),
                           interpolation=settings["interpolation"] or "bilinear",
                           fill_mode=settings["fill_mode"] or "nearest", fill_value=settings["fill_value"] or 0.0,
                           mask_fill_value=settings["mask_fill_value"] if settings["mask_fill_value"] is not None
                           else 255)


@keras.saving.register_keras_serializable(package="keras_aug")
class GeometricRandomChoice(RandomChoice, _GeometricContainer):
    """`RandomChoice` of geometric layers (built by `RandomChoice(...)`): one matrix per sample."""

    def _extra_init(self):
        return {"name_for_errors": "RandomChoice"}

    def matrix(self, params, height, width):
        return _chosen_matrix(self.layers, range(len(self.layers)), params, height, width)

    def apply(self, batch, params):
        return _GeometricContainer.apply(self, batch, params)


# ------------------------------------------------------------------ RandomOrder
@keras.saving.register_keras_serializable(package="keras_aug")
class RandomOrder(_Container):
    """Applies all of `layers` to each sample, in an order drawn per sample.

    Geometric layers (all of `layers` geometric): the sample's matrix is the
    product of the layers' matrices in its own order, so the container is
    geometric and fuses into a `Pipeline`'s one warp.

    Mixed families: what is per sample is the order of the NON-geometric
    layers among themselves; the geometric layers are multiplied in their
    per-sample order into one warp applied after them. (Moving a warp after
    pointwise colour changes does not change the result except at filled
    pixels; statistics-based ops then see the unwarped image.) The
    non-geometric layers run in n rounds: in round k each layer runs once on
    the batch with its parameters for the samples that placed it k-th and
    its identity parameters elsewhere, so n such layers cost n * n passes.

    Args:
      layers: keras_aug layers; geometric ones keep the image size and agree
        on interpolation and fill.
      seed, bounding_box_format, data_format: see `keras_aug.core.Augmentation`.

    Parameters (`sample`): {"order": [B, n] int32 (layer indices in order),
    "layers": one parameter dict per layer}.

    Targets: what the layers do, in each sample's order.
    """

    def __new__(cls, layers=None, *args, **kwargs):
        if cls is RandomOrder and layers and all(isinstance(x, GeometricAugmentation) for x in layers):
            cls = GeometricRandomOrder
        return super().__new__(cls, layers, *args, **kwargs)

    def __init__(self, layers, seed=None, bounding_box_format=None, data_format=None, **kwargs):
        self.layers = _check_layers(layers, "layers")
        super().__init__(seed=seed, **_agreed_settings(self.layers, bounding_box_format, data_format),
                         **self._extra_init(), **kwargs)
        geometric = [layer for layer in self.layers if isinstance(layer, GeometricAugmentation)]
        if geometric and not isinstance(self, GeometricAugmentation):
            _resample_settings(geometric, "RandomOrder")

    def _extra_init(self):
        return {}

    def sample(self, shape, draws):
        # A uniform random permutation per sample: the argsort of iid uniforms.
        keys = draws.uniform([shape.batch_size, len(self.layers)])
        order = ops.cast(ops.argsort(keys, axis=-1), "int32")
        return {"order": order, "layers": self.sample_layers(shape, draws)}

    def identity_params(self, shape):
        order = ops.arange(len(self.layers), dtype="int32")[None, :] + ops.zeros([shape.batch_size, 1], "int32")
        return {"order": order, "layers": [layer.identity_params(shape) for layer in self.layers]}

    def apply(self, batch, params):
        geometric = [i for i, layer in enumerate(self.layers) if isinstance(layer, GeometricAugmentation)]
        others = [i for i in range(len(self.layers)) if i not in geometric]
        if others:
            # Each sample's order of the non-geometric layers, as ranks 0..len(others)-1.
            rank = _ranks(params["order"], others)
            shape = shape_of(batch)
            for k in range(len(others)):
                for j, i in enumerate(others):
                    layer = self.layers[i]
                    p = select_params(rank[:, j] == k, params["layers"][i], layer.identity_params(shape))
                    batch = layer.apply(batch, p)
        if geometric:
            matrix = _ordered_matrix(self.layers, geometric, params, batch.height, batch.width)
            settings = _resample_settings([self.layers[i] for i in geometric], "RandomOrder")
            size = _same_size([self.layers[i] for i in geometric], batch.height, batch.width, "RandomOrder")
            projective = any(self.layers[i].projective for i in geometric)
            batch = transform_batch(batch, matrix, size, projective=projective,
                                    interpolation=settings["interpolation"] or "bilinear",
                                    fill_mode=settings["fill_mode"] or "nearest",
                                    fill_value=settings["fill_value"] or 0.0,
                                    mask_fill_value=settings["mask_fill_value"]
                                    if settings["mask_fill_value"] is not None else 255)
        return batch


def _ranks(order, members):
    """[B, len(members)] int32: the position of each member among `members` in each sample's `order`."""
    position = ops.argsort(order, axis=-1)  # position[b, i] = where layer i sits in sample b's order
    chosen = ops.stack([position[:, i] for i in members], axis=-1)
    # Rank among the members only: how many members sit before each one.
    return ops.sum(ops.cast(chosen[:, None, :] < chosen[:, :, None], "int32"), axis=-1)


def _ordered_matrix(layers, indices, params, height, width):
    """Per sample, the product of the `indices` layers' matrices in the sample's order."""
    matrices = {i: layers[i].matrix(params["layers"][i], height, width) for i in indices}
    order = params["order"]
    matrix = None
    for k in range(len(layers)):
        step = mat.identity(ops.shape(order)[0])
        for i in indices:
            step = _where_matrix(order[:, k] == i, matrices[i], step)
        matrix = step if matrix is None else mat.multiply(matrix, step)
    return matrix


@keras.saving.register_keras_serializable(package="keras_aug")
class GeometricRandomOrder(RandomOrder, _GeometricContainer):
    """`RandomOrder` of geometric layers (built by `RandomOrder(...)`): one matrix per sample."""

    def _extra_init(self):
        return {"name_for_errors": "RandomOrder"}

    def matrix(self, params, height, width):
        return _ordered_matrix(self.layers, range(len(self.layers)), params, height, width)

    def apply(self, batch, params):
        return _GeometricContainer.apply(self, batch, params)
