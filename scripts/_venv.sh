# Sourced by scripts/serve and scripts/test: make sure .venv exists and has the
# packages of a requirements file. Not meant to be run on its own.
#
#   venv_ensure requirements.txt       # or requirements-dev.txt
#
# The venv lives in .venv at the repository root (the caller cd's there first).
# pip runs only when the requirements changed since the last successful install:
# a SHA-256 of the requirements files and the Python version is kept in
# .venv/.installed-<file>.sha256.

VENV_DIR=".venv"
VENV_PY="$VENV_DIR/bin/python"

_venv_log() { printf '==> %s\n' "$*" >&2; }

# Print the interpreter to create the venv with: python3.11 if it runs, else python3.
_venv_pick_python() {
    local candidate
    for candidate in "${STUDYAPP_PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys' >/dev/null 2>&1; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

# Print the hash that says "these requirements are installed": the requirements
# file, every file it includes with -r, and the venv's Python version.
_venv_requirements_hash() {
    local file="$1" included
    {
        "$VENV_PY" -c 'import sys; print(sys.version)'
        cat "$file"
        # Follow "-r other.txt" includes one level deep (that is all we use).
        sed -n 's/^[[:space:]]*-r[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$file" | while read -r included; do
            cat "$(dirname "$file")/$included"
        done
    } | sha256sum | cut -d' ' -f1
}

_venv_stamp() { printf '%s/.installed-%s.sha256\n' "$VENV_DIR" "$(basename "$1")"; }

venv_ensure() {
    local requirements="${1:?usage: venv_ensure REQUIREMENTS_FILE}" python stamp want included
    if [ ! -f "$requirements" ]; then
        echo "error: $requirements not found in $(pwd)" >&2
        return 1
    fi

    # A venv that no longer runs (moved, or made by a Python that is gone) is made anew.
    if [ -d "$VENV_DIR" ] && ! "$VENV_PY" -c 'import sys' >/dev/null 2>&1; then
        _venv_log "$VENV_DIR does not work any more; creating it again"
        rm -rf "$VENV_DIR"
    fi
    if [ ! -d "$VENV_DIR" ]; then
        if ! python="$(_venv_pick_python)"; then
            echo "error: no Python found; install Python 3.11 (python3.11 or python3)" >&2
            return 1
        fi
        if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            echo "warning: $("$python" --version 2>&1) is older than 3.11; studyapp is tested on 3.11" >&2
        fi
        _venv_log "creating $VENV_DIR with $("$python" --version 2>&1)"
        "$python" -m venv "$VENV_DIR"
    fi

    stamp="$(_venv_stamp "$requirements")"
    want="$(_venv_requirements_hash "$requirements")"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    _venv_log "installing $requirements into $VENV_DIR (first run or changed requirements; this can take a few minutes)"
    "$VENV_PY" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    printf '%s\n' "$want" >"$stamp"
    # The files it includes are installed now too.
    sed -n 's/^[[:space:]]*-r[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$requirements" | while read -r included; do
        included="$(dirname "$requirements")/$included"
        if [ -f "$included" ]; then
            _venv_requirements_hash "$included" >"$(_venv_stamp "$included")"
        fi
    done
    return 0
}
