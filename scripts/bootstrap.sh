#!/usr/bin/env bash
# Build TerraSAM's development environment, idempotently (make env; CI runs it as root on a fresh Debian 12).
#
#   1. Debian packages: QGIS 3.22 with its Python bindings for /usr/bin/python3, python3-venv, xvfb
#      (plus pyqt5-dev-tools and qttools5-dev-tools with --i18n). Installed only when one is missing;
#      installing needs root, otherwise this script says what to run and exits 1.
#   2. .venv: /usr/bin/python3 -m venv --system-site-packages (the QGIS bindings live in Debian's
#      site-packages), recreated when it is broken.
#   3. pip install -r requirements-dev.txt -c constraints.txt, only when the sha256 of the requirement
#      files (and of the pip pin below) differs from the one in .venv/.terrasam-stamp.
# A run with nothing to do takes about a second and says that it skipped each step.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(qgis python3-qgis qgis-providers python3-venv xvfb ca-certificates)
I18N_PACKAGES=(pyqt5-dev-tools qttools5-dev-tools)
# Debian 12's venv starts with pip 23.0.1; the pinned set was resolved and installed with this pip.
PIP_PIN="pip==26.3"
VENV=.venv
STAMP="$VENV/.terrasam-stamp"
REQUIREMENT_FILES=(requirements.txt requirements-dev.txt constraints.txt)

usage() {
    echo "usage: scripts/bootstrap.sh [--i18n]   (--i18n: also install pylupdate5 and lrelease)"
}

with_i18n=0
for arg in "$@"; do
    case "$arg" in
        --i18n) with_i18n=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

say() { printf 'bootstrap: %s\n' "$*"; }

# Two make targets started in parallel must not build the same venv at the same time.
if command -v flock >/dev/null 2>&1; then
    exec 9>"${TMPDIR:-/tmp}/terrasam-bootstrap-$(id -u)-$(pwd | sha256sum | cut -c1-12).lock"
    flock 9
fi

# -- 1. Debian packages ---------------------------------------------------------------------------------------
wanted=("${APT_PACKAGES[@]}")
if [ "$with_i18n" = 1 ]; then
    wanted+=("${I18N_PACKAGES[@]}")
fi
missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    say "Debian packages present (${wanted[*]}), skipping apt-get"
elif [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap: installing them needs root; run:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    echo "bootstrap: or run this script as root (sudo scripts/bootstrap.sh), then again as yourself." >&2
    exit 1
else
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # Recommends stay on: this is the verified recipe (GUIDE.md); qgis recommends the GRASS plugin.
    apt-get install -y -q "${missing[@]}"
fi

# -- 2. Virtual environment -----------------------------------------------------------------------------------
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' \
        && grep -qs '^include-system-site-packages *= *true' "$VENV/pyvenv.cfg"; then
    say "$VENV present, skipping venv creation"
else
    if [ -e "$VENV" ]; then
        say "$VENV is broken or lacks the system site-packages, recreating it"
        rm -rf "$VENV"
    fi
    say "creating $VENV (/usr/bin/python3 -m venv --system-site-packages)"
    /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi

# -- 3. Python packages ---------------------------------------------------------------------------------------
wanted_hash=$( { cat "${REQUIREMENT_FILES[@]}"; echo "$PIP_PIN"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null || true)" = "$wanted_hash" ]; then
    say "Python packages match ${REQUIREMENT_FILES[*]} (stamp $STAMP), skipping pip install"
else
    rm -f "$STAMP"
    say "installing Python packages into $VENV (torch with its CUDA libraries is large; the first run takes minutes)"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$PIP_PIN"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r requirements-dev.txt -c constraints.txt
    # The QGIS bindings come from Debian's site-packages: make sure the venv still sees them.
    QT_QPA_PLATFORM=offscreen "$VENV/bin/python" -c 'import qgis.core, rasterio, segment_anything' \
        || { echo "bootstrap: the venv cannot import qgis.core / rasterio / segment_anything" >&2; exit 1; }
    echo "$wanted_hash" > "$STAMP"
    say "Python packages installed, stamp written to $STAMP"
fi
