#!/usr/bin/env bash
# Run the whole test suite (installing what it needs the first time).
# GUI tests run offscreen; no display or sound card is needed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test || exit 1
PY="${URDU_GENRE_VENV:-.venv}/bin/python"
export QT_QPA_PLATFORM=offscreen TF_CPP_MIN_LOG_LEVEL=2
"${URDU_GENRE_VENV:-.venv}/bin/lint-imports" || { echo "run-tests: layering contracts broken" >&2; exit 1; }
"$PY" -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
    echo "run-tests: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
