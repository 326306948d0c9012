"""`--pipeline SPEC`: a `.keras` file, a JSON file of layer configs, or `module:attribute`.

* `model.keras`: a saved Keras model; its keras_aug layers (top level or in nested
  models), in order, are the pipeline. The rest of the model (Rescaling, the CNN) is not
  part of what is previewed.
* `layers.json`: what `get_config` gives, in one of three shapes:
  - a list of layers, each `{"class_name": "RandomFlip", "config": {"mode": "horizontal"}}`
    (what `keras.saving.serialize_keras_object(layer)` gives; `module` and
    `registered_name` may be present);
  - one such layer (a `Pipeline` too);
  - a `Pipeline`'s `get_config()` (a dict with "layers").
  Only keras_aug layers are looked up, by name.
* `package.module:name` or `path/to/file.py:name`: a layer, a model, a list of layers,
  or a function / class that returns one when called with no arguments.

Every problem is a `CliError` naming the spec and what was expected.
"""

import functools
import importlib
import importlib.util
import json
import os
import sys

from keras_aug.cli import CliError
from keras_aug.cli import one_line

SPEC_KINDS = "a .keras file, a .json file of layer configs, or module:attribute"


def load(spec):
    """The augmentation layer `spec` names (a keras_aug layer, a `Pipeline` or a Keras layer)."""
    if spec.endswith(".keras"):
        return _from_keras_file(spec)
    if spec.endswith(".json"):
        return _from_json_file(spec)
    module, sep, attribute = spec.rpartition(":")
    if sep and module and attribute:
        return _from_attribute(spec, module, attribute)
    raise CliError(f"--pipeline must be {SPEC_KINDS}; got {spec!r}")


def _require_file(spec):
    if not os.path.isfile(spec):
        raise CliError(f"--pipeline {spec}: no such file")


def _from_keras_file(spec):
    _require_file(spec)
    import keras

    try:
        model = keras.saving.load_model(spec, compile=False)
    except Exception as e:  # Keras raises ValueError, OSError, zipfile errors, TypeError...
        raise CliError(f"--pipeline {spec}: cannot load the model ({one_line(e)})") from e
    return _augmentation_of(model, spec)


def _from_json_file(spec):
    _require_file(spec)
    try:
        with open(spec, encoding="utf-8") as f:
            content = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CliError(f"--pipeline {spec}: not a readable JSON file ({one_line(e)})") from e
    return _layer_from_json(content, spec, "the file")


def _from_attribute(spec, module_name, attribute):
    if module_name.endswith(".py"):
        module = _import_file(spec, module_name)
    else:
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.insert(0, os.getcwd())  # as `python -m` and `python -c` do
        try:
            module = importlib.import_module(module_name)
        except Exception as e:  # ImportError, or any error raised while the module runs
            raise CliError(f"--pipeline {spec}: cannot import {module_name!r} ({one_line(e)})") from e
    try:
        value = functools.reduce(getattr, attribute.split("."), module)
    except AttributeError as e:
        raise CliError(f"--pipeline {spec}: {module_name!r} has no attribute {attribute!r}") from e
    return _layer_from_value(value, spec)


def _import_file(spec, path):
    if not os.path.isfile(path):
        raise CliError(f"--pipeline {spec}: no such file {path!r}")
    name = os.path.splitext(os.path.basename(path))[0]
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as e:
        raise CliError(f"--pipeline {spec}: {path} failed to run ({one_line(e)})") from e
    return module


def _layer_from_value(value, spec, called=False):
    import keras

    if isinstance(value, keras.Model):
        return _augmentation_of(value, spec)
    if isinstance(value, keras.layers.Layer):
        return value
    if isinstance(value, (list, tuple)) and value:
        return _pipeline(list(value), spec)
    if callable(value) and not called:
        try:
            made = value()
        except Exception as e:
            raise CliError(f"--pipeline {spec}: calling it with no arguments failed ({one_line(e)})") from e
        return _layer_from_value(made, spec, called=True)
    raise CliError(f"--pipeline {spec}: expected a Keras layer, a model, a list of layers or a function returning "
                   f"one; got {type(value).__name__}")


def _pipeline(layers, spec):
    from keras_aug.layers.compose import Pipeline

    try:
        return Pipeline(layers)
    except ValueError as e:
        raise CliError(f"--pipeline {spec}: {one_line(e)}") from e


def _augmentation_of(model, spec):
    """The model's keras_aug layers, in order: one layer, or a Pipeline of several."""
    found = _augmentation_layers(model)
    if not found:
        names = ", ".join(layer.__class__.__name__ for layer in model.layers) or "none"
        raise CliError(f"--pipeline {spec}: the model has no keras_aug augmentation layers (its layers: {names})")
    return found[0] if len(found) == 1 else _pipeline(found, spec)


def _augmentation_layers(model):
    import keras

    from keras_aug.core.base import Augmentation

    found = []
    for layer in model.layers:
        if isinstance(layer, Augmentation):
            found.append(layer)
        elif isinstance(layer, keras.Model):
            found += _augmentation_layers(layer)
    return found


def layer_classes():
    """Name -> class of every public keras_aug layer (what a JSON spec may name)."""
    import keras_aug
    from keras_aug.core.base import Augmentation

    return {
        name: value for name, value in vars(keras_aug).items()
        if isinstance(value, type) and issubclass(value, Augmentation)
    }


def _layer_from_json(entry, spec, where):
    if isinstance(entry, list):
        if not entry:
            raise CliError(f"--pipeline {spec}: {where} is an empty list of layers")
        return _pipeline([_layer_from_json(e, spec, f"layer {i}") for i, e in enumerate(entry)], spec)
    if not isinstance(entry, dict):
        raise CliError(f"--pipeline {spec}: {where} must be a layer config (a JSON object); got {type(entry).__name__}")
    if "class_name" not in entry:
        if "layers" in entry:  # a Pipeline's get_config()
            return _build("Pipeline", entry, spec, where)
        raise CliError(f"--pipeline {spec}: {where} has no \"class_name\" (expected {{\"class_name\": ..., "
                       f"\"config\": {{...}}}}, or a Pipeline config with \"layers\")")
    module = entry.get("module") or "keras_aug"
    name = str(entry.get("registered_name") or entry["class_name"]).removeprefix("keras_aug>")
    if not str(module).startswith("keras_aug"):
        raise CliError(f"--pipeline {spec}: unknown layer name {entry['class_name']!r} from module {module!r} "
                       f"in {where} (only keras_aug layers can be named in a JSON spec)")
    config = entry.get("config", {})
    if not isinstance(config, dict):
        raise CliError(f"--pipeline {spec}: the \"config\" of {where} must be a JSON object")
    return _build(name, config, spec, where)


def _build(name, config, spec, where):
    classes = layer_classes()
    if name not in classes:
        raise CliError(f"--pipeline {spec}: unknown layer name {name!r} in {where}; keras_aug layers are "
                       f"{', '.join(sorted(classes))}")
    try:
        if name == "Pipeline":
            config = dict(config)
            layers = config.pop("layers", None)
            if not isinstance(layers, list) or not layers:
                raise ValueError('a Pipeline config needs a non-empty list "layers"')
            built = [_layer_from_json(e, spec, f"layer {i} of {where}") for i, e in enumerate(layers)]
            return classes[name](built, **config)
        return classes[name].from_config(config)
    except CliError:
        raise
    except Exception as e:  # the layer's own argument checks: ValueError, TypeError
        raise CliError(f"--pipeline {spec}: bad config for {name} in {where} ({one_line(e)})") from e
