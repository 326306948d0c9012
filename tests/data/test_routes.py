"""Routes: which one a dataset takes, resumable iterators, and the graph-only route
running where Python callbacks cannot (a tf.data service worker, tf.distribute)."""

import ast
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import keras_aug.data as kd

import route_datasets

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def tree(route_tree):
    return route_tree


def subprocess_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([HERE, str(pathlib.Path(HERE).parents[1]), env.get("PYTHONPATH", "")])
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def py_funcs(ds):
    """The Python-callback ops in a dataset's serialized graph."""
    graph = tf.compat.v1.GraphDef.FromString(ds._as_serialized_graph().numpy())
    nodes = list(graph.node) + [n for f in graph.library.function for n in f.node_def]
    return {n.op for n in nodes if "PyFunc" in n.op}


@pytest.mark.parametrize("route", route_datasets.ROUTES)
def test_the_dataset_names_its_route_and_why(tree, route):
    ds = route_datasets.shared(tree, route)
    assert ds.route.name == route and ds.route.reason
    assert f"route={route}: {ds.route.reason}" in repr(ds)
    if route == "graph_only":
        assert ds.route.distributable and "tf.data service" in repr(ds)
        assert py_funcs(ds) == set()
        # Which resampler the route uses, and that workers must load it.
        assert ds.route.resampler == "native" and "native op KerasAugResample" in repr(ds)
        assert "keras_aug.data.native.load()" in repr(ds)
    else:
        assert ds.route.resampler is None
        # The OpenCV routes (and PIL / the bad-file log) call Python: they say so.
        assert not ds.route.distributable and "this process only" in repr(ds)
        assert py_funcs(ds)


@pytest.mark.parametrize("route", route_datasets.ROUTES)
def test_parallel_stages_keep_the_file_order_whatever_the_dataset_options(tree, route):
    # Labels, stand-ins and resumed iterators rely on the epoch's file order: each parallel
    # map says deterministic="true" itself ("default" would follow a user's
    # `options.deterministic = False` and reorder files).
    graph = tf.compat.v1.GraphDef.FromString(route_datasets.shared(tree, route)._as_serialized_graph().numpy())
    nodes = list(graph.node) + [n for f in graph.library.function for n in f.node_def]
    modes = [n.attr["deterministic"].s for n in nodes if "deterministic" in n.attr]
    assert modes and set(modes) == {b"true"}


def test_distributable_refuses_files_that_need_pil(tree, tmp_path):
    from PIL import Image

    os.makedirs(tmp_path / "t" / "a")
    Image.new("RGB", (8, 8)).save(tmp_path / "t" / "a" / "x.bmp")
    with pytest.raises(ValueError, match=r"distributable=True .*x\.bmp"):
        kd.from_directory(str(tmp_path / "t"), target_size=(4, 4), distributable=True, verbose=False)


def test_data_package_does_not_import_the_top_level_package():
    package = pathlib.Path(HERE).parents[1] / "keras_aug" / "data"
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                assert all(a.name != "keras_aug" for a in node.names), path
            if isinstance(node, ast.ImportFrom):
                assert node.module != "keras_aug", path


def test_iterators_checkpointed_mid_epoch_resume_bitwise_in_a_fresh_process(tree, tmp_path):
    # Mid first epoch and mid second epoch, on every route, with augmentation and a file
    # that fails while decoding (its stand-in too must come back the same).
    expected = {}
    for route in route_datasets.ROUTES:
        ds = route_datasets.shared(tree, route)
        for tag, skip in (("epoch1", 2), ("epoch2", 3)):
            iterator = iter(ds)
            for _ in range(skip):
                next(iterator)
            tf.train.Checkpoint(iterator=iterator).save(str(tmp_path / f"{route}_{tag}" / "ckpt"))
            rest = [(x.numpy(), y.numpy()) for x, y in iterator]
            expected[route, tag] = (np.concatenate([x for x, _ in rest]), np.concatenate([y for _, y in rest]))
        assert expected[route, "epoch1"][0].shape != expected[route, "epoch2"][0].shape or not np.array_equal(
            expected[route, "epoch1"][0], expected[route, "epoch2"][0]
        )
    subprocess.run(
        [sys.executable, os.path.join(HERE, "resume_worker.py"), tree, str(tmp_path), *route_datasets.ROUTES],
        check=True, env=subprocess_env(), timeout=300,
    )
    for (route, tag), (x, y) in expected.items():
        restored = np.load(tmp_path / f"{route}_{tag}.npz")
        np.testing.assert_array_equal(restored["x"], x, err_msg=f"{route} {tag}")
        np.testing.assert_array_equal(restored["y"], y, err_msg=f"{route} {tag}")


@pytest.mark.parametrize("resampler", ["native", "xla"])
def test_graph_only_route_runs_on_a_tf_data_service_worker_in_another_process(tree, resampler):
    # The native op's worker registers its library first (without it the worker fails:
    # "Op type not registered 'KerasAugResample'"); the XLA route's worker is stock TF.
    from keras_aug.data import native

    library = [native.load().path] if resampler == "native" else []
    server = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "service_worker.py"), *library], stdout=subprocess.PIPE, text=True,
        env=subprocess_env(),
    )
    try:
        target = server.stdout.readline().strip()
        assert target.startswith("grpc://"), target
        # A fresh dataset: its first epoch is the one the worker runs (same key, same
        # stand-in for the corrupt file).
        ds = route_datasets.build(tree, "graph_only", graph_resampler=resampler)
        assert ds.route.resampler == resampler
        local = [(x.numpy(), y.numpy()) for x, y in ds]
        served = ds.apply(tf.data.experimental.service.distribute(processing_mode="parallel_epochs", service=target))
        remote = [(x.numpy(), y.numpy()) for x, y in served]
    finally:
        server.kill()
        server.wait()
        server.stdout.close()
    # One worker runs the same graph with the same seeds: the same batches, bitwise.
    assert len(remote) == len(local) == len(ds)
    for (x, y), (local_x, local_y) in zip(remote, local):
        np.testing.assert_array_equal(x, local_x)
        np.testing.assert_array_equal(y, local_y)


def test_graph_only_route_under_mirrored_strategy(tree):
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    ds = route_datasets.shared(tree, "graph_only")
    assert ds.route.resampler == "native"
    batches = list(strategy.experimental_distribute_dataset(ds))
    assert len(batches) == len(ds)
    assert sum(int(x.shape[0]) for x, _ in batches) == ds.samples
