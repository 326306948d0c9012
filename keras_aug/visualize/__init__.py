"""Look at augmentations before training on them: grids of samples with their annotations.

    import keras_aug
    from PIL import Image

    augment = keras_aug.Pipeline([keras_aug.RandomFlip("horizontal"), keras_aug.RandomRotation(0.1)])
    picture = keras_aug.visualize.preview(augment, images, n=5, seed=0)   # uint8 [H, W, 3]
    Image.fromarray(picture).save("preview.png")
    keras_aug.visualize.show(next(iter(train_dataset)))                   # needs matplotlib

* `grid` draws a batch (or the dict a layer takes) with boxes, mask overlays, keypoints
  and captions into one uint8 RGB array (numpy and PIL only).
* `preview` runs a layer on `n` copies of each image and lays the results beside the
  original, from a seed.
* `show` puts a grid in a matplotlib figure, when matplotlib is installed.

The same pictures come from the command line: `python -m keras_aug preview`.
"""

from keras_aug.visualize.grids import grid
from keras_aug.visualize.previews import preview
from keras_aug.visualize.figures import show

__all__ = ["grid", "preview", "show"]
