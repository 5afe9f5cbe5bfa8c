#!/usr/bin/env bash
# Run the app (installing what it needs the first time). Arguments go to
# `urdu-genre`: none opens the window; `classify FILE...` and `train ...` work too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
exec "${URDU_GENRE_VENV:-.venv}/bin/urdu-genre" "$@"
