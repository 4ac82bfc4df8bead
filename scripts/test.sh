#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine with Node.js 20, as root:
# installs the Debian packages and the AWS emulator the tests use, the npm packages (npm ci),
# builds, and runs every test (unit, CLI, real local builds, AWS against moto_server).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh --with-moto --with-qemu
echo "==> npm ci"
npm ci --no-audit --no-fund
echo "==> npm run lint (types, ESLint, Prettier)"
npm run lint
# Local end-to-end builds must run here, not be skipped.
export PRISM_AMI_REQUIRE_E2E=1
npm test
