#!/usr/bin/env bash
# Run the test suite (after scripts/setup.sh). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
SYNK_MEDIA_DIR=${SYNK_MEDIA_DIR:-$(.venv/bin/python scripts/fetch_media.py --quiet)}
export SYNK_MEDIA_DIR
exec .venv/bin/python -m pytest "$@"
