"""Pipeline: layers in order, each run of geometric layers fused into one resample."""

import keras
import numpy as np

from keras_aug.core import matrices as mat
from keras_aug.core import randomness
from keras_aug.core.base import Augmentation
from keras_aug.core.base import ImageShape
from keras_aug.core.base import shape_of
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
    """The per-sample matrices of a run of geometric layers, multiplied into one.

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
    matrix = None
    height, width = shape.height, shape.width
    for i, layer in enumerate(layers):
        step_shape = ImageShape(shape.batch_size, height, width, shape.channels)
        params = layer.sample(step_shape, randomness.Draws(randomness.fold_in(seed, first_index + i)))
        m = layer.matrix(params, height, width)
        matrix = m if matrix is None else mat.multiply(matrix, m)
        height, width = layer.output_size(height, width)
    return matrix, (height, width)


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


@keras.saving.register_keras_serializable(package="keras_aug")
class Pipeline(Augmentation):
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

    def augment(self, batch, seed):
        index = 0
        for kind, item, settings in self._steps:
            if kind == "single" or len(item) == 1:
                layer = item if kind == "single" else item[0]
                batch = layer.augment(batch, randomness.fold_in(seed, index))
                index += 1
                continue
            matrix, (height, width) = run_matrices(item, shape_of(batch), seed, index)
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

    def get_config(self):
        config = super().get_config()
        config["layers"] = [keras.saving.serialize_keras_object(layer) for layer in self.layers]
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layers"] = [keras.saving.deserialize_keras_object(layer) for layer in config["layers"]]
        return cls(**config)
