#!/usr/bin/env bash
# Install the Urdu Genre App for this user (no root): copies the app to
# $XDG_DATA_HOME/urdu-genre-app (~/.local/share/urdu-genre-app), links the
# command into ~/.local/bin, and registers the menu entry, the icon and the
# "Open with" file types (XDG directories). Undo with uninstall.sh.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
TARGET="$DATA/urdu-genre-app"
BIN="$HOME/.local/bin"

mkdir -p "$TARGET" "$BIN" "$DATA/applications" "$DATA/icons/hicolor/scalable/apps"
rm -rf "$TARGET/app.new"
cp -a "$HERE/app" "$TARGET/app.new"
rm -rf "$TARGET/app" && mv "$TARGET/app.new" "$TARGET/app"
ln -sfn "$TARGET/app/urdu-genre" "$BIN/urdu-genre"
cp "$HERE/urdu-genre.svg" "$DATA/icons/hicolor/scalable/apps/urdu-genre.svg"
sed "s|@APP@|$TARGET/app/urdu-genre|" "$HERE/urdu-genre.desktop" > "$DATA/applications/urdu-genre.desktop"
cp "$HERE/uninstall.sh" "$TARGET/uninstall.sh"
# Refresh the menu and icon caches where the tools exist (desktops without them rescan on their own).
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
echo "Installed to $TARGET; run 'urdu-genre' (in $BIN) or pick Urdu Genre App from the menu."
case ":$PATH:" in *":$BIN:"*) ;; *) echo "note: $BIN is not on your PATH";; esac
"$TARGET/app/urdu-genre" --version
