# What scripts/test and scripts/build-macro both need: the Python tools in .venv and the
# arm64 Rust target. Sourced (`source scripts/common.sh`) after `set -euo pipefail`, with
# ROOT set to the repository's root; not a command of its own.

VENV="$ROOT/.venv"
REQUIREMENTS="$ROOT/scripts/requirements-test.txt"
STAMP="$VENV/.requirements-test.sha256"
PYTHON="${PYTHON:-python3}"
ARM64_TARGET=aarch64-unknown-linux-gnu

log() { printf 'scripts/%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# Makes .venv (python3 -m venv) when it is missing or broken.
venv_exists() {
    if [[ -e "$VENV" ]] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        log "$VENV is broken; recreating it"
        rm -rf "$VENV"
    fi
    if [[ ! -e "$VENV" ]]; then
        log "creating $VENV"
        "$PYTHON" -m venv "$VENV" || die "could not create $VENV with $PYTHON -m venv (Python 3.11 or newer, with its venv module, is needed)"
    fi
}

# Installs every tool of scripts/requirements-test.txt into .venv, only when that file
# changed since the last install (its sha256 is kept in .venv).
venv_has_all_tools() {
    venv_exists
    local want have
    want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
    have="$(cat "$STAMP" 2>/dev/null || true)"
    if [[ "$want" != "$have" ]]; then
        log "installing scripts/requirements-test.txt into .venv (a minute or two, once)"
        rm -f "$STAMP"
        "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$REQUIREMENTS"
        printf '%s\n' "$want" >"$STAMP"
    fi
}

# Installs the named packages into .venv when one of their commands is missing, at the
# versions scripts/requirements-test.txt pins: venv_has PACKAGE:COMMAND...
venv_has() {
    venv_exists
    local spec package command pin pins=()
    for spec in "$@"; do
        package="${spec%%:*}"
        command="${spec#*:}"
        [[ -x "$VENV/bin/$command" ]] && continue
        pin="$(grep -E "^${package}==" "$REQUIREMENTS")" ||
            die "scripts/requirements-test.txt pins no version of $package"
        pins+=("$pin")
    done
    if ((${#pins[@]})); then
        log "installing ${pins[*]} into .venv"
        "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q "${pins[@]}"
    fi
}

# Makes sure the active Rust toolchain can build for aarch64-unknown-linux-gnu (the macro
# runs on arm64): already there, or added with rustup. Fails, saying what to do, otherwise.
arm64_target_installed() {
    local libdir
    libdir="$(rustc --print sysroot)/lib/rustlib/$ARM64_TARGET/lib"
    compgen -G "$libdir/libstd-*.rlib" >/dev/null && return 0
    command -v rustup >/dev/null 2>&1 ||
        die "the Rust target $ARM64_TARGET is not installed, and there is no rustup to add it: install Rust with rustup (https://rustup.rs), or add that target's standard library to your toolchain"
    log "rustup target add $ARM64_TARGET"
    timeout 600 rustup target add "$ARM64_TARGET" ||
        die "\`rustup target add $ARM64_TARGET\` failed (it downloads the target from the Rust distribution server): run it again once that server can be reached"
}
