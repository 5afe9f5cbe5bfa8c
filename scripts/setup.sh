#!/usr/bin/env bash
# Set up everything the app and its tests need, once; later runs take seconds.
#   bash scripts/setup.sh [app|test|build]
# System packages (Debian/Ubuntu, installed with apt-get when run as root or
# with sudo): PortAudio (audio I/O), the X/EGL/font libraries Qt needs, and for
# tests Xvfb and PulseAudio (a virtual sound server for recording tests).
set -euo pipefail
cd "$(dirname "$0")/.."
PURPOSE="${1:-app}"
VENV="${URDU_GENRE_VENV:-.venv}"

APP_PACKAGES="libportaudio2 libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 \
libxcb-keysyms1 libxcb-shape0 libxcb-render-util0 libxcb-image0 libxcb-randr0 libxcb-xinerama0 libdbus-1-3 \
libfontconfig1 fonts-noto-core"
TEST_PACKAGES="xvfb xauth pulseaudio pulseaudio-utils"
# Recorded sounds for the sampled corpus renderer (training/sampled; licences in docs/SYNTHETIC_CORPUS.md);
# espeak-ng also speaks the not-a-genre clips of benchmarks/bench_novelty.py.
SAMPLE_PACKAGES="sonic-pi-samples hydrogen-drumkits fluidsynth timgm6mb-soundfont espeak-ng"
TEST_PACKAGES="$TEST_PACKAGES $SAMPLE_PACKAGES"
# PyInstaller's dependency scan (objdump, ldd) and strip.
BUILD_PACKAGES="binutils"

install_system_packages() {
    local wanted="$APP_PACKAGES"
    [ "$PURPOSE" = test ] && wanted="$wanted $TEST_PACKAGES"
    [ "$PURPOSE" = build ] && wanted="$wanted $BUILD_PACKAGES"
    command -v dpkg-query >/dev/null 2>&1 || { echo "setup: not a Debian-like system; install the equivalents of: $wanted" >&2; return 0; }
    local missing=()
    for package in $wanted; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            echo "setup: please install these system packages as root: ${missing[*]}" >&2; return 0; fi
    fi
    echo "setup: installing system packages: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
    for candidate in python3.11 python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 12)))'; then
            echo "$candidate"; return 0
        fi
    done
    echo "setup: Python 3.11 or 3.12 is required" >&2; return 1
}

install_python_packages() {
    local extras="train"
    [ "$PURPOSE" = test ] && extras="train,test,scale"  # scale: tests/unit/test_scale*.py run Ray
    [ "$PURPOSE" = build ] && extras="train,build"
    local stamp="$VENV/.installed-$extras-$(sha256sum pyproject.toml | cut -c1-16)"
    [ -f "$stamp" ] && return 0
    if [ ! -x "$VENV/bin/python" ]; then
        "$(find_python)" -m venv "$VENV"
    fi
    echo "setup: installing Python packages into $VENV (first run only; a few minutes)" >&2
    # pip's and setuptools' chatter (build warnings) goes to a log, shown only when pip fails.
    local log="$VENV/pip-install.log"
    "$VENV/bin/python" -m pip install -q --upgrade pip > "$log" 2>&1 || true
    if ! "$VENV/bin/python" -m pip install -q -e ".[$extras]" >> "$log" 2>&1; then
        tail -n 20 "$log" >&2
        echo "setup: pip reported a problem (whole log: $log); checking what is usable" >&2
    fi
    "$VENV/bin/python" -c "import urdu_genre_app, av, soxr, ai_edge_litert, PySide6, matplotlib" \
        || { echo "setup: Python packages failed to install" >&2; return 1; }
    touch "$stamp"
}

# The musicnn 0.1.0 wheel (ISC) holds the original MSD musicnn checkpoint that the Keras port is
# tested against. Its metadata pins numpy<1.17, so it is unpacked beside the venv's packages
# (--no-deps --target), never installed into them; training.musicnn.checkpoint finds it there.
install_musicnn_reference() {
    [ "$PURPOSE" = test ] || return 0
    local target="$VENV/musicnn-0.1.0"
    [ -f "$target/musicnn/MSD_musicnn/.index" ] && return 0
    "$VENV/bin/python" -m pip install -q --no-deps --target "$target" "musicnn==0.1.0" >> "$VENV/pip-install.log" 2>&1 \
        || echo "setup: could not unpack musicnn 0.1.0 (the musicnn equality tests will say so)" >&2
}

install_system_packages
install_python_packages
install_musicnn_reference
