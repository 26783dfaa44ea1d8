#!/usr/bin/env bash
# Installs the Debian packages Linli's tests and demo use, when any is missing (TESTBED.md):
# socat (pty pairs for serial devices), mosquitto-clients (third-party MQTT peers), chromium with a
# CJK font (browser tests), and the PC/SC stack: pcscd with the vpcd virtual reader, pcsc-tools, and
# libpcsclite-dev, which the optional nfc-pcsc compiles against — so this runs before `npm ci`
# (TESTBED.md). Idempotent and quiet when everything is present.
set -euo pipefail
need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi 'wenquanyi micro hei' || need+=(fonts-wqy-microhei)
[ -x /usr/sbin/pcscd ] || command -v pcscd >/dev/null 2>&1 || need+=(pcscd)
command -v pcsc_scan >/dev/null 2>&1 || need+=(pcsc-tools)
[ -f /usr/include/PCSC/winscard.h ] || need+=(libpcsclite-dev)
[ -f /etc/reader.conf.d/vpcd ] || need+=(vsmartcard-vpcd)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing system packages: ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
