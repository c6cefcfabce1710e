#!/usr/bin/env bash
# Install synkinesis into .venv (with test tools), find or fetch the real example media, and run
# the main job: measure the bundled example video. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# The web app's browser tests need Debian's chromium and ffmpeg (never `playwright install`).
if ! command -v chromium >/dev/null || ! command -v ffmpeg >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium ffmpeg
  else
    echo "note: the web tests need chromium and ffmpeg: sudo apt-get install chromium ffmpeg" >&2
  fi
fi
# The PDF visit report (WeasyPrint, the [report] extra) needs Debian's Pango.
if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0
  else
    echo "note: PDF reports need Pango: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[all,test]"
MEDIA=$(.venv/bin/python scripts/fetch_media.py --quiet)
mkdir -p example-output
.venv/bin/synk measure "$MEDIA/WolfgangLanger_Pexels.mp4" -o example-output/WolfgangLanger.synk --csv
echo "Result: example-output/WolfgangLanger.synk (per-frame table: example-output/WolfgangLanger.csv)"
