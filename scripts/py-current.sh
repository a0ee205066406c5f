#!/usr/bin/env bash
# Current httpx and httpcore (0.28 / 1.x) for the Python tests, next to the
# versions Debian 12 ships (0.23 / 0.16). They come from Debian 13 (trixie):
# apt downloads them with a private state directory (the machine's sources
# and installed packages are not touched), checking the archive signature
# with the system keyring, and dpkg-deb unpacks them into
#   .deps/python-current/usr/lib/python3/dist-packages
# which the test `test_python_current` puts on PYTHONPATH. They are pure
# Python (Architecture: all), so Debian 12's Python 3.11 runs them.
#   scripts/py-current.sh          fetch unless already there
#   scripts/py-current.sh --force  fetch again
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.deps/python-current"
site="$dest/usr/lib/python3/dist-packages"
# httpx 0.28 needs anyio, sniffio, h11 and typing-extensions newer than
# Debian 12's; openai is left out: Debian 13's needs pydantic 2, whose core
# is compiled for Python 3.13.
pkgs=(python3-httpx python3-httpcore python3-h11 python3-anyio python3-sniffio python3-typing-extensions)

if [ "${1:-}" != "--force" ] && [ -f "$dest/.complete" ]; then
  exit 0
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ ! -f "$keyring" ]; then
  echo "py-current.sh: $keyring is missing (apt-get install debian-archive-keyring)" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
echo "deb [signed-by=$keyring] http://deb.debian.org/debian trixie main" >"$work/sources.list"
opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Debug::NoLocking=1
      -o Acquire::Languages=none -o APT::Sandbox::User="$(id -un)")
echo "py-current.sh: fetching ${pkgs[*]} from Debian 13" >&2
apt-get "${opts[@]}" -qq update
(cd "$work/debs" && apt-get "${opts[@]}" -qq download "${pkgs[@]}")
rm -rf "$dest"
mkdir -p "$dest"
for deb in "$work/debs"/*.deb; do
  dpkg-deb -x "$deb" "$dest"
done
[ -d "$site/httpx" ] && [ -d "$site/httpcore" ] || { echo "py-current.sh: unpacking failed" >&2; exit 1; }
for deb in "$work/debs"/*.deb; do
  dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb"
done >"$dest/VERSIONS"
touch "$dest/.complete"
echo "py-current.sh: $(paste -sd, "$dest/VERSIONS")" >&2
