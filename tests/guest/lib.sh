# Shared helpers for the real-guest test scripts (sourced, not run).
#
# Everything downloaded or built lives under $VC_GUEST_CACHE (default tests/guest/cache/,
# gitignored). Downloads use a private apt configuration there (bookworm, -updates,
# -security and -backports lists), so the host's /etc/apt is never changed and the host's
# QEMU 7.2 is never replaced.

GUEST_DIR=$(cd "$(dirname "$0")" && pwd)
: "${GUEST_DIR:?}"
CACHE=${VC_GUEST_CACHE:-$GUEST_DIR/cache}
MIRROR=${VC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${VC_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

log() { printf '%s\n' "guest: $*" >&2; }
die() { log "error: $*"; exit 1; }

APT_DIR=$CACHE/apt

apt_opts() {
    printf '%s\n' \
        -o "Dir::Etc::SourceList=$APT_DIR/sources.list" \
        -o "Dir::Etc::SourceParts=$APT_DIR/sources.list.d" \
        -o "Dir::Etc::Preferences=$APT_DIR/preferences" \
        -o "Dir::Etc::PreferencesParts=$APT_DIR/preferences.d" \
        -o "Dir::State::Lists=$APT_DIR/lists" \
        -o "Dir::Cache::Archives=$APT_DIR/archives" \
        -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" \
        -o "Acquire::Retries=2" -o "quiet=1"
    # As root, apt would hand downloads to the _apt user, which cannot write into the
    # cache; the files are public packages, so no sandbox is needed.
    [ "$(id -u)" -ne 0 ] || printf '%s\n' -o "APT::Sandbox::User=root"
}

# Private apt lists; refreshed when missing or older than a day.
apt_private_update() {
    mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial" "$APT_DIR/sources.list.d" \
        "$APT_DIR/preferences.d"
    : >"$APT_DIR/preferences"
    signed=""
    [ ! -r /usr/share/keyrings/debian-archive-keyring.gpg ] ||
        signed=" [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
    cat >"$APT_DIR/sources.list.new" <<EOF
deb$signed $MIRROR bookworm main
deb$signed $MIRROR bookworm-updates main
deb$signed $SECURITY_MIRROR bookworm-security main
deb$signed $MIRROR bookworm-backports main
EOF
    if ! cmp -s "$APT_DIR/sources.list.new" "$APT_DIR/sources.list" 2>/dev/null; then
        mv "$APT_DIR/sources.list.new" "$APT_DIR/sources.list"
        rm -f "$APT_DIR/updated"
    else
        rm -f "$APT_DIR/sources.list.new"
    fi
    if [ -z "$(find "$APT_DIR/updated" -mmin -1440 2>/dev/null)" ]; then
        log "updating private apt lists in $APT_DIR"
        # shellcheck disable=SC2046
        # --error-on=any: a mirror that cannot be reached must not leave a fresh-looking
        # marker behind.
        apt-get $(apt_opts) --error-on=any update >"$APT_DIR/update.log" 2>&1 ||
            { cat "$APT_DIR/update.log" >&2; return 1; }
        touch "$APT_DIR/updated"
    fi
}

# apt_download DIR PKG[/SUITE]...: fetch .debs into DIR (no install).
apt_download() {
    d=$1
    shift
    mkdir -p "$d"
    # shellcheck disable=SC2046
    (cd "$d" && apt-get $(apt_opts) download "$@") >"$d/download.log" 2>&1 ||
        { cat "$d/download.log" >&2; return 1; }
}

# apt_version PKG[/SUITE]: candidate version in the private lists.
apt_version() {
    # shellcheck disable=SC2046
    apt-cache $(apt_opts) show "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1
}
