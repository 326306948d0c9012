"""The data path's routes: one module per way of turning an epoch's order into elements.

| route              | chosen when                                                       |
|--------------------|-------------------------------------------------------------------|
| `opencv_groups`    | files; `augment` starts with geometric layers OpenCV covers, and   |
|                    | the resize uses their interpolation (the default with `augment`)  |
| `opencv_per_image` | the same layers, but arrays, or a resize with another filter      |
| `graph`            | no leading geometric layers, `fuse_resize=False`, or settings     |
|                    | OpenCV does not cover                                             |
| `graph_only`       | `distributable=True`: no Python in the dataset graph              |

`choose` decides and says why; `keras_aug.data.pipeline.build` runs the route's
`elements(plan)` and shares everything before (order, seeds) and after (batching,
per-batch augmentation, cardinality).
"""

from keras_aug.data.routes import graph
from keras_aug.data.routes import graph_only
from keras_aug.data.routes import opencv_groups
from keras_aug.data.routes import opencv_per_image
from keras_aug.data.routes.base import Plan
from keras_aug.data.routes.base import RouteInfo
from keras_aug.data.routes.base import plain

ROUTES = {m.NAME: m for m in (opencv_groups, opencv_per_image, graph, graph_only)}


def choose(*, files, head, same_interpolation, opencv_covers, fuse_resize, distributable):
    """Picks a route: returns `(route module, reason)`.

    Args:
        files: the samples are files (False: in-memory arrays).
        head: the leading run of geometric layers of `augment` (list, maybe empty).
        same_interpolation: the resize uses the run's interpolation (one resample).
        opencv_covers: the OpenCV resample handles the run's settings and the images.
        fuse_resize: the user's `fuse_resize`.
        distributable: the user's `distributable`.
    """
    if distributable:
        why = "distributable=True: every stage is a TF op (no Python callbacks)"
        if graph_only.fuses(files=files, head=head, same_interpolation=same_interpolation):
            return graph_only, why + "; leading geometric layers fused with the resize: one resample per image"
        if head:
            return graph_only, why + "; resize, then the whole augmentation per batch (arrays, or another resize filter)"
        return graph_only, why
    if not head:
        return graph, "no `augment`, or it does not start with geometric layers: nothing to fuse with the resize"
    if not fuse_resize:
        return graph, "fuse_resize=False: resize, then the whole augmentation per batch"
    if not opencv_covers:
        return graph, "the OpenCV resample does not cover these settings (interpolation, fill mode, dtype or channels)"
    if not files:
        return opencv_per_image, "arrays with leading geometric layers: one OpenCV resample per image"
    if not same_interpolation:
        return opencv_per_image, (
            "the resize filter differs from the geometric layers': tf.image.resize, then one OpenCV warp per image"
        )
    return opencv_groups, "leading geometric layers fused with the resize: one OpenCV resample per image, files decoded in groups"


__all__ = ["Plan", "RouteInfo", "ROUTES", "choose", "plain"]
