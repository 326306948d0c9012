#!/usr/bin/env bash
# The layer benchmark under Keras's JAX backend on an NVIDIA GPU, in one command.
#
# For a machine with an NVIDIA GPU and JAX (CUDA) but no TensorFlow and no network.
# keras, its two dependencies that such images often lack (namex, optree) and this
# package travel as wheels in $WHEELS (default .whl/ in the repository root):
#
#   bash benchmarks/gpu_check.sh --prepare   # here, with the package index: fills .whl/
#   bash benchmarks/gpu_check.sh             # there: installs from .whl/, checks the GPU, runs
#
# It runs benchmarks/layers.py --backend jax on a batch of 256 x 224 x 224 x 3 (uint8 and
# float32 for ours, float32 for Keras's layers, each under jax.jit) and prints a markdown
# table; the whole run is capped at $LIMIT_S seconds (default 280). Extra arguments go
# to benchmarks/layers.py (e.g. --only 'chain|Rotation').
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=${WHEELS:-.whl}
LIMIT_S=${LIMIT_S:-280}

if [[ "${1:-}" == "--prepare" ]]; then
  mkdir -p "$WHEELS"
  keras_version=$(python3 -c 'import keras; print(keras.__version__)')
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$WHEELS" "keras==${keras_version}" namex optree
  python3 -m pip wheel -q --no-deps -w "$WHEELS" .
  ls "$WHEELS"
  exit 0
fi

ls "$WHEELS"/*.whl >/dev/null || { echo "error: no wheels in $WHEELS; run: bash benchmarks/gpu_check.sh --prepare" >&2; exit 2; }
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/keras_aug_site "$WHEELS"/*.whl
export PYTHONPATH=/tmp/keras_aug_site${PYTHONPATH:+:$PYTHONPATH}
export KERAS_BACKEND=jax
python3 -c 'import jax; d = jax.devices()[0]; assert jax.default_backend() == "gpu", d; print("device:", d.device_kind)'
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
timeout "$LIMIT_S" python3 benchmarks/layers.py --backend jax --batch 256 --size 224 --repeats 3 \
  --min-repeat-s 0.3 --markdown "$@"
