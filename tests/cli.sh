#!/bin/sh
# cli.sh: the `cart` command: default run, --help, --version, models, and every bad input giving
# one clear line on stderr and its exit status (2 bad input, 1 solver failure).
. "$(dirname "$0")/harness.sh"
cart=${CART_BIN:-./src/cart}

# expect STATUS PATTERN ARGS...: exit status STATUS, one stderr line matching PATTERN, no stdout.
expect() {
  want=$1 pattern=$2
  shift 2
  "$cart" "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  if [ "$got" -ne "$want" ]; then bad "cart $*: exit $got, expected $want"; return; fi
  if [ "$(wc -l <"$tmp/err")" -ne 1 ]; then bad "cart $*: stderr is not one line: $(cat "$tmp/err")"; return; fi
  if ! grep -q -- "$pattern" "$tmp/err"; then bad "cart $*: stderr '$(cat "$tmp/err")' lacks '$pattern'"; return; fi
  if [ -s "$tmp/out" ]; then bad "cart $*: wrote to stdout on error"; return; fi
  ok
}

# Default run: header, 366 rows (days 0..365), 11 columns, MODEL.md 2.2 initial state at t = 0.
if "$cart" run >"$tmp/out" 2>"$tmp/err"; then
  header=$(head -n 1 "$tmp/out")
  [ "$header" = "$(printf 't\tE\tM\tX\tTp\tTn\tB\tIL6\tD1\tD2\tCblood')" ] && ok || bad "header: $header"
  [ "$(wc -l <"$tmp/out")" -eq 367 ] && ok || bad "default run: $(wc -l <"$tmp/out") lines"
  [ "$(sed -n 2p "$tmp/out")" = "$(printf '0\t112000000\t28000000\t0\t9.999999e+10\t10000\t1000000000\t3\t0\t0\t0.14')" ] \
    && ok || bad "t = 0 row: $(sed -n 2p "$tmp/out")"
  awk -F'\t' 'NR > 1 && NF != 11 { exit 1 }' "$tmp/out" && ok || bad "a row without 11 columns"
  # Cblood peaks in the tens of cells/uL near day 12 (MODEL.md 2.2: about 80 cells/uL)
  awk -F'\t' 'NR > 1 && $11 > m { m = $11; t = $1 } END { exit !(m > 60 && m < 100 && t >= 10 && t <= 14) }' \
    "$tmp/out" && ok || bad "Cblood peak not about 80 cells/uL near day 12"
else
  bad "cart run failed: $(cat "$tmp/err")"
fi

"$cart" --help >"$tmp/out" 2>&1 && grep -q "usage: cart run" "$tmp/out" && ok || bad "--help"
"$cart" --version >"$tmp/out" 2>&1 && grep -q "^cart (libcart) [0-9]" "$tmp/out" && ok || bad "--version"
"$cart" models >"$tmp/out" 2>&1 && grep -q "^model cart" "$tmp/out" && grep -q "^model stein" "$tmp/out" \
  && grep -q "p_amp .*pg/mL/day .*8000 .*\[0, 1e+07\]" "$tmp/out" \
  && grep -q "^    auc28 *copies/ug\*day *real" "$tmp/out" && ok || bad "models"

# Times, methods, stein, doses
"$cart" run --times 0,5,10 >"$tmp/out" 2>&1 && [ "$(wc -l <"$tmp/out")" -eq 4 ] && ok || bad "--times list"
"$cart" run --times 0:28:0.25 >"$tmp/out" 2>&1 && [ "$(wc -l <"$tmp/out")" -eq 114 ] \
  && [ "$(tail -n 1 "$tmp/out" | cut -f1)" = 28 ] && ok || bad "--times A:B:STEP"
"$cart" run --model stein --times 0,9.3,20 >"$tmp/out" 2>&1 && [ "$(head -n 1 "$tmp/out")" = "$(printf 't\tCE\tCM')" ] \
  && ok || bad "stein run"
