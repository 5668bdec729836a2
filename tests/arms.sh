#!/bin/sh
# arms.sh: `cart trial` on a scenario with [arm NAME] sections (examples/dose_ranging_arms.ini,
# two dose levels on the patients of examples/patients.csv): a summary per arm and the arms side
# by side, the same file bit for bit for 1, 2 and 4 threads and other blocks, each arm's datasets
# as the same arm run alone, cart export's arm column, and scenario errors in an arm naming the
# arm and the line.
set -u
cart=${CART_BIN:-./src/cart}
. "$(dirname "$0")/harness.sh"
example=${CART_SRCDIR:-.}/examples/dose_ranging_arms.ini

"$cart" trial "$example" --threads 1 -o "$tmp/t1.h5" >"$tmp/t1.out" 2>"$tmp/err" \
  && ok || bad "two arms: $(cat "$tmp/err")"
for heading in "arm low (1e6 cells/kg)" "arm high (2e6 cells/kg)" "arms side by side (the same 30 patients in every arm)"; do
  grep -qxF "$heading" "$tmp/t1.out" && ok || bad "no line '$heading' in: $(cat "$tmp/t1.out")"
done
[ "$(grep -c '^trial summary' "$tmp/t1.out")" = 2 ] && ok || bad "not two summaries"
grep -q "^  complete response  *[0-9.]*%  *[0-9.]*%$" "$tmp/t1.out" && ok || bad "no CR row side by side"
sets=$(h5ls -r "$tmp/t1.h5" | awk '$2 == "Dataset" { print $1 }')
[ "$(echo "$sets" | grep -c '^/arms/')" -ge 24 ] && ok || bad "datasets: $sets"

# threads and blocks change nothing
for k in 2 4; do
  "$cart" trial "$example" --threads "$k" --block $((k + 3)) -o "$tmp/t$k.h5" >"$tmp/t$k.out" 2>"$tmp/err" \
    || bad "$k threads: $(cat "$tmp/err")"
  # shellcheck disable=SC2086
  differ=$(differing "$tmp/t1.h5" "$tmp/t$k.h5" $sets /arms/low/summary /arms/high/summary)
  [ -z "$differ" ] && ok || bad "$k threads: differ from 1 thread:$differ"
  sed 's/(.*\.h5)//' "$tmp/t1.out" >"$tmp/a"; sed 's/(.*\.h5)//' "$tmp/t$k.out" >"$tmp/b"
  cmp -s "$tmp/a" "$tmp/b" && ok || bad "$k threads: printout differs"
done

# an arm alone: the scenario with only [arm high] gives the same datasets in /arms/high
sed '/^\[arm low\]/,$d' "$example" >"$tmp/high.ini"
sed -n '/^\[arm high\]/,$p' "$example" >>"$tmp/high.ini"
cp "$(dirname "$example")/patients.csv" "$tmp/patients.csv"
grep -c '^\[arm ' "$tmp/high.ini" | grep -qx 1 && ok || bad "high.ini has not one arm"
"$cart" trial "$tmp/high.ini" -o "$tmp/high.h5" >"$tmp/high.out" 2>"$tmp/err" || bad "high alone: $(cat "$tmp/err")"
# shellcheck disable=SC2046
differ=$(differing "$tmp/t1.h5" "$tmp/high.h5" $(echo "$sets" | grep '^/arms/high/') /arms/high/summary)
[ -z "$differ" ] && ok || bad "arm high alone differs:$differ"

# cart export: the arm column holds the arm's name, every arm's patients
"$cart" export "$tmp/t1.h5" --csv "$tmp/csv" >/dev/null 2>"$tmp/err" && ok || bad "export: $(cat "$tmp/err")"
[ "$(grep -c '^[0-9]*,low,' "$tmp/csv/endpoints.csv")" = 30 ] && [ "$(grep -c '^[0-9]*,high,' "$tmp/csv/endpoints.csv")" = 30 ] \
  && ok || bad "endpoints.csv: not 30 rows per arm"
[ "$(grep -c '^[0-9]*,high,' "$tmp/csv/parameters.csv")" = 30 ] && ok || bad "parameters.csv arm column"
head -1 "$tmp/csv/summary.csv" | grep -qx "arm,name,value" && ok || bad "summary.csv header"
grep -q '^high,cr_rate,' "$tmp/csv/summary.csv" && ok || bad "summary.csv: no high,cr_rate"

# errors in an arm name the arm and the line
printf '[trial]\nmodel = cart\nn_patients = 3\n[arm a]\ndosing.dose_per_kg = 2e6\n[arm b]\nparameters.rho = 99\n' >"$tmp/bad.ini"
"$cart" trial "$tmp/bad.ini" -o "$tmp/bad.h5" >/dev/null 2>"$tmp/err"
status=$?
[ $status = 2 ] && grep -q "^cart: $tmp/bad.ini:7: \[arm b\] \[parameters\] parameter 'rho'" "$tmp/err" && ok \
  || bad "bad arm: exit $status, $(cat "$tmp/err")"
[ ! -e "$tmp/bad.h5" ] && ok || bad "a file was made for a bad scenario"
printf '[trial]\nmodel = cart\n[arm a]\nsolver.rtol = 1e-3\n' >"$tmp/bad2.ini"
"$cart" trial "$tmp/bad2.ini" -o "$tmp/bad.h5" >/dev/null 2>"$tmp/err"
grep -q "bad2.ini:4: \[arm a\] unknown key 'solver.rtol'" "$tmp/err" && ok || bad "unknown arm key: $(cat "$tmp/err")"

finish
