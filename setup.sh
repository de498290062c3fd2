#!/usr/bin/env bash
# setup.sh: the two set-up commands of the README, on Debian 12.
#
#   ./setup.sh demo   install what is missing, build, run wallboardd with demo traffic
#   ./setup.sh test   install what is missing, build, run the whole test suite
#
# Debian packages come through apt-get (with sudo when not root), the pages'
# npm packages through npm ci; nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")"

mode="${1:-}"
case "$mode" in
  demo | test) ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac

# What building and running need (glib-networking: GIO's TLS, for [ami] tls).
build_debs=(meson ninja-build pkg-config gcc libc6-dev libglib2.0-dev libjson-glib-dev
  libsqlite3-dev libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libsodium-dev libsystemd-dev librrd-dev
  libcsv-dev libxlsxwriter-dev glib-networking check tzdata fonts-noto-cjk)
# What the test suite needs besides: a second compiler and the sanitizer
# runtime, the format check, Debian's Python with websockets for the
# integration tests, Chromium for the browser tests, the stock rrdtool and
# rrdcached that the archive is checked against, openssl to make the AMI
# TLS test's certificate (not in a minimal Debian 12), openpyxl to read the
# reports' XLSX back, prometheus-client to parse /metrics, systemd-analyze
# to verify the units, debhelper and git to build the Debian package,
# valgrind for the daemon test under memcheck.
test_debs=(clang clang-format libclang-rt-14-dev python3 python3-websockets python3-openpyxl
  python3-prometheus-client sqlite3 chromium rrdtool rrdcached openssl systemd debhelper
  dpkg-dev git valgrind)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}

install_debs() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  # Node.js may come from elsewhere (nodesource); only Debian's if none.
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing Debian packages: ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "${missing[@]}"
  fi
}

install_npm() {
  if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules ]; then
    echo "== installing npm packages"
    npm ci --no-audit --no-fund
  fi
}

build() {
  local dir="$1"
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@"
  fi
  meson compile -C "$dir"
}

if [ "$mode" = demo ]; then
  install_debs "${build_debs[@]}"
  install_npm
  build build
  # The first administrator, made once per state directory with a random
  # password shown only here: there is no default password.
  admin_note=""
  if ! build/engine/wallboardctl user list | awk 'NR > 1 && $2 == "admin"' | grep -q .; then
    # 24 random base64 characters, then one of each kind the policy counts.
    admin_password="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')aZ7."
    printf '%s\n' "$admin_password" |
      build/engine/wallboardctl user add admin --role admin --display-name Administrator \
        --password-stdin >/dev/null
    admin_note="== first administrator: user admin, password $admin_password
   (shown only now; change it with: build/engine/wallboardctl user passwd admin)"
  fi
  echo "== starting wallboardd with demo traffic (Ctrl-C stops it)"
  [ -z "$admin_note" ] || echo "$admin_note"
  exec build/engine/wallboardd --demo
fi

install_debs "${build_debs[@]}" "${test_debs[@]}"
install_npm

echo "== format check (clang-format)"
git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror

echo "== gcc, warnings as errors: the whole suite"
build build/gcc --buildtype=debugoptimized -Dwerror=true -Dbrowser_tests=enabled
meson test -C build/gcc --print-errorlogs

echo "== clang with AddressSanitizer and UndefinedBehaviorSanitizer: the whole suite"
CC=clang build build/clang-asan --buildtype=debug -Dwerror=true \
  -Db_sanitize=address,undefined -Db_lundef=false -Dbrowser_tests=enabled
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 \
  LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build/clang-asan --print-errorlogs --timeout-multiplier 3

# docs/reliability.md, "Fuzzing": the parsers of outside input under
# libFuzzer; a crash leaves its input as build/clang-fuzz/fuzz_TARGET-crash-*.
echo "== libFuzzer targets (clang, ASan/UBSan): seed corpora replayed, then 20 s of each"
CC=clang build build/clang-fuzz --buildtype=debugoptimized -Dwerror=true -Dtests=false \
  -Dbrowser_tests=disabled -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
meson test -C build/clang-fuzz --suite fuzz --print-errorlogs
tests/fuzz/run.sh build/clang-fuzz 20

echo "== all tests passed"
