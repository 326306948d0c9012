"""Drawing primitives on one uint8 RGB tile (numpy; PIL only for text).

Coordinates follow the layers' convention: continuous pixel coordinates where the
image spans [0, width] x [0, height], so pixel (row i, column j) covers
[j, j + 1] x [i, i + 1]. A box [x1, y1, x2, y2] therefore covers the pixel columns
round(x1) .. round(x2) - 1 and its outline is drawn on the outermost of them.
"""

import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

# Distinct, saturated colours (Okabe-Ito and Tableau-like); class k uses PALETTE[k % len].
PALETTE = np.array(
    [
        (255, 215, 0),  # yellow
        (0, 200, 255),  # sky blue
        (255, 60, 160),  # magenta
        (60, 220, 60),  # green
        (255, 128, 0),  # orange
        (150, 90, 255),  # violet
        (0, 160, 140),  # teal
        (230, 30, 30),  # red
    ],
    dtype=np.uint8,
)
# Masks: pixels equal to the ignore value (what the warp fills in) show in this grey.
IGNORE_COLOUR = np.array((128, 128, 128), np.uint8)
_CHECKER_LIGHT, _CHECKER_DARK, _CHECKER_CELL = 204, 153, 8


def colour_of(class_id):
    """The palette colour (uint8 RGB) of an integer class id (any int, wraps around)."""
    return PALETTE[int(class_id) % len(PALETTE)]


def to_rgb_uint8(image, value_range):
    """One HWC image (1, 3 or 4 channels, any real dtype) as a uint8 HxWx3 RGB tile.

    Args:
        image: numpy array [H, W, C], C in (1, 3, 4).
        value_range: (low, high): the values shown as black and white; values outside
            are clipped. NaN shows as black.
    Alpha (C == 4) is composited over a grey checkerboard, so transparency stays visible.
    """
    low, high = float(value_range[0]), float(value_range[1])
    scaled = (np.asarray(image, np.float64) - low) * (255.0 / (high - low))
    scaled = np.rint(np.clip(np.nan_to_num(scaled, nan=0.0), 0, 255))
    channels = scaled.shape[-1]
    if channels == 1:
        return np.repeat(scaled, 3, axis=-1).astype(np.uint8)
    if channels == 3:
        return scaled.astype(np.uint8)
    rgb, alpha = scaled[..., :3], scaled[..., 3:] / 255.0
    return np.rint(rgb * alpha + checkerboard(*scaled.shape[:2])[..., None] * (1 - alpha)).astype(np.uint8)


def checkerboard(height, width):
    """A light/dark grey checkerboard of 8-pixel cells, float [H, W]."""
    rows, cols = np.indices((height, width)) // _CHECKER_CELL
    return np.where((rows + cols) % 2 == 0, _CHECKER_LIGHT, _CHECKER_DARK).astype(np.float64)


def overlay_mask(tile, mask, alpha=0.5, ignore_value=None):
    """Blends a class colour over every pixel of `tile` whose mask value is not 0 (in place).

    Args:
        tile: uint8 [H, W, 3].
        mask: integer class ids [H, W] (0 is background and left alone).
        alpha: opacity of the overlay in [0, 1].
        ignore_value: mask value shown in grey (the fill of pixels a warp brought in
            from outside the image), or None.
    """
    mask = np.rint(np.asarray(mask, np.float64)).astype(np.int64)
    colours = PALETTE[mask % len(PALETTE)].astype(np.float64)
    if ignore_value is not None:
        colours[mask == int(ignore_value)] = IGNORE_COLOUR
    where = mask != 0
    blended = (1 - alpha) * tile[where].astype(np.float64) + alpha * colours[where]
    tile[where] = np.rint(blended).astype(np.uint8)
    return tile


def draw_box(tile, box, colour, thickness=2):
    """Draws the outline of one absolute xyxy box on `tile` (in place), clipped to it.

    The outline lies inside the box: its outermost pixel rows and columns, `thickness`
    pixels wide. A box entirely outside the tile draws nothing.
    """
    height, width = tile.shape[:2]
    x1, y1, x2, y2 = (int(round(float(v))) for v in box)
    left, right = max(x1, 0), min(x2, width)  # columns [left, right)
    top, bottom = max(y1, 0), min(y2, height)  # rows [top, bottom)
    if left >= right or top >= bottom:
        return tile
    # Each side is drawn only where the box's own edge is inside the tile.
    if y1 >= 0:
        tile[top:min(top + thickness, bottom), left:right] = colour
    if y2 <= height:
        tile[max(bottom - thickness, top):bottom, left:right] = colour
    if x1 >= 0:
        tile[top:bottom, left:min(left + thickness, right)] = colour
    if x2 <= width:
        tile[top:bottom, max(right - thickness, left):right] = colour
    return tile


def draw_keypoint(tile, x, y, colour, radius=2):
    """Marks the pixel containing (x, y) with a filled square of side 2*radius+1 in
    `colour`, ringed in black so it shows on any background (in place).

    A point outside the image draws nothing.
    """
    height, width = tile.shape[:2]
    if not (0 <= x < width and 0 <= y < height):
        return tile
    col, row = int(np.floor(x)), int(np.floor(y))
    ring = radius + 1
    tile[max(row - ring, 0):row + ring + 1, max(col - ring, 0):col + ring + 1] = 0
    tile[max(row - radius, 0):row + radius + 1, max(col - radius, 0):col + radius + 1] = colour
    return tile


def _font():
    # Pillow >= 10.1 ships a scalable default font; older ones a fixed bitmap font.
    try:
        return ImageFont.load_default(size=11)
    except TypeError:  # pragma: no cover - Pillow < 10.1
        return ImageFont.load_default()


def draw_text(tile, text, x, y, colour=(0, 0, 0), background=None):
    """Writes `text` with its top-left corner at (x, y) pixels (in place); returns tile.

    With `background`, the text sits on a filled rectangle of that colour.
    """
    image = Image.fromarray(tile)
    draw = ImageDraw.Draw(image)
    font = _font()
    if background is not None:
        left, top, right, bottom = draw.textbbox((x, y), text, font=font)
        draw.rectangle((left - 1, top - 1, right, bottom), fill=tuple(int(c) for c in background))
    draw.text((x, y), text, fill=tuple(int(c) for c in colour), font=font)
    tile[...] = np.asarray(image)
    return tile


def text_height():
    """Height in pixels of one line of caption text (with a small margin)."""
    left, top, right, bottom = _font().getbbox("Ag")
    return int(bottom) + 3