"$cart" run --method rk8pd --times 0,28 >"$tmp/out" 2>&1 && ok || bad "rk8pd run"
# a dose at an output time shows the state after the dose
"$cart" run --times 0,14 >"$tmp/a" 2>&1 && "$cart" run --times 0,14 --dose 14:1e8:0 >"$tmp/b" 2>&1 \
  && awk -F'\t' 'NR == FNR && FNR == 3 { e = $2 } NR != FNR && FNR == 3 { d = $2 - e; exit !(d > 0.99e8 && d < 1.01e8) }' \
    "$tmp/a" "$tmp/b" && ok || bad "dose at an output time"
# --dose 0:CELLS is the initial infusion
"$cart" run --times 0 --dose 0:2e8:0.5 >"$tmp/out" 2>&1 && [ "$(sed -n 2p "$tmp/out" | cut -f2,3)" = "$(printf '100000000\t100000000')" ] \
  && ok || bad "initial dose"
"$cart" run --times 0,7 --toci 5:8 >"$tmp/out" 2>&1 && awk -F'\t' 'FNR == 3 { exit !($9 > 0) }' "$tmp/out" \
  && ok || bad "tocilizumab"

# Bad input: exit 2, one line naming the problem
expect 2 "unknown model 'lupos'" run --model lupos
expect 2 "no parameter 'rhoo'" run --set rhoo=1
expect 2 "'abc' is not a number" run --set rho=abc
expect 2 "'rho'.*not a finite number" run --set rho=nan
expect 2 "'rho'.*outside \[0, 10\]" run --set rho=11
expect 2 "-1e+08 cells must be finite and >= 0" run --dose 5:-1e8
expect 2 "'dose'.*outside" run --dose 0:-1e8
expect 2 "time -5 day" run --dose -5:1e8
expect 2 "f_mem 2 is outside" run --dose 5:1e8:2
expect 2 "expected TIME:CELLS" run --dose 5
expect 2 "mg/kg must be finite" run --toci 5:-8
expect 2 "expected A:B:STEP" run --times 0:10:-1
expect 2 "must not decrease" run --times 0,5,2
expect 2 "'x' is not a number" run --times 0,x
expect 2 "gain" run --set p_amp=12000
expect 2 "expected rodas5p, gsl-bdf (bdf) or rk8pd" run --method euler
expect 2 "--rtol 1: expected a number in (0, 0.1\]" run --rtol 1
expect 2 "--rtol 1e300: expected a number in (0, 0.1\]" run --rtol 1e300
expect 2 "--rtol 0: expected a number in (0, 0.1\]" run --rtol 0
expect 2 "unknown command 'fly'" fly
expect 2 "takes no CAR-T doses" run --model stein --dose 3:1e8
expect 1 "10 steps reached.*CART_EMAXSTEPS" run --max-steps 10

# --toci-rule's fifth field, the delay: the first dose 12 h after the trigger is crossed
"$cart" run --toci-rule 200 --times 0:20:0.25 >"$tmp/now" 2>&1 \
  && "$cart" run --toci-rule 200:8:4:8:12 --times 0:20:0.25 >"$tmp/later" 2>&1 \
  && first_dose() { awk -F'\t' 'NR > 1 && $9 > 0 { print $1; exit }' "$1"; } \
  && [ "$(first_dose "$tmp/now")" != "" ] \
  && awk -v a="$(first_dose "$tmp/now")" -v b="$(first_dose "$tmp/later")" 'BEGIN { exit !(b - a >= 0.25 && b - a <= 0.75) }' \
  && ok || bad "--toci-rule with a 12 h delay: first dose not about half a day later"
expect 2 "delay" run --toci-rule 200:8:4:8:-1

