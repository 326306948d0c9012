"""Pipeline: layers in order, each run of geometric layers fused into one resample."""

import keras
import numpy as np

from keras_aug.core import matrices as mat
from keras_aug.core import randomness
from keras_aug.core.base import Augmentation
from keras_aug.core.base import ImageShape
from keras_aug.core.geometric import GeometricAugmentation
from keras_aug.core.geometric import transform_batch


def _settings_key(layer):
    return (layer.interpolation, layer.fill_mode, layer.fill_value if layer.fill_mode == "constant" else None)


def _compatible(run_settings, layer):
    """Whether `layer` can share one resample with a run of `run_settings`.

    None (a layer that never reads outside the image, or has no interpolation
    of its own) matches anything. Layers are fused only when the result is
    the same as applying them one after another with their own settings.
    """
    for have, want in zip(run_settings, _settings_key(layer)):
        if have is not None and want is not None and have != want:
            return False
    return run_settings[3] == layer.mask_fill_value


def _merge(run_settings, layer):
    merged = tuple(w if h is None else h for h, w in zip(run_settings[:3], _settings_key(layer)))
    return merged + (run_settings[3],)


def plan_runs(layers):
    """Groups layers into steps: ("fused", [geometric layers]) or ("single", layer)."""
    steps = []
    for layer in layers:
        if isinstance(layer, GeometricAugmentation):
            if steps and steps[-1][0] == "fused" and _compatible(steps[-1][2], layer):
                steps[-1][1].append(layer)
                steps[-1] = ("fused", steps[-1][1], _merge(steps[-1][2], layer))
                continue
            settings = _settings_key(layer) + (layer.mask_fill_value,)
            steps.append(("fused", [layer], settings))
        else:
            steps.append(("single", layer, None))
    return steps


def run_matrices(layers, shape, seed, first_index=0):
    """The per-sample matrices of a run of geometric layers, sampled and multiplied into one.

    Layer `i` of the run draws from `fold_in(seed, first_index + i)`, as inside a
    `Pipeline`, so the data path can sample a run on its own and get what the
    Pipeline would.

    Args:
      layers: geometric layers, applied in order.
      shape: the `ImageShape` the run starts from.
      seed: int [2] seed tensor of the call.
      first_index: position of `layers[0]` among the pipeline's layers.

    Returns:
      ([B, 3, 3] output -> input matrices, (height, width) of the run's output).
    """
    params = sample_layers(layers, shape, seed, first_index)
    return run_matrix(layers, params, shape.height, shape.width)


def step_shapes(layers, shape):
    """The `ImageShape` each of `layers` sees when they run in order from `shape`."""
    shapes = []
    height, width = shape.height, shape.width
    for layer in layers:
        shapes.append(ImageShape(shape.batch_size, height, width, shape.channels))
        height, width = layer.output_size(height, width)
    return shapes


def sample_layers(layers, shape, seed, first_index=0):
    """Each layer's parameters, layer `i` drawn from `fold_in(seed, first_index + i)` at its step's shape."""
    # The layers' seeds and first stream keys are derived together (a graph a fraction
    # the size of one `fold_in` and `Draws` per layer), with the same values.
    draws = randomness.fold_in_draws(seed, range(first_index, first_index + len(layers)))
    return [layer.sample_from_draws(step, own) for layer, own, step in zip(layers, draws, step_shapes(layers, shape))]


def run_matrix(layers, params, height, width):
    """The product of a run's matrices for per-layer `params`, and the run's output (height, width)."""
    matrix = None
    for layer, own in zip(layers, params):
        m = layer.matrix(own, height, width)
        matrix = m if matrix is None else mat.multiply(matrix, m)
        height, width = layer.output_size(height, width)
    return matrix, (height, width)


def flatten_params(params):
    """Per-layer parameter dicts as one dict, keys "<layer index>/<key>" (what `select_params` takes)."""
    return {f"{i}/{key}": value for i, own in enumerate(params) for key, value in own.items()}


def unflatten_params(params, count):
    """The inverse of `flatten_params` for `count` layers."""
    layers = [{} for _ in range(count)]
    for name, value in params.items():
        index, key = name.split("/", 1)
        layers[int(index)][key] = value
    return layers


def agreed_setting(layers, name, value, given):
    """The pipeline's `name`: `value`, or the one its layers were given.

    Layers for which `given(layer)` is false defer to the others. Raises a
    ValueError naming the layers when the given values disagree (with each
    other, or with `value` when the pipeline was given one).
    """
    chosen = {}
    for i, layer in enumerate(layers):
        if given(layer):
            chosen.setdefault(getattr(layer, name), []).append(f"layers[{i}] ({type(layer).__name__})")
    if value is not None:
        others = {v: where for v, where in chosen.items() if v != value}
        if others:
            raise ValueError(
                f"Pipeline(`{name}`={value!r}) disagrees with its layers: "
                + "; ".join(f"{', '.join(where)} say {v!r}" for v, where in others.items())
                + f". Give the layers {value!r} or leave `{name}` unset on them."
            )
        return value
    if len(chosen) > 1:
        raise ValueError(
            f"The layers of a Pipeline must agree on `{name}`: "
            + "; ".join(f"{', '.join(where)} say {v!r}" for v, where in chosen.items())
            + f". Give them one value, or pass `{name}` to the Pipeline and leave it unset on the layers."
        )
    return next(iter(chosen), None)


def derive_seed(layers):
    """A seed derived from the layers' seeds when every layer has one, else None."""
    seeds = [layer.reproducible_seed for layer in layers]
    if not seeds or any(s is None for s in seeds):
        return None
    return int(np.random.SeedSequence(seeds).generate_state(1)[0] % 2**31)


