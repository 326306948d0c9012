"""`ImageDataGenerator`: the legacy Keras front end, on keras_aug layers and tf.data.

Migrating is a one-line import change::

    # from tensorflow.keras.preprocessing.image import ImageDataGenerator
    from keras_aug import ImageDataGenerator

    gen = ImageDataGenerator(rotation_range=20, width_shift_range=0.1, zoom_range=0.2,
                             horizontal_flip=True, rescale=1 / 255, validation_split=0.2)
    train = gen.flow_from_directory("data", target_size=(150, 150), subset="training")
    model.fit(train, epochs=10)

The keyword arguments keep their legacy units and are mapped onto keras_aug layers (see
`ImageDataGenerator.layers`); `flow_from_directory`, `flow_from_dataframe` and `flow`
return the seeded, parallel `tf.data.Dataset` pipelines of `keras_aug.data` (with the
legacy attributes `class_indices`, `filenames`, `classes`, `samples`). An argument with no
faithful mapping raises a `ValueError` naming it; nothing is dropped silently.

Differences from the legacy generator, all on purpose or documented approximations:

* the result is a `tf.data.Dataset` (iterate it or pass it to `fit`), not a Python
  iterator: `next(gen)`/`gen[i]` do not exist; use `iter(ds)`, `ds.take(1)`;
* bad files are skipped and reported instead of stopping training; EXIF orientation is
  applied; 16-bit files are scaled to 8 bits instead of clipped;
* the geometric augmentation is one resample about the image centre (rotation,
  translation, shear, zoom and flips fused) instead of scipy's spline warp;
* `shear_range` maps to an x-shear about the centre of up to `shear_range` degrees
  (`RandomAffine(0, shear=shear_range)`, angle `a` moves row `r` by `tan(a) * r`); legacy
  moves it by `sin(a) * r` and also scales rows by `cos(a)` (under 6 % apart at 20°);
* integer shift ranges `n` draw continuous shifts in [-(n-1), n-1] pixels (legacy draws
  whole pixels from that set); legacy tf_keras applies `height_shift_range` horizontally
  and `width_shift_range` vertically (its `tx`/`ty` are swapped): here height shifts move
  content vertically and width shifts horizontally, as the names say.
"""

import numbers
import warnings

import numpy as np
import tensorflow as tf

from keras_aug.data import exit_guard
from keras_aug.data import sources
from keras_aug.layers import compose
from keras_aug.layers import geometric
from keras_aug.layers import photometric

_FILL_MODES = ("constant", "nearest", "reflect", "wrap")
_DATA_FORMATS = ("channels_last", "channels_first")


def _check_number(name, value, minimum=0.0):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < minimum:
        raise ValueError(f"`{name}` must be a number >= {minimum}; received {name}={value!r}")
    return float(value)


def _shift_fraction(name, value, size):
    """Legacy shift range -> RandomTranslation factor (fraction of `size`), or None.

    float < 1: fraction of the size; float >= 1: pixels; int n: pixels in [-(n-1), n-1]
    (legacy draws from `range(n)` with a random sign). Lists/tuples (a legacy discrete
    choice) have no continuous equivalent.
    """
    if value is None or (isinstance(value, numbers.Real) and not isinstance(value, bool) and value == 0):
        return None
    if isinstance(value, (list, tuple, np.ndarray)):
        raise ValueError(
            f"`{name}` as a list of allowed shifts (a discrete choice) has no equivalent in "
            f"keras_aug; pass a float fraction (< 1), a float number of pixels (>= 1) or an "
            f"int; received {name}={value!r}"
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"`{name}` must be a number >= 0; received {name}={value!r}")
    if isinstance(value, (int, np.integer)):
        pixels = max(int(value) - 1, 0)
        return pixels / size if pixels else None
    if value < 1:
        return float(value)
    return float(value) / size


def _zoom_bounds(zoom_range):
    """Legacy `zoom_range` (a float z, or a (low, high) pair) as [low, high] zoom factors."""
    if isinstance(zoom_range, numbers.Real) and not isinstance(zoom_range, bool):
        bounds = [1 - zoom_range, 1 + zoom_range]
    elif (
        isinstance(zoom_range, (list, tuple))
        and len(zoom_range) == 2
        and all(isinstance(v, numbers.Real) for v in zoom_range)
    ):
        bounds = [zoom_range[0], zoom_range[1]]
    else:
        raise ValueError(
            f"`zoom_range` must be a float or a (low, high) pair of floats; received zoom_range={zoom_range!r}"
        )
    if bounds[0] < 0 or bounds[0] > bounds[1]:
        raise ValueError(f"`zoom_range` must satisfy 0 <= low <= high; received zoom_range={zoom_range!r}")
    return bounds


