# bench/common.sh: what the benchmark scripts share (sourced by run.sh and work_precision.sh).

# apt_install PACKAGE: installs it when CART_BENCH_INSTALL=1 (0 on success), else says how; logs
# go to $TMP/apt.log (the caller's temporary folder).
apt_install() {
  if [ "${CART_BENCH_INSTALL:-0}" != 1 ]; then
    echo "  $1 is not installed: skipped (set CART_BENCH_INSTALL=1 or apt-get install -y $1)"
    return 1
  fi
  echo "  installing $1 (CART_BENCH_INSTALL=1)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >"$TMP/apt.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$TMP/apt.log" 2>&1
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >>"$TMP/apt.log" 2>&1; then
      echo "  apt-get install -y $1 failed:"
      tail -3 "$TMP/apt.log" | sed 's/^/    /'
      return 1
    fi
  fi
  return 0
}
