#!/bin/sh
# Installs the Debian packages named as arguments that are not installed yet;
# does nothing (and prints nothing) when all are present.
# usage: scripts/apt-ensure.sh TAG PKG...   (TAG prefixes the one log line)
set -eu
tag=$1
shift
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -n "$missing" ] || exit 0
echo "$tag: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
