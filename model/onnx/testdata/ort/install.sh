#!/usr/bin/env bash
# Installs ONNX Runtime for the tests of gorgonet/model/onnx: npm's onnxruntime-node at the versions
# package-lock.json pins (1.30.0; the native CPU runtime ships inside the package, about 300 MB for
# all platforms), into $GORGONET_ONNXRUNTIME, by default
# ${XDG_CACHE_HOME:-~/.cache}/gorgonet/onnxruntime-node-1.30.0, where the tests look. Does nothing
# when that lock file is already installed there. Needs node and npm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${GORGONET_ONNXRUNTIME:-${XDG_CACHE_HOME:-$HOME/.cache}/gorgonet/onnxruntime-node-1.30.0}"
if [ -f "$dir/node_modules/onnxruntime-node/package.json" ] && cmp -s "$here/package-lock.json" "$dir/package-lock.json"; then
  echo "onnxruntime-node: already installed in $dir"
  exit 0
fi
mkdir -p "$dir"
cp "$here/package.json" "$here/package-lock.json" "$dir/"
# ONNXRUNTIME_NODE_INSTALL=skip: the package's install script would otherwise try to download CUDA
# libraries, which cannot succeed here and are not needed for the CPU runtime.
(cd "$dir" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
echo "onnxruntime-node: installed in $dir"
