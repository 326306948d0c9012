"""The `python -m keras_aug preview` command writes a grid of augmented samples."""

import numpy as np
from PIL import Image

from keras_aug.__main__ import main


def test_preview_writes_grid_of_distinct_tiles(tmp_path):
    out = tmp_path / "grid.png"
    assert main(["preview", "--out", str(out), "--rows", "1", "--cols", "3", "--size", "48", "--seed", "3"]) == 0
    grid = np.asarray(Image.open(out))
    assert grid.shape == (52, 3 * 52, 3)
    tiles = [grid[:48, c * 52:c * 52 + 48].astype(int) for c in range(3)]
    # Per-sample parameters: no two tiles are the same augmentation.
    assert all(np.abs(tiles[i] - tiles[j]).mean() > 1 for i in range(3) for j in range(i + 1, 3))
    # Boxes are drawn in yellow on top of each tile.
    yellow = (grid[..., 0] == 255) & (grid[..., 1] == 255) & (grid[..., 2] == 0)
    assert yellow.sum() > 50
