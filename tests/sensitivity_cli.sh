#!/bin/sh
# sensitivity_cli.sh: `cart sensitivity` end to end: bad input (exit 2, a message naming what is
# wrong, nothing written), --help, a small Sobol and Morris analysis of the default scenario
# (the table, the file), the same file for 1 and 2 threads, --force, Cblood at a day (NAME@DAY).
. "$(dirname "$0")/harness.sh"
cart=${CART_BIN:-./src/cart}

# expect_error WHAT MESSAGE ARGS...: exit 2, "cart: ...MESSAGE" on stderr, no file
expect_error() {
  what=$1
  message=$2
  shift 2
  "$cart" sensitivity "$@" -o "$tmp/never.h5" >/dev/null 2>"$tmp/err"
  status=$?
  if [ $status -eq 2 ] && grep -qF -- "$message" "$tmp/err" && [ ! -e "$tmp/never.h5" ]; then
    ok
  else
    bad "$what: status $status, $(cat "$tmp/err")"
  fi
}

expect_error "no --param" "needs at least one --param" -s cr
expect_error "no --statistic" "needs --statistic STAT" -p rho=0.2:1
expect_error "unknown parameter" "model 'cart' has no parameter 'rhoo' (parameters: dose, f_mem, rho," \
  -p rhoo=0.2:1 -s cr -N 2 -n 2
expect_error "unknown parameter from the scenario" "--param rhoo=scenario: model 'cart' has no parameter 'rhoo'" \
  -p rhoo=scenario -s cr
expect_error "a parameter that does not vary" "'V_blood' does not vary in the scenario" \
  -p V_blood=scenario -s cr
expect_error "lower >= upper" "rho: the range 1, 0.2 must be finite with lower < upper" -p rho=1:0.2 -s cr
expect_error "log of 0" "rho: a log-uniform range needs lower > 0" -p rho=0:1:log -s cr
expect_error "not a number" "--param rho=0.2:x: rho: 'x' is not a number" -p rho=0.2:x -s cr
expect_error "no '='" "expected NAME=LOWER:UPPER" -p rho -s cr
expect_error "outside the bounds" "rho: the design's values" -p rho=1:20 -s cr -N 2 -n 2
expect_error "unknown statistic" "statistic: unknown statistic 'crr' (statistics: orr, cr," \
  -p rho=0.2:1 -s crr -N 2 -n 2
expect_error "unknown endpoint" "no endpoint 'cmx'" -p rho=0.2:1 -s "median(cmx)" -N 2 -n 2
expect_error "unknown NAME of NAME@DAY" "no state or signal 'Cbl' for Cbl@DAY (its states and signals: E, M," \
  -p rho=0.2:1 -s "median(Cbl@28)" -N 2 -n 2
expect_error "NAME@DAY after the horizon" "day 400 is after the trial's horizon 365" \
  -p rho=0.2:1 -s "median(Cblood@400)" -N 2 -n 2
expect_error "malformed NAME@DAY" "'Cblood@28d' is not NAME@DAY" -p rho=0.2:1 -s "median(Cblood@28d)" -N 2 -n 2
expect_error "N = 0" "-N: N must be at least 1" -p rho=0.2:1 -s cr -N 0
expect_error "bad method" "--method 'fast': expected sobol or morris" -p rho=0.2:1 -s cr --method fast
expect_error "odd levels" "Morris levels must be even" -p rho=0.2:1 -s cr --method morris --levels 3
expect_error "a second scenario" "takes one scenario" a.ini b.ini -p rho=0.2:1 -s cr
expect_error "typical patient and -n" "--typical-patient is one patient: drop -n" \
  -p rho=0.2:1 -s "mean(cmax)" --typical-patient -n 3
expect_error "missing scenario" "nonexistent.ini" "$tmp/nonexistent.ini" -p rho=0.2:1 -s cr

# --help: the synopsis and the options, exit 0
if "$cart" sensitivity --help >"$tmp/help" 2>&1 && grep -q "^usage: cart sensitivity" "$tmp/help" \
    && grep -q -- "--statistic STAT" "$tmp/help"; then
  ok
else
  bad "--help: $(cat "$tmp/help")"
fi

