"""`show`: the grid in a matplotlib figure (notebooks, interactive sessions)."""

from keras_aug.visualize import grids

MISSING_MATPLOTLIB = (
    "keras_aug.visualize.show needs matplotlib, which is not installed (pip install matplotlib). "
    "Without it, keras_aug.visualize.grid(...) returns the same picture as a uint8 array: "
    "PIL.Image.fromarray(grid(...)).save('grid.png'), or display it with IPython."
)


def show(images, figsize=None, title=None, **grid_kwargs):
    """Draws `grid(images, **grid_kwargs)` in a new matplotlib figure and shows it.

    Args:
        images, **grid_kwargs: as in `keras_aug.visualize.grid`.
        figsize: (width, height) in inches; default: the grid's pixels at 100 dpi.
        title: optional figure title.

    Returns:
        The matplotlib `Figure`.

    Raises:
        ImportError: matplotlib is not installed (the message says what to do instead).
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(MISSING_MATPLOTLIB) from e
    picture = grids.grid(images, **grid_kwargs)
    height, width = picture.shape[:2]
    figure = plt.figure(figsize=figsize or (width / 100, height / 100), dpi=100)
    axes = figure.add_axes((0, 0, 1, 1) if title is None else (0, 0, 1, 0.92))
    axes.imshow(picture, interpolation="nearest")
    axes.set_axis_off()
    if title is not None:
        figure.suptitle(title)
    plt.show()
    return figure
