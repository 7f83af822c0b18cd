#!/usr/bin/env bash
# Set up everything glasslib needs; run.sh calls this before every target. Idempotent, and quick
# (no network) when nothing changed.
#   (a) Debian packages, only when some are missing and only as root: make, and the Vulkan loader
#       with Mesa's software driver, which OVITO needs to render images without a screen or GPU.
#       (OVITO's wheel carries fallbacks for its other system libraries; checked on a minimal
#       Debian 12 with only these two packages added.)
#   (b) .venv with python3.11.
#   (c) `pip install -e '.[test]'`, only when pyproject.toml changed since the last successful
#       install: the sha256 stamp is written last, so an interrupted install is redone next time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(make libvulkan1 mesa-vulkan-drivers)
VENV=.venv
STAMP=$VENV/.glasslib-setup-stamp

# (a) system packages
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: apt-get install ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "setup: warning: not root (or no apt-get); install these Debian packages (or your system's equivalent) for make and OVITO rendering: ${missing[*]}" >&2
    fi
fi

# (b) virtual environment; a half-made one (interrupted run) is made again
if ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
    command -v python3.11 >/dev/null 2>&1 || { echo "setup: error: python3.11 not found on PATH; install Python 3.11 and run again" >&2; exit 1; }
    echo "setup: creating $VENV with $(command -v python3.11)"
    rm -rf "$VENV"
    python3.11 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "setup: error: $VENV is not Python 3.11 ($("$VENV/bin/python" -V 2>&1)); remove $VENV and run again" >&2
    exit 1
fi

# (c) editable install of glasslib with its test extras
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
if [[ $want != "$have" ]] || ! "$VENV/bin/python" -c 'import importlib.metadata as m; m.version("glasslib")' >/dev/null 2>&1; then
    echo "setup: pip install -e '.[test]' into $VENV (first run, or pyproject.toml changed)"
    rm -f "$STAMP"
    "$VENV/bin/python" -m pip install --quiet -e '.[test]'
    echo "$want" >"$STAMP.tmp"
    mv "$STAMP.tmp" "$STAMP"
fi
