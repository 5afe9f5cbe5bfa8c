#!/usr/bin/env bash
# Remove what install.sh put in place for this user (settings and trained models stay).
set -euo pipefail
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
rm -rf "$DATA/urdu-genre-app/app" "$DATA/urdu-genre-app/uninstall.sh"
rm -f "$DATA/applications/urdu-genre.desktop" "$DATA/icons/hicolor/scalable/apps/urdu-genre.svg"
[ -L "$HOME/.local/bin/urdu-genre" ] && rm -f "$HOME/.local/bin/urdu-genre"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA/applications" || true
echo "Urdu Genre App removed."
