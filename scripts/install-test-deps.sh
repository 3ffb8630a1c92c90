#!/bin/sh
# Installs the system packages that parts of the test suite need. `make test` runs it before pytest.
#
# Idempotent: a section whose program is already there does nothing. Tolerant: a section that
# cannot install (not root, no network, no such package) prints why, writes the reason to
# test-artifacts/deps/<section>.txt and moves on; the tests that need it skip, printing that
# reason. The script itself always exits 0.
#
# To add a section: write a function `section_<name>` that returns 0 when the dependency is
# ready and prints the reason and returns 1 otherwise, then add <name> to SECTIONS.

set -u

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
STATUS_DIR="$ROOT/test-artifacts/deps"
SECTIONS="chromium"
APT_UPDATED=""

mkdir -p "$STATUS_DIR"

is_root() {
    [ "$(id -u)" = "0" ]
}

# apt_install PACKAGE...: install Debian packages (apt-get update once per run).
apt_install() {
    if ! is_root; then
        echo "not root, cannot run apt-get install $*"
        return 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "no apt-get on this machine, cannot install $*"
        return 1
    fi
    if [ -z "$APT_UPDATED" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || {
            echo "apt-get update failed"
            return 1
        }
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
        >"$STATUS_DIR/apt-$1.log" 2>&1 || {
        echo "apt-get install $* failed (see $STATUS_DIR/apt-$1.log)"
        return 1
    }
}

# ----------------------------------------------------------------------------- chromium
# Headless Chromium for the HTML viewer tests (driven by Playwright, never its own download).
section_chromium() {
    if [ -x /usr/bin/chromium ]; then
        return 0
    fi
    apt_install chromium || return 1
    if [ ! -x /usr/bin/chromium ]; then
        echo "the chromium package installed no /usr/bin/chromium"
        return 1
    fi
}

# ----------------------------------------------------------------------------- driver
for name in $SECTIONS; do
    # Not in a subshell, so that sections share state (apt-get update runs once).
    if "section_$name" >"$STATUS_DIR/$name.txt" 2>&1; then
        rm -f "$STATUS_DIR/$name.txt"
    else
        echo "install-test-deps: $name unavailable: $(cat "$STATUS_DIR/$name.txt")" \
            "(tests that need it will skip)" >&2
    fi
done
exit 0
