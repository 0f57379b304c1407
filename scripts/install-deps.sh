#!/usr/bin/env bash
# Installs what imsd's build and tests need on a fresh Debian 12 machine (run as root).
# Debian packages only for system components; npm packages come from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  # IMS core for the lab and end-to-end tests
  kamailio kamailio-ims-modules kamailio-presence-modules
  # kernel with ESP for IPsec tests (the build hosts' kernels may lack it)
  user-mode-linux
  # real peers
  baresip-core sip-tester dbus ofono ofono-scripts python3-dbus python3-gi
  # PC/SC stack with a virtual reader
  pcscd vsmartcard-vpcd pcsc-tools libpcsclite-dev
  # node-gyp builds the native PC/SC binding (npm smartcard) during npm ci
  build-essential python3 pkg-config
  # independent peers for the auth benchmarks (bench/auth-*.ts)
  python3-cryptography python3-pyscard
  # systemd-analyze verify/security for systemd/imsd.service
  systemd
  # diagnostics used by tests and the lab
  tshark tcpdump iproute2 strace procps psmisc busybox
  # the JavaScript parts Debian's Node 18 loads from /usr/share/nodejs (see NODE18_DIR below)
  node-acorn node-cjs-module-lexer node-undici
)

# imsd must run on Debian 12's own Node 18 (tests/e2e/daemon/main/node18.test.ts). Its nodejs and
# libnode108 packages are unpacked here, beside the system's Node 20, not installed over it.
NODE18_DIR=${IMSD_NODE18_DIR:-/opt/imsd-test/node18}

if [ "${SKIP_APT:-}" != 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  missing=()
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    apt-get update -qq
    # policy-rc.d keeps package scripts from starting system daemons (pcscd, ofono, dbus) we run
    # ourselves; an existing one is put back afterwards, also when apt fails
    if [ -e /usr/sbin/policy-rc.d ]; then mv /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.imsd-saved; fi
    trap 'rm -f /usr/sbin/policy-rc.d; if [ -e /usr/sbin/policy-rc.d.imsd-saved ]; then mv /usr/sbin/policy-rc.d.imsd-saved /usr/sbin/policy-rc.d; fi' EXIT
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "install-deps: Debian packages already present"
  fi
fi

if [ "${SKIP_APT:-}" != 1 ] && [ ! -x "$NODE18_DIR/usr/bin/node" ]; then
  node18_version() { apt-cache madison nodejs | awk '$3 ~ /^18\./ { print $3; exit }'; }
  v=$(node18_version)
  if [ -z "$v" ]; then apt-get update -qq; v=$(node18_version); fi
  if [ -z "$v" ]; then echo "install-deps: Debian offers no nodejs 18" >&2; exit 1; fi
  echo "install-deps: unpacking Debian's nodejs $v into $NODE18_DIR"
  tmp=$(mktemp -d)
  (cd "$tmp" && chmod 777 . && apt-get download -qq "nodejs=$v" "libnode108=$v")
  mkdir -p "$NODE18_DIR"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$NODE18_DIR"; done
  rm -rf "$tmp"
  LD_LIBRARY_PATH="$NODE18_DIR/usr/lib/x86_64-linux-gnu" "$NODE18_DIR/usr/bin/node" --version
fi

if [ "${SKIP_NPM:-}" != 1 ]; then
  npm ci --no-audit --no-fund
fi
