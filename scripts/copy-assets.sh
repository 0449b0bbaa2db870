#!/usr/bin/env bash
# Copy the pinned front-end assets from node_modules into the package's static folder (never a CDN).
set -euo pipefail
cd "$(dirname "$0")/.."
src=frontend/node_modules
dst=src/ipoc/web/static/vendor
rm -rf "$dst"
mkdir -p "$dst"
cp "$src/htmx.org/dist/htmx.min.js" "$dst/"
cp "$src/echarts/dist/echarts.min.js" "$dst/"
cp "$src/bootstrap/dist/css/bootstrap.min.css" "$dst/"
cp "$src/bootstrap/dist/js/bootstrap.bundle.min.js" "$dst/"
cp "$src/swagger-ui-dist/swagger-ui-bundle.js" "$src/swagger-ui-dist/swagger-ui.css" "$dst/"
echo "front-end assets copied to $dst"