def _check_brightness_range(brightness_range):
    if brightness_range is not None:
        if not isinstance(brightness_range, (tuple, list)) or len(brightness_range) != 2:
            raise ValueError(
                f"`brightness_range` must be a (low, high) pair of floats; received brightness_range={brightness_range!r}"
            )
    return brightness_range


class ImageDataGenerator:
    """Legacy `ImageDataGenerator` arguments, keras_aug layers and tf.data underneath.

    Args (legacy units):
        featurewise_center: subtract the dataset mean per channel (needs `fit`).
        samplewise_center: subtract each image's mean.
        featurewise_std_normalization: divide by the dataset std per channel (needs `fit`).
        samplewise_std_normalization: divide each image by its std.
        zca_whitening: apply ZCA whitening (needs `fit`); zca_epsilon: its epsilon.
        rotation_range: degrees; rotations drawn in [-r, r] ->
            `RandomRotation(r / 360)`.
        width_shift_range, height_shift_range: fraction of the size (float < 1), pixels
            (float >= 1) or int n (pixels up to n - 1) -> `RandomTranslation`.
        brightness_range: (a, b) multipliers -> `RandomBrightnessScale((a, b))`.
        shear_range: degrees -> `RandomAffine(0, shear=shear_range)` (see module notes).
        zoom_range: float z -> zoom in [1 - z, 1 + z], or (low, high); x and y drawn
            independently, zoom > 1 zooms out -> `RandomZoom((low-1, high-1), (low-1, high-1))`.
        channel_shift_range: pixel units -> `RandomChannelShift(r)`.
        fill_mode: "constant", "nearest", "reflect" or "wrap"; cval: the constant.
        horizontal_flip, vertical_flip: random flips -> `RandomFlip`.
        rescale: factor multiplied into the images after augmentation (e.g. 1/255).
        preprocessing_function: called on each augmented image (a float32 HWC numpy
            array), before rescaling, as legacy; it runs in Python (`tf.numpy_function`),
            so a keras_aug layer in `augment` is much faster for the same job.
        data_format: "channels_last" (default) or "channels_first" (outputs NCHW).
        validation_split: fraction in (0, 1) held out for `subset="validation"`.
        interpolation_order: 0 (nearest) or 1 (bilinear) for the augmentation warp.
        dtype: float dtype of the outputs (default "float32").

    Raises:
        ValueError: an argument out of range, or with no faithful mapping (named).
    """

    def __init__(
        self,
        featurewise_center=False,
        samplewise_center=False,
        featurewise_std_normalization=False,
        samplewise_std_normalization=False,
        zca_whitening=False,
        zca_epsilon=1e-6,
        rotation_range=0,
        width_shift_range=0.0,
        height_shift_range=0.0,
        brightness_range=None,
        shear_range=0.0,
        zoom_range=0.0,
        channel_shift_range=0.0,
        fill_mode="nearest",
        cval=0.0,
        horizontal_flip=False,
        vertical_flip=False,
        rescale=None,
        preprocessing_function=None,
        data_format=None,
        validation_split=0.0,
        interpolation_order=1,
        dtype=None,
    ):
        self._set_normalization(featurewise_center, samplewise_center, featurewise_std_normalization,
                                samplewise_std_normalization, zca_whitening, zca_epsilon)
        self._set_geometry(rotation_range, width_shift_range, height_shift_range, shear_range, zoom_range,
                           fill_mode, cval, horizontal_flip, vertical_flip, interpolation_order)
        self.channel_shift_range = _check_number("channel_shift_range", channel_shift_range)
        self.brightness_range = _check_brightness_range(brightness_range)
        self._set_output(rescale, preprocessing_function, data_format, validation_split, dtype)

    def _set_normalization(self, featurewise_center, samplewise_center, featurewise_std_normalization,
                           samplewise_std_normalization, zca_whitening, zca_epsilon):
        self.featurewise_center = bool(featurewise_center)
        self.samplewise_center = bool(samplewise_center)
        self.featurewise_std_normalization = bool(featurewise_std_normalization)
        self.samplewise_std_normalization = bool(samplewise_std_normalization)
        self.zca_whitening = bool(zca_whitening)
        self.zca_epsilon = _check_number("zca_epsilon", zca_epsilon)
        self._apply_implied_normalization()
        self.mean = None
        self.std = None
        self.zca_whitening_matrix = None

    def _apply_implied_normalization(self):
        """Legacy: these settings imply each other (with the same warnings)."""
        if self.zca_whitening:
            if not self.featurewise_center:
                self.featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which overrides setting of `featurewise_center`.")
            if self.featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn(
                    "This ImageDataGenerator specifies `zca_whitening` which overrides setting of"
                    "`featurewise_std_normalization`."
                )
        if self.featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            warnings.warn(
                "This ImageDataGenerator specifies `featurewise_std_normalization`, which overrides setting of "
                "`featurewise_center`."
            )
        if self.samplewise_std_normalization and not self.samplewise_center:
            self.samplewise_center = True
            warnings.warn(
                "This ImageDataGenerator specifies `samplewise_std_normalization`, which overrides setting of "
                "`samplewise_center`."
            )

    def _set_geometry(self, rotation_range, width_shift_range, height_shift_range, shear_range, zoom_range,
                      fill_mode, cval, horizontal_flip, vertical_flip, interpolation_order):
        self.rotation_range = _check_number("rotation_range", rotation_range)
        # Validate shifts now (size 1 is a placeholder; the real size comes at flow time).
        _shift_fraction("width_shift_range", width_shift_range, 1)
        _shift_fraction("height_shift_range", height_shift_range, 1)
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = _check_number("shear_range", shear_range)
        if self.shear_range >= 90:
            raise ValueError(f"`shear_range` is in degrees and must be < 90; received shear_range={shear_range!r}")
        self.zoom_range = _zoom_bounds(zoom_range)
        if fill_mode not in _FILL_MODES:
            raise ValueError(f"`fill_mode` must be one of {_FILL_MODES}; received fill_mode={fill_mode!r}")
        self.fill_mode = fill_mode
        self.cval = float(_check_number("cval", cval, minimum=-np.inf))
        self.horizontal_flip = bool(horizontal_flip)
        self.vertical_flip = bool(vertical_flip)
        if interpolation_order not in (0, 1):
            raise ValueError(
                "`interpolation_order` must be 0 (nearest) or 1 (bilinear): keras_aug warps "
                f"without higher-order splines; received interpolation_order={interpolation_order!r}"
            )
        self.interpolation_order = interpolation_order

    def _set_output(self, rescale, preprocessing_function, data_format, validation_split, dtype):
        if rescale is not None and rescale != 0:
            _check_number("rescale", rescale, minimum=-np.inf)
        self.rescale = rescale or None  # legacy: 0 or None means no rescaling
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise ValueError(
                f"`preprocessing_function` must be callable or None; received {preprocessing_function!r}"
            )
        self.preprocessing_function = preprocessing_function
        data_format = data_format or "channels_last"
        if data_format not in _DATA_FORMATS:
            raise ValueError(f"`data_format` must be one of {_DATA_FORMATS}; received data_format={data_format!r}")
        self.data_format = data_format
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(
                f"`validation_split` must be strictly between 0 and 1; received validation_split={validation_split!r}"
            )
        self._validation_split = float(validation_split or 0.0)
        self.validation_split = self._validation_split
        self.dtype = dtype or "float32"
        if not tf.as_dtype(self.dtype).is_floating:
            raise ValueError(f"`dtype` must be a float dtype; received dtype={dtype!r}")

    # ---- the mapping onto layers ---------------------------------------------------------
    def layers(self, height, width):
        """The keras_aug layers this generator applies to images of `height` x `width`.

        In legacy order: rotation, translation, shear, zoom (one fused warp about the
        centre, like legacy's single affine), then flips, channel shift, brightness.
        """
        warp = dict(
            fill_mode=self.fill_mode,
            fill_value=self.cval,
            interpolation="nearest" if self.interpolation_order == 0 else "bilinear",
        )
        layers = []
        if self.rotation_range:
            layers.append(geometric.RandomRotation(self.rotation_range / 360.0, **warp))
        dy = _shift_fraction("height_shift_range", self.height_shift_range, height)
        dx = _shift_fraction("width_shift_range", self.width_shift_range, width)
        if dy or dx:
            layers.append(geometric.RandomTranslation(dy or 0.0, dx or 0.0, **warp))
        if self.shear_range:
            layers.append(geometric.RandomAffine(0, shear=self.shear_range, **warp))
        low, high = self.zoom_range
        if not (low == 1 and high == 1):
            factor = (low - 1.0, high - 1.0)
            layers.append(geometric.RandomZoom(factor, factor, **warp))
        if self.horizontal_flip:
            layers.append(geometric.RandomFlip("horizontal"))
        if self.vertical_flip:
            layers.append(geometric.RandomFlip("vertical"))
        if self.channel_shift_range:
            layers.append(photometric.RandomChannelShift(self.channel_shift_range))
        if self.brightness_range is not None:
            layers.append(photometric.RandomBrightnessScale(tuple(self.brightness_range)))
        return layers

    def _augment(self, height, width):
        layers = self.layers(height, width)
        return compose.Pipeline(layers) if layers else None

    # ---- standardisation (legacy `standardize`, in the graph, per image of a batch) ------
    def _standardize_batch(self, images):
        dtype = images.dtype
        if self.preprocessing_function is not None:
            images = _map_python(self.preprocessing_function, images)
        if self.rescale:
            images = images * tf.cast(self.rescale, dtype)
        if self.samplewise_center:
            images = images - tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
        if self.samplewise_std_normalization:
            images = images / (tf.math.reduce_std(images, axis=[1, 2, 3], keepdims=True) + 1e-6)
        if self.featurewise_center:
            if self.mean is None:
                warnings.warn(
                    "This ImageDataGenerator specifies `featurewise_center`, but it hasn't been fit on any "
                    "training data. Fit it first by calling `.fit(numpy_data)`."
                )
            else:
                images = images - tf.constant(self.mean, dtype)
        if self.featurewise_std_normalization:
            if self.std is None:
                warnings.warn(
                    "This ImageDataGenerator specifies `featurewise_std_normalization`, but it hasn't been "
                    "fit on any training data. Fit it first by calling `.fit(numpy_data)`."
                )
            else:
                images = images / (tf.constant(self.std, dtype) + 1e-6)
        if self.zca_whitening:
            if self.zca_whitening_matrix is None:
                warnings.warn(
                    "This ImageDataGenerator specifies `zca_whitening`, but it hasn't been fit on any "
                    "training data. Fit it first by calling `.fit(numpy_data)`."
                )
            else:
                shape = tf.shape(images)
                flat = tf.reshape(images, [shape[0], -1])
                images = tf.reshape(flat @ tf.constant(self.zca_whitening_matrix, dtype), shape)
        if self.data_format == "channels_first":
            images = tf.transpose(images, [0, 3, 1, 2])
        return images

    def standardize(self, x):
        """Legacy `standardize` on a numpy batch or image (returns a new array)."""
        x = np.asarray(x, dtype=self.dtype)
        batched = x.ndim == 4
        out = self._standardize_batch(tf.constant(x if batched else x[None]))
        out = out.numpy()
        return out if batched else out[0]

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Computes the dataset statistics for the featurewise options and ZCA (legacy).

        Args:
            x: array [N, H, W, C] (channels_last).
            augment: must be False: legacy fits on augmented copies; not supported.
            rounds, seed: only meaningful with `augment`.
        """
        if augment:
            raise ValueError("`augment=True` in `fit` is not supported by keras_aug's ImageDataGenerator; use augment=False.")
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"Input to `.fit()` should have rank 4; received shape {x.shape}")
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if self.featurewise_center:
            self.mean = np.mean(x, axis=(0, 1, 2)).reshape((1, 1, x.shape[3]))
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=(0, 1, 2)).reshape((1, 1, x.shape[3]))
            x /= self.std + 1e-6
        if self.zca_whitening:
            n = len(x)
            flat_x = np.reshape(x, (n, -1))
            sigma = np.dot(flat_x.T, flat_x) / n
            u, s, _ = np.linalg.svd(sigma)
            s_inv = 1.0 / np.sqrt(s[np.newaxis] + self.zca_epsilon)
            self.zca_whitening_matrix = (u * s_inv).dot(u.T)

    # ---- the flows -----------------------------------------------------------------------
    @staticmethod
    def _no_save(save_to_dir):
        if save_to_dir is not None:
            raise ValueError(
                "`save_to_dir` is not supported: the pipeline is a tf.data.Dataset; save a few "
                "batches yourself (e.g. from `ds.take(1)`)."
            )

    def flow_from_directory(
        self,
        directory,
        target_size=(256, 256),
        color_mode="rgb",
        classes=None,
        class_mode="categorical",
        batch_size=32,
        shuffle=True,
        seed=None,
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        follow_links=False,
        subset=None,
        interpolation="nearest",
        keep_aspect_ratio=False,
        **kwargs,
    ):
        """Legacy `flow_from_directory` -> `keras_aug.data.from_directory` (a tf.data.Dataset).

        Same arguments and defaults as legacy (`interpolation="nearest"`); extra keyword
        arguments of `from_directory` (`on_bad_file`, `num_parallel_calls`, `max_pixels`,
        `verbose`) pass through.
        """
        self._no_save(save_to_dir)
        return sources.from_directory(
            directory,
            target_size=target_size,
            color_mode=color_mode,
            classes=classes,
            class_mode=class_mode,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            follow_links=follow_links,
            subset=subset,
            validation_split=self._validation_split,
            interpolation=interpolation,
            keep_aspect_ratio=keep_aspect_ratio,
            augment=self._augment(*target_size),
            dtype=self.dtype,
            _batch_fn=self._standardize_batch,
            **kwargs,
        )

    def flow_from_dataframe(
        self,
        dataframe,
        directory=None,
        x_col="filename",
        y_col="class",
        weight_col=None,
        target_size=(256, 256),
        color_mode="rgb",
        classes=None,
        class_mode="categorical",
        batch_size=32,
        shuffle=True,
        seed=None,
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        subset=None,
        interpolation="nearest",
        validate_filenames=True,
        **kwargs,
    ):
        """Legacy `flow_from_dataframe` -> `keras_aug.data.from_dataframe` (a tf.data.Dataset)."""
        self._no_save(save_to_dir)
        for old in ("has_ext", "sort", "drop_duplicates"):
            if old in kwargs:
                kwargs.pop(old)
                warnings.warn(f"`{old}` is deprecated and ignored, as in the legacy generator.", DeprecationWarning)
        if class_mode == "other":
            warnings.warn('`class_mode` "other" is deprecated, please use `class_mode` "raw".', DeprecationWarning)
            class_mode = "raw"
        return sources.from_dataframe(
            dataframe,
            directory=directory,
            x_col=x_col,
            y_col=y_col,
            weight_col=weight_col,
            target_size=target_size,
            color_mode=color_mode,
            classes=classes,
            class_mode=class_mode,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            subset=subset,
            validation_split=self._validation_split,
            interpolation=interpolation,
            validate_filenames=validate_filenames,
            augment=self._augment(*target_size),
            dtype=self.dtype,
            _batch_fn=self._standardize_batch,
            **kwargs,
        )

    def flow(
        self,
        x,
        y=None,
        batch_size=32,
        shuffle=True,
        sample_weight=None,
        seed=None,
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        ignore_class_split=False,
        subset=None,
        **kwargs,
    ):
        """Legacy `flow` -> `keras_aug.data.from_arrays` (a tf.data.Dataset).

        `x` is [N, H, W, C] (or [N, C, H, W] with `data_format="channels_first"`).
        """
        self._no_save(save_to_dir)
        if isinstance(x, (tuple, list)):
            raise ValueError("`x` as a tuple (images, extra inputs) is not supported; pass the image array.")
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"Input data in `flow` should have rank 4; received shape {x.shape}")
        if self.data_format == "channels_first":
            x = np.transpose(x, (0, 2, 3, 1))
        if subset is not None and y is not None and not ignore_class_split:
            split = int(len(x) * self._validation_split)
            y_arr = np.asarray(y)
            if not np.array_equal(np.unique(y_arr[:split]), np.unique(y_arr[split:])):
                raise ValueError(
                    "Training and validation subsets have different number of classes after the split. If "
                    "your numpy arrays are sorted by the label, you might want to shuffle them."
                )
        return sources.from_arrays(
            x,
            y,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            sample_weight=sample_weight,
            subset=subset,
            validation_split=self._validation_split,
            augment=self._augment(x.shape[1], x.shape[2]),
            dtype=self.dtype,
            _batch_fn=self._standardize_batch,
            **kwargs,
        )


def _map_python(fn, images):
    """Applies a numpy function to each image of a batch (legacy `preprocessing_function`)."""
    dtype = images.dtype

    def call(image):
        out = np.asarray(fn(np.array(image)), dtype=dtype.as_numpy_dtype)
        if out.shape != image.shape:
            raise ValueError(
                f"`preprocessing_function` must return an image of the same shape {image.shape}; got {out.shape}"
            )
        return out

    def one(image):
        out = exit_guard.numpy_function(call, [image], dtype, stateful=False)
        out.set_shape(image.shape)
        return out

    return tf.map_fn(one, images, fn_output_signature=tf.TensorSpec(images.shape[1:], dtype))