# a small Sobol analysis: V_blood does not change any response, so its indices for the CR rate are 0
run_sobol() {
  "$cart" sensitivity -p rho=0.2:1.2 -p V_blood=3:7 -s cr -N 8 -n 12 --bootstrap 50 \
    --threads "$1" -o "$2" -q >"$3" 2>"$tmp/err"
}
if run_sobol 1 "$tmp/one.h5" "$tmp/one.txt" && grep -q "^  V_blood  *0.0000 .*0.0000" "$tmp/one.txt" \
    && grep -q "written to $tmp/one.h5" "$tmp/one.txt"; then
  ok
else
  bad "sobol: $(cat "$tmp/one.txt" "$tmp/err")"
fi
if run_sobol 2 "$tmp/two.h5" "$tmp/two.txt"; then
  if command -v h5diff >/dev/null 2>&1; then
    d=$(differing "$tmp/one.h5" "$tmp/two.h5" /design/unit /design/values /design/outputs \
      /indices/first /indices/total /indices/first_lower /indices/total_upper)
    [ -z "$d" ] && ok || bad "1 and 2 threads differ in$d"
  fi
  # the tables agree but for the time taken and the file's name
  sed -e 's/trials in .* s;/trials;/' -e '/^written to/d' "$tmp/one.txt" >"$tmp/one.table"
  sed -e 's/trials in .* s;/trials;/' -e '/^written to/d' "$tmp/two.txt" >"$tmp/two.table"
  if ! cmp -s "$tmp/one.table" "$tmp/two.table"; then
    bad "1 and 2 threads print different tables"
  else
    ok
  fi
else
  bad "sobol, 2 threads: $(cat "$tmp/err")"
fi
if [ "$have_h5py" = 1 ]; then
  if "$python" - "$tmp/one.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert f.attrs["complete"] == 1 and f.attrs["method"] == "sobol" and f.attrs["statistic"] == "cr"
assert f["design/unit"].shape == (32, 2) and f["design/outputs"].shape == (32,)
assert [n.decode() if isinstance(n, bytes) else n for n in f["parameters"].attrs["names"]] == ["rho", "V_blood"]
assert f["indices/total"][1] == 0 and f["indices/total"][0] > 0
assert np.all((f["design/values"][:, 0] >= 0.2) & (f["design/values"][:, 0] <= 1.2))
PY
  then ok; else bad "the file's content"; fi
fi

# an existing output needs --force
if "$cart" sensitivity -p rho=0.2:1 -s cr -N 2 -n 2 -o "$tmp/one.h5" -q >/dev/null 2>"$tmp/err"; then
  bad "overwrote without --force"
elif grep -q "exists (use --force" "$tmp/err"; then
  ok
else
  bad "existing output: $(cat "$tmp/err")"
fi

# Morris on the scenario's own distribution of rho
if "$cart" sensitivity -p rho=scenario -p V_blood=3:7 -s "median(cmax)" --method morris -N 4 -n 8 \
    --bootstrap 20 -o "$tmp/morris.h5" -q >"$tmp/morris.txt" 2>"$tmp/err" \
    && grep -q "Morris elementary effects, r = 4: 12 trials" "$tmp/morris.txt" \
    && grep -q "^  rho " "$tmp/morris.txt"; then
  ok
else
  bad "morris: $(cat "$tmp/morris.txt" "$tmp/err")"
fi

# one typical patient: its cmax
if "$cart" sensitivity -p rho=0.3:1 -p V_blood=3:7 -s "mean(cmax)" --typical-patient -N 4 \
    --bootstrap 20 -o "$tmp/typical.h5" -q >"$tmp/typical.txt" 2>"$tmp/err" \
    && grep -q "mean(cmax) (<default>, 1 virtual patient per trial)" "$tmp/typical.txt"; then
  ok
else
  bad "--typical-patient: $(cat "$tmp/typical.txt" "$tmp/err")"
fi

# a state at a day: Cblood at day 28, which WT (tocilizumab doses only) cannot change
if "$cart" sensitivity -p rho=0.3:1 -p WT=40:120 -s "median(Cblood@28)" -N 4 -n 8 --bootstrap 20 \
    -o "$tmp/at.h5" -q >"$tmp/at.txt" 2>"$tmp/err" \
    && grep -q "sensitivity of median(Cblood@28) (<default>, 8 virtual patients per trial)" "$tmp/at.txt" \
    && grep -q "^  WT  *0.0000 .*0.0000" "$tmp/at.txt"; then
  ok
else
  bad "median(Cblood@28): $(cat "$tmp/at.txt" "$tmp/err")"
fi

finish
