"""Walk a directory tree into (class names, files, labels), exactly like the legacy generator.

`tf_keras.preprocessing.image.ImageDataGenerator().flow_from_directory` defines the
behaviour users migrate from, so this module reproduces its listing rules bit for bit:

* classes are the sorted names of the immediate sub-directories of `directory`
  (or the `classes` list given, in that order);
* inside each class directory the tree is walked with `os.walk` (following symlinks only
  when `follow_links=True`), directories are visited in sorted path order, files in sorted
  name order, and a file is kept when its lower-cased name ends with one of
  `WHITE_LIST_FORMATS`;
* a validation split is taken **per class**: with `n` files in a class and split fraction
  `v`, the validation subset is files `[0, int(v * n))` and the training subset is
  `[int(v * n), n)`;
* `filenames` are relative to `directory` (`"class/sub/file.jpg"`), and files are ordered
  class by class.

Nothing here opens an image; probing and decoding live in `keras_aug.data.decoding`.
"""

import dataclasses
import os

import numpy as np

# The legacy generator's white list (tf_keras `Iterator.white_list_formats`); the same
# set keeps `filenames` and `samples` identical to the legacy iterator on the same tree.
WHITE_LIST_FORMATS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")

SUBSETS = ("training", "validation")


@dataclasses.dataclass
class Listing:
    """The result of listing a directory.

    Attributes:
        directory: the root directory that was listed.
        class_names: list of class names; the label of class `class_names[i]` is `i`.
        filenames: paths relative to `directory`, in legacy order.
        labels: int32 array of class indices, one per file.
    """

    directory: str
    class_names: list
    filenames: list
    labels: np.ndarray

    @property
    def class_indices(self):
        """Dict mapping class name to class index (the legacy attribute)."""
        return {name: i for i, name in enumerate(self.class_names)}

    @property
    def filepaths(self):
        """Full paths (`directory` joined with each filename)."""
        return [join_relative(self.directory, f) for f in self.filenames]


def split_bounds(validation_split, subset):
    """Returns the `(start, stop)` fractions of each class that `subset` keeps, or None.

    Args:
        validation_split: float in [0, 1); the fraction of each class held out for
            validation. 0 means no split.
        subset: None, "training" or "validation".

    Raises:
        ValueError: `subset` is not one of the allowed values, or `validation_split` is
            outside (0, 1) when a subset is asked for.
    """
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            "`validation_split` must be strictly between 0 and 1. "
            f"Received: validation_split={validation_split!r}"
        )
    if subset is None:
        return None
    if subset not in SUBSETS:
        raise ValueError(
            f"Invalid subset={subset!r}; expected one of {SUBSETS} or None."
        )
    # Legacy behaviour: with validation_split=0, "validation" is empty and "training"
    # is everything.
    if subset == "validation":
        return (0.0, float(validation_split or 0.0))
    return (float(validation_split or 0.0), 1.0)


def iter_valid_files(directory, follow_links=False, white_list=WHITE_LIST_FORMATS):
    """Yields `(root, filename)` for white-listed files under `directory`, legacy order."""
    walk = sorted(os.walk(directory, followlinks=follow_links), key=lambda x: x[0])
    for root, _, files in walk:
        for fname in sorted(files):
            if fname.lower().endswith(white_list):
                yield root, fname


def join_relative(head, tail):
    """`os.path.join(head, tail)` for a relative `tail`: plain concatenation on POSIX.

    Called twice per listed file; `os.path.join` was most of the listing's own time on
    a 20,000-file tree.
    """
    if os.sep != "/":
        return os.path.join(head, tail)
    return head + tail if not head or head.endswith("/") else head + "/" + tail


def list_class_names(directory):
    """Sorted names of the immediate sub-directories of `directory`."""
    return [
        d for d in sorted(os.listdir(directory)) if os.path.isdir(os.path.join(directory, d))
    ]


def list_directory(
    directory,
    classes=None,
    follow_links=False,
    validation_split=0.0,
    subset=None,
    white_list=WHITE_LIST_FORMATS,
):
    """Lists a class-per-sub-directory image tree with the legacy generator's rules.

    Args:
        directory: root directory; each sub-directory is one class.
        classes: optional list of class sub-directory names; their order fixes the class
            indices. Default: the sorted sub-directory names.
        follow_links: follow symbolic links to sub-directories while walking.
        validation_split: fraction in [0, 1) of each class reserved for "validation".
        subset: None (all files), "training" or "validation".
        white_list: tuple of allowed lower-case file extensions.

    Returns:
        A `Listing`.

    Raises:
        ValueError: `directory` does not exist, or bad `subset`/`validation_split`.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"`directory` is not a directory: {directory!r}")
    bounds = split_bounds(validation_split, subset)
    class_names = list(classes) if classes else list_class_names(directory)
    filenames = []
    labels = []
    for index, name in enumerate(class_names):
        class_dir = os.path.join(directory, name)
        files = list(iter_valid_files(class_dir, follow_links, white_list))
        if bounds is not None:
            n = len(files)
            files = files[int(bounds[0] * n) : int(bounds[1] * n)]
        # `root` starts with `class_dir` (os.walk joins onto it): slicing gives the same
        # relative path as os.path.relpath at a fraction of its cost per file.
        prefix = len(class_dir)
        for root, fname in files:
            filenames.append(join_relative(name + root[prefix:], fname))
        labels.extend([index] * len(files))
    return Listing(
        directory=directory,
        class_names=class_names,
        filenames=filenames,
        labels=np.asarray(labels, dtype=np.int32),
    )
