#!/usr/bin/env bash
# Build the wheel and the sdist, install the wheel (not editable) into a fresh venv outside the
# checkout, and run the main commands from another directory: what a user gets from
# `pip install synkinesis`. CI runs it; an editable install cannot show a file left out of
# the wheel (templates, static files, migrations, the model).
# Usage: bash scripts/check_wheel.sh   (after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
MEDIA=${SYNK_MEDIA_DIR:-$(.venv/bin/python scripts/fetch_media.py --quiet)}
WORK=$(mktemp -d /tmp/synk-wheel.XXXXXX)
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building the wheel and the sdist"
.venv/bin/python -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$WORK/dist" .
.venv/bin/python -m build --sdist --outdir "$WORK/dist" . >/dev/null 2>&1
WHEEL=$(ls "$WORK"/dist/synkinesis-*.whl)
SDIST=$(ls "$WORK"/dist/synkinesis-*.tar.gz)
tar -tzf "$SDIST" >"$WORK/sdist.txt"
for member in landmarks/models/face_landmarker.task web/templates/base.html web/static/app.css \
              store/migrations/script.py.mako reports/templates/visit_report.html \
              reports/templates/visit_report.css; do
  grep -q "src/synkinesis/$member" "$WORK/sdist.txt" \
    || { echo "the sdist lacks $member" >&2; exit 1; }
done

cd "$WORK"
export SYNK_DATABASE_URL="sqlite:///$WORK/record.sqlite" SYNK_DATA_DIR="$WORK/recordings"

echo "== the core alone (no extra): measure, analyze, score; no database, web, pandas or pyarrow package"
"$PYTHON" -m venv "$WORK/core"
"$WORK/core/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL"
for module in sqlalchemy alembic fhir fastapi uvicorn jinja2 pandas pyarrow cv2.data; do
  if "$WORK/core/bin/python" -c "import importlib.util as u, sys; \
sys.exit(0 if u.find_spec('${module%%.*}') else 1)" 2>/dev/null && [ "$module" != cv2.data ]; then
    echo "the core install brought $module" >&2; exit 1
  fi
done
if "$WORK/core/bin/python" -m pip list 2>/dev/null | grep -qi '^opencv-python '; then
  echo "opencv-python is installed beside opencv-contrib-python" >&2; exit 1
fi
"$WORK/core/bin/synk" measure "$MEDIA/single_face.mp4" -o core.synk --quiet
"$WORK/core/bin/synk" analyze core.synk -o core.analysis.json >/dev/null
"$WORK/core/bin/synk" score hb -i grade=II >/dev/null
set +e
"$WORK/core/bin/synk" patient list >"$WORK/no-extra.txt" 2>&1
status=$?
set -e
if [ "$status" != 2 ] || ! grep -q "synkinesis\[record\]" "$WORK/no-extra.txt"; then
  echo "synk patient list without the record extra:" >&2; cat "$WORK/no-extra.txt" >&2; exit 1
fi
echo "core venv: $(du -sm "$WORK/core" | cut -f1) MB ($("$WORK/core/bin/python" -V))"

# The oldest Python we declare is the one CI runs on (.venv, scripts/setup.sh); the core wheel is
# also installed on the newest one (the last "Programming Language :: Python :: 3.X" classifier)
# and must give the same numbers. Skipped, saying why, only when that interpreter is missing.
NEWEST=$("$ROOT/.venv/bin/python" -c "import re, tomllib; \
c = tomllib.load(open('$ROOT/pyproject.toml', 'rb'))['project']['classifiers']; \
print(max((m for m in (re.fullmatch(r'Programming Language :: Python :: (3\.\d+)', x) \
for x in c) if m), key=lambda m: int(m[1].split('.')[1]))[1])")
NEWEST_PYTHON=${NEWEST_PYTHON:-}
if [ -z "$NEWEST_PYTHON" ]; then
  for candidate in "$(command -v "python$NEWEST" || true)" \
                   "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$NEWEST".*/bin/python3; do
    if [ -x "$candidate" ] && "$candidate" -c "import sys; \
sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$NEWEST' else 1)" 2>/dev/null; then
      NEWEST_PYTHON=$candidate; break
    fi
  done
fi
if [ -z "$NEWEST_PYTHON" ]; then
  echo "== SKIPPED the core on Python $NEWEST (the newest we declare): no python$NEWEST on PATH" \
       "nor in pyenv; set NEWEST_PYTHON=/path/to/python$NEWEST to run it"
else
  echo "== the core alone on Python $NEWEST ($NEWEST_PYTHON): measure, analyze, same numbers"
  "$NEWEST_PYTHON" -m venv "$WORK/newest"
  "$WORK/newest/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL"
  "$WORK/newest/bin/synk" measure "$MEDIA/single_face.mp4" -o newest.synk --quiet
  "$WORK/newest/bin/synk" analyze newest.synk -o newest.analysis.json >/dev/null
  "$WORK/newest/bin/python" - core.synk newest.synk <<'PY'
import sys

import numpy as np

from synkinesis.measure import read_measurement

oldest, newest = (read_measurement(path) for path in sys.argv[1:3])
worst = 0.0
for name, values in oldest.frames.items():
    a, b = np.asarray(values), np.asarray(newest.frames[name])
    if a.dtype == object:
        assert list(a) == list(b), name
        continue
    a, b = a.astype(float), b.astype(float)
    assert np.array_equal(np.isnan(a), np.isnan(b)), name
    if np.isfinite(a).any():
        worst = max(worst, float(np.nanmax(np.abs(a - b))))
assert worst <= 1e-3, f"Python {sys.version_info[:2]} measures differently: {worst}"
print(f"  {len(oldest.frames)} columns, largest difference from the oldest Python: {worst:g}")
PY
fi

echo "== installing $(basename "$WHEEL")[all] into a fresh venv"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL[all]"
echo "all venv: $(du -sm "$WORK/venv" | cut -f1) MB"
SYNK="$WORK/venv/bin/synk"
"$WORK/venv/bin/python" -c "import synkinesis, sys; \
assert synkinesis.__file__.startswith('$WORK'), synkinesis.__file__"

echo "== synk measure / analyze / db upgrade from $WORK"
"$SYNK" measure "$MEDIA/single_face.mp4" -o single_face.synk --quiet
"$SYNK" analyze single_face.synk -o single_face.analysis.json >/dev/null
"$SYNK" db upgrade

echo "== synk serve answers"
PORT=$("$WORK/venv/bin/python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); \
print(s.getsockname()[1])")
"$SYNK" serve --port "$PORT" --no-login >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
for path in /healthz /login /static/app.css; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$path")
  if [ "$code" != 200 ]; then
    echo "synk serve: GET $path gave $code" >&2; cat "$WORK/serve.log" >&2; exit 1
  fi
done
echo "wheel check passed: measure, analyze, db upgrade and serve work from the installed wheel"
cd "$ROOT"
