#!/usr/bin/env bash
# The main job on one machine: installs what local builds need, then builds the bundled
# hello-web template into a validated local image (debootstrap + systemd-nspawn), as root.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi
npm run build --silent
echo "==> prism ami lint"
node bin/prism.js ami lint
echo "==> prism ami build hello-web --provider local"
node bin/prism.js ami build hello-web --provider local
node bin/prism.js ami list --provider local