class SerializesLayers:
    """`get_config` / `from_config` of a layer that holds a list `self.layers` of layers."""

    def get_config(self):
        config = super().get_config()
        config["layers"] = [keras.saving.serialize_keras_object(layer) for layer in self.layers]
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layers"] = [keras.saving.deserialize_keras_object(layer) for layer in config["layers"]]
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_aug")
class Pipeline(SerializesLayers, Augmentation):
    """Applies `layers` in order; consecutive geometric layers cost ONE resample.

    Each geometric layer contributes a per-sample matrix; a run of them is
    multiplied into one matrix and the batch is warped once (faster than one
    resample per layer, and sharper: no repeated interpolation). A run of a
    single flip or quarter turn stays an exact index move. Layers whose
    interpolation or fill differ start a new run, so fusing never changes
    what a layer means.

    Args:
      layers: a list of keras_aug layers (any mix of families).
      seed: seeds the whole pipeline; each layer gets its own stream derived
        from the call's seed and its position. None (default): when every
        layer has a seed, the pipeline's seed is derived from theirs, so the
        same seeded layers give the same results each time the pipeline is
        built; otherwise a random seed.
      bounding_box_format, data_format: see `keras_aug.core.Augmentation`;
        they apply to every layer of the pipeline. None (default) takes the
        value the layers were given, when they agree; layers that were given
        different values, or a value other than the pipeline's, raise a
        ValueError naming them.

    Targets: whatever each layer does to each target.

    Parameters (`sample`): every layer's parameters in one dict, keys
    "<layer index>/<key>" (layer i drawn from `fold_in(seed, i)`, as a call
    does); `identity_params`: every layer's identity parameters in the same
    form, so `select_params` switches the whole pipeline off per sample. It
    raises the ValueError of a layer that has none (a resize or crop to
    another size).
    """

    def __init__(self, layers, seed=None, bounding_box_format=None, data_format=None, **kwargs):
        layers = list(layers)
        for i, layer in enumerate(layers):
            if not isinstance(layer, Augmentation):
                raise ValueError(
                    f"`layers[{i}]` must be a keras_aug layer (a keras_aug.core.Augmentation); got {layer!r}."
                )
        bounding_box_format = agreed_setting(
            layers, "bounding_box_format", bounding_box_format, lambda layer: layer.bounding_box_format is not None)
        data_format = agreed_setting(layers, "data_format", data_format, lambda layer: layer.data_format_given)
        super().__init__(seed=seed, bounding_box_format=bounding_box_format, data_format=data_format, **kwargs)
        self.layers = layers
        self.supports_jit = all(layer.supports_jit for layer in layers)
        self._steps = plan_runs(layers)
        self._derived_seed = derive_seed(layers) if seed is None else None
        if self._derived_seed is not None:
            self.use_seed(self._derived_seed)

    @property
    def reproducible_seed(self):
        return self.seed if self.seed is not None else self._derived_seed

    @property
    def is_geometric(self):
        return bool(self.layers) and all(layer.is_geometric for layer in self.layers)

    def output_size(self, height, width):
        for layer in self.layers:
            height, width = layer.output_size(height, width)
        return height, width

    def sample_from_seed(self, shape, seed):
        return flatten_params(sample_layers(self.layers, shape, seed))

    def sample_from_draws(self, shape, draws):
        return self.sample_from_seed(shape, draws.seed)

    def sample(self, shape, draws):
        # One seed drawn from `draws`; layer i then draws from fold_in(seed, i), as in a call.
        return self.sample_from_seed(shape, draws.integers([2], 0, 2**31 - 1))

    def identity_params(self, shape):
        steps = step_shapes(self.layers, shape)
        return flatten_params([layer.identity_params(step) for layer, step in zip(self.layers, steps)])

    def apply(self, batch, params):
        params = unflatten_params(params, len(self.layers))
        index = 0
        for kind, item, settings in self._steps:
            if kind == "single" or len(item) == 1:
                layer = item if kind == "single" else item[0]
                batch = layer.apply(batch, params[index])
                index += 1
                continue
            matrix, (height, width) = run_matrix(item, params[index:index + len(item)], batch.height, batch.width)
            index += len(item)
            interpolation, fill_mode, fill_value = settings[:3]
            batch = transform_batch(
                batch, matrix, (height, width), interpolation=interpolation or "bilinear",
                fill_mode=fill_mode or "nearest", fill_value=fill_value or 0.0, mask_fill_value=settings[3],
                projective=any(layer.projective for layer in item),
            )
        return batch

    def inference(self, batch):
        # Only layers that act when not augmenting (resizes, crops) matter
        # here. A run of one layer uses that layer's own inference (exact
        # slices, smart_resize parity); a longer run fuses the inference
        # matrices of its layers into one resample, as in `augment`.
        for kind, item, settings in self._steps:
            if kind == "single" or len(item) == 1:
                layer = item if kind == "single" else item[0]
                batch = layer.inference(batch)
                continue
            matrix = None
            acting = []
            height, width = batch.height, batch.width
            for layer in item:
                m = layer.inference_matrix(ImageShape(batch.batch_size, height, width, batch.images.shape[-1]))
                if m is None:
                    continue
                acting.append(layer)
                matrix = m if matrix is None else mat.multiply(matrix, m)
                height, width = layer.output_size(height, width)
            if len(acting) == 1:
                # The others are the identity here: the one layer acts alone.
                batch = acting[0].inference(batch)
            elif matrix is not None:
                interpolation, fill_mode, fill_value = settings[:3]
                batch = transform_batch(
                    batch, matrix, (height, width), interpolation=interpolation or "bilinear",
                    fill_mode=fill_mode or "nearest", fill_value=fill_value or 0.0, mask_fill_value=settings[3],
                    projective=any(layer.projective for layer in acting),
                )
        return batch
