#!/usr/bin/env bash
# Makes .venv (Python 3.11 or newer) when missing and installs Koe into it, with extras if asked:
#   scripts/venv.sh            -> pip install -e .
#   scripts/venv.sh test       -> pip install -e '.[test]'
# A stamp file skips the install when pyproject.toml has not changed since the last one.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${KOE_VENV:-.venv}
extra=${1:-}

if [[ ! -x "$VENV/bin/python" ]]; then
    python=""
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            python=$candidate
            break
        fi
    done
    if [[ -z "$python" ]]; then
        echo "Koe needs Python 3.11 or newer (python3.11 or python3 on PATH)." >&2
        exit 1
    fi
    echo "Creating $VENV with $($python --version)"
    "$python" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --quiet --upgrade pip
fi

stamp="$VENV/.koe-installed${extra:+-$extra}"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    target="."
    [[ -n "$extra" ]] && target=".[$extra]"
    echo "Installing Koe ($target) into $VENV"
    "$VENV/bin/python" -m pip install --quiet --quiet -e "$target"
    touch "$stamp"
fi
