#!/usr/bin/env bash
# Debian packages ipoc needs outside Python: Chromium for browser tests, a CJK font so Chinese renders,
# the free faces of the official-document font roles (Noto Serif CJK: 小标宋 title; AR PL UKai: 楷体 body),
# Pango for WeasyPrint (PDF documents), poppler-utils to read Chinese text back out of PDFs in tests.
set -euo pipefail
packages=(chromium fonts-wqy-zenhei fonts-noto-cjk fonts-arphic-ukai libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Not root (or no apt-get): please install these Debian packages: ${missing[*]}"
  echo "  sudo apt-get install ${missing[*]}"
  echo "Browser tests will be skipped until they are installed."
fi