# Output that cannot be written (a full disk: /dev/full) is an error, exit 1 with one line, never
# a success with the output lost: every command's stdout is checked at the end.
full() {
  want=$1
  shift
  "$cart" "$@" >/dev/full 2>"$tmp/err"
  got=$?
  if [ "$got" -ne "$want" ]; then bad "cart $* >/dev/full: exit $got, expected $want"; return; fi
  if [ "$(grep -c "^cart: cannot write the output: No space left on device$" "$tmp/err")" -ne 1 ] || \
     grep -v "^cart: cannot write the output\|^cart: [0-9]* patients in" "$tmp/err" | grep -q .; then
    bad "cart $* >/dev/full: stderr '$(cat "$tmp/err")'"; return
  fi
  ok
}
# --signals, --endpoints, --events: the default table stays as it was (the extra columns come
# after it, the blocks after its last row), the blocks are '# name', a header and tab-separated
# rows; tests/python/test_solve_endpoints.py compares their values with solve().
"$cart" run --times 0:100:10 --toci-rule on >"$tmp/plain" 2>"$tmp/err" &&
  "$cart" run --times 0:100:10 --toci-rule on --signals --endpoints --events >"$tmp/all" 2>"$tmp/err"
if [ $? -eq 0 ]; then
  awk '/^#/ { exit } { print }' "$tmp/all" | cut -f 1-11 | cmp -s - "$tmp/plain" && ok ||
    bad "--signals changed the default columns"
  [ "$(head -n 1 "$tmp/all" | cut -f 12-)" = "$(printf 'tumour\tIL6s\tCRS')" ] && ok ||
    bad "--signals header: $(head -n 1 "$tmp/all")"
  [ "$(grep '^#' "$tmp/all" | tr '\n' ' ')" = "# endpoints # events " ] && ok || bad "blocks: $(grep '^#' "$tmp/all")"
  sed -n '/^# endpoints$/{n;p;}' "$tmp/all" | grep -qx "$(printf 'name\tvalue\tunit')" && ok || bad "endpoints header"
  [ "$(sed -n '/^# endpoints$/,/^# events$/p' "$tmp/all" | grep -c "$(printf '\t')")" -eq 14 ] && ok ||
    bad "endpoints: not a header and 13 rows"
  grep -qx "$(printf 'crs_grade\t2\t1')" "$tmp/all" && ok || bad "crs_grade of the default patient"
  # the rule's doses are 8 mg/kg of 70 kg (560 mg) each, and toci_doses counts them; Tp dies out
  n_rule=$(grep -c "$(printf '\ttoci_rule\t-\t560\tmg$')" "$tmp/all")
  [ "$n_rule" -ge 1 ] && grep -qx "$(printf 'toci_doses\t%s\t1' "$n_rule")" "$tmp/all" && ok ||
    bad "rule doses: $n_rule"
  grep -q "$(printf '\textinction\tTp\t0\tcells$')" "$tmp/all" && ok || bad "no extinction of Tp"
  grep -qx "$(printf '0\tcart_dose\t-\t140000000\tcells')" "$tmp/all" && ok || bad "the t = 0 infusion"
else
  bad "cart run --signals --endpoints --events: $(cat "$tmp/err")"
fi
# a lower CRS grade 1 threshold is crossed earlier
onset() { "$cart" run --times 0:20:20 --endpoints "$@" | sed -n 's/^crs_onset\t\([^\t]*\)\t.*/\1/p'; }
early=$(onset --set-endpoint crs_g1=20) late=$(onset)
awk -v a="$early" -v b="$late" 'BEGIN { exit !(a > 0 && a < b) }' && ok ||
  bad "--set-endpoint crs_g1=20: onset $early, default $late"
expect 2 "no endpoint setting 'crs_g9'" run --set-endpoint crs_g9=1 --endpoints
expect 2 "set-endpoint t_resp=-1: endpoint setting t_resp: -1 is outside" run --set-endpoint t_resp=-1
expect 2 "expected NAME=VALUE" run --set-endpoint 5
expect 2 "crs_g1 < crs_g2" run --set-endpoint crs_g1=500 --endpoints --times 0:1:1

if [ -w /dev/full ]; then
  full 1 scenario
  full 1 models
  full 1 run
  full 1 run --times 0:1:1
  full 1 trial -n 3 --seed 1 -o "$tmp/full.h5"
  full 1 --version
  # a command that failed already keeps its status and its one message
  "$cart" run --set rhoo=1 >/dev/full 2>"$tmp/err"
  [ $? -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && ok || bad "bad input >/dev/full: $(cat "$tmp/err")"
else
  echo "SKIP: no writable /dev/full"
fi

finish
