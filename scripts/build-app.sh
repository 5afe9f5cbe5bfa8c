#!/usr/bin/env bash
# Build the one-folder desktop app with PyInstaller, test it, pack it.
#   bash scripts/build-app.sh [--lite]
#
# --lite leaves training out (no TensorFlow, scikit-learn, XGBoost): classify,
# playback and recording only. Steps: install what the build needs (the venv
# of scripts/setup.sh plus PyInstaller), run PyInstaller on build.spec, strip
# the libraries' symbol tables, run the frozen app's self-test, time frozen
# `classify` against the venv's, write dist/urdu-genre[-lite]-VERSION-linux-x86_64.tar.gz
# (the app, a .desktop file, the icon, install.sh), print the sizes and check
# them against the budget. Exit status 0 only when all of that passed.
set -euo pipefail
# The whole script is one function, read before it runs: editing or updating
# this file mid-build (a git checkout) cannot change what a running build does.
main() {
cd "$(dirname "$0")/.."
ROOT="$PWD"

LITE=0
for arg in "$@"; do
    case "$arg" in
        --lite) LITE=1 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-app: unknown option $arg (only --lite)" >&2; exit 2 ;;
    esac
done

VENV="${URDU_GENRE_VENV:-.venv}"
# URDU_GENRE_SKIP_SETUP=1: use $URDU_GENRE_VENV as it is (a shared venv that
# already has the [train,build] extras; setup.sh would re-point its editable install).
[ "${URDU_GENRE_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh build
# This checkout's code, whichever checkout the venv was installed from.
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
PY="$VENV/bin/python"
VERSION="$("$PY" -c 'import urdu_genre_app; print(urdu_genre_app.__version__)')"

if [ "$LITE" = 1 ]; then
    NAME="urdu-genre-lite"; MAX_DISK_MB=450; MAX_TAR_MB=180  # 180: the default model is two taggers (13 MB, incompressible)
else
    NAME="urdu-genre"; MAX_DISK_MB=1600; MAX_TAR_MB=600
fi
# Most frozen `classify` may add to the venv's start-up (median, seconds).
MAX_STARTUP_EXTRA_S=0.3
WORK="build/pyinstaller-$NAME"
DIST="dist/$NAME"
APP="$DIST/urdu-genre"
TARBALL="dist/$NAME-$VERSION-linux-x86_64.tar.gz"

say() { echo "build-app: $*" >&2; }

# ---------------------------------------------------------------- build
started=$(date +%s)
say "building $NAME $VERSION with PyInstaller (a few minutes)"
rm -rf "$DIST"
mkdir -p build
URDU_GENRE_BUILD_LITE="$LITE" "$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
    --workpath "$WORK" --distpath "$DIST" build.spec > "build/pyinstaller-$NAME.log" 2>&1 \
    || { tail -n 30 "build/pyinstaller-$NAME.log" >&2; say "PyInstaller failed (log: build/pyinstaller-$NAME.log)"; exit 1; }
# Symbol tables the dynamic linker never reads (TensorFlow's alone is ~200 MB),
# stripped from the big libraries built without them only: stripping a
# library that auditwheel patched (numpy.libs/, av.libs/, ...) breaks it
# ("ELF load command address/offset not page-aligned").
for lib in "$APP"/_internal/tensorflow/libtensorflow_cc.so.2 "$APP"/_internal/tensorflow/libtensorflow_framework.so.2 \
           "$APP"/_internal/xgboost/lib/libxgboost.so "$APP"/_internal/ai_edge_litert/libpywrap_litert_common.so; do
    [ -f "$lib" ] && strip --strip-unneeded "$lib"
done
build_seconds=$(( $(date +%s) - started ))
say "built $APP in ${build_seconds} s"

# ---------------------------------------------------------------- self-test
say "self-test of the frozen app"
if ! (cd /tmp && QT_QPA_PLATFORM=offscreen "$ROOT/$APP/urdu-genre" self-test); then
    say "the frozen app's self-test failed"; exit 1
fi

# ---------------------------------------------------------------- start-up
sample="$("$PY" -c 'from urdu_genre_app.resources import selftest_manifest_path as p; import json; m = p(); print(m.parent / json.load(open(m))["sample"])')"
startup="$("$PY" scripts/startup_compare.py --frozen "$APP/urdu-genre" --venv "$VENV/bin/urdu-genre" --sample "$sample")"
echo "$startup"

# ---------------------------------------------------------------- package
say "packing $TARBALL"
stage="build/stage-$NAME"
rm -rf "$stage" && mkdir -p "$stage/$NAME"
cp -a "$APP" "$stage/$NAME/app"
cp resources/icons/app.svg "$stage/$NAME/urdu-genre.svg"
cp packaging/urdu-genre.desktop packaging/install.sh packaging/uninstall.sh "$stage/$NAME/"
chmod +x "$stage/$NAME/install.sh" "$stage/$NAME/uninstall.sh"
rm -f "$TARBALL"
compress="gzip -6"
command -v pigz >/dev/null 2>&1 && compress="pigz -6"  # same format, on every core
tar -C "$stage" -cf - "$NAME" | $compress > "$TARBALL"
rm -rf "$stage"

# ---------------------------------------------------------------- sizes
disk_mb=$(du -sm "$APP" | cut -f1)
tar_mb=$(( $(stat -c %s "$TARBALL") / 1048576 ))
echo "$NAME: app folder ${disk_mb} MB (budget ${MAX_DISK_MB} MB), $(basename "$TARBALL") ${tar_mb} MB (budget ${MAX_TAR_MB} MB), built in ${build_seconds} s"
du -sm "$APP"/_internal/* 2>/dev/null | sort -rn | head -n 8 | awk '{printf "  %6d MB  %s\n", $1, $2}'
status=0
[ "$disk_mb" -le "$MAX_DISK_MB" ] || { say "over budget: the app folder is ${disk_mb} MB > ${MAX_DISK_MB} MB"; status=1; }
[ "$tar_mb" -le "$MAX_TAR_MB" ] || { say "over budget: the .tar.gz is ${tar_mb} MB > ${MAX_TAR_MB} MB"; status=1; }
extra="$(echo "$startup" | sed -n 's/.*extra \([-0-9.]*\) s.*/\1/p' | head -n1)"
if [ -n "$extra" ] && awk -v e="$extra" -v m="$MAX_STARTUP_EXTRA_S" 'BEGIN { exit !(e > m) }'; then
    say "over budget: frozen classify starts ${extra} s slower than the venv's (most ${MAX_STARTUP_EXTRA_S} s)"; status=1
fi
[ "$status" = 0 ] && say "$NAME passed its self-test and is within budget: $TARBALL"
return "$status"
}
main "$@"
