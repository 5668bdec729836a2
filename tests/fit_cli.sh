#!/bin/sh
# fit_cli.sh: `cart fit` end to end: a stein patient simulated by `cart run` with known
# parameters fitted back; bad data files (exit 2, "FILE:LINE: " and what is wrong); a NONMEM table
# of two patients, the same table for 1 and 2 threads; the profile and the fitted curve; a NONMEM
# table's dose records as each patient's doses.
. "$(dirname "$0")/harness.sh"
cart=${CART_BIN:-./src/cart}

# a stein patient at rho = 0.7 (and the other typical values), C with a fixed +-10 % pattern
"$cart" run --model stein --set rho=0.7 --times 1,2,4,7,9,12,16,21,28,35,50 >"$tmp/run" || bad "cart run"
{
  echo "time,observable,value"
  awk 'NR > 1 { printf "%s,C,%.8g\n", $1, ($2 + $3) * exp(0.1 * sin($1 * 7)) }' "$tmp/run"
} >"$tmp/p1.csv"

"$cart" fit "$tmp/p1.csv" --model stein --fit rho --fit c0 --fit alpha --log --profile rho \
  --profile-points 5 --curve-output "$tmp/curve.csv" >"$tmp/out" 2>"$tmp/err"
status=$?
[ $status -eq 0 ] && ok || bad "fit: status $status, $(cat "$tmp/err")"
rho=$(awk -F'\t' '$2 == "rho" { print $3 }' "$tmp/out")
awk -v r="$rho" 'BEGIN { exit !(r > 0.68 && r < 0.72) }' && ok || bad "rho $rho, truth 0.7"
grep -q "^# fit 1: 11 observations, 0 below the LLOQ" "$tmp/out" && ok || bad "no fit line: $(cat "$tmp/out")"
grep -q "^# correlation" "$tmp/out" && ok || bad "no correlation block"
[ "$(sed -n '/^# profile rho/,$p' "$tmp/out" | wc -l)" -eq 7 ] && ok || bad "profile block"
head -n 1 "$tmp/curve.csv" | grep -q "^id,time,observable,value$" && ok || bad "curve header"
[ "$(grep -c ',C,' "$tmp/curve.csv")" -eq 201 ] && ok || bad "curve rows: $(wc -l <"$tmp/curve.csv")"

# MAP: the scenario's typical rho (0.889) and cv (0.05) as a prior pull the estimate towards it
cat >"$tmp/stein.ini" <<'INI'
[trial]
model = stein
n_patients = 10
[variability]
rho = 0.05
INI
"$cart" fit "$tmp/p1.csv" --scenario "$tmp/stein.ini" --fit rho --fit c0 --log --prior scenario \
  >"$tmp/map" 2>"$tmp/err" || bad "--prior scenario: $(cat "$tmp/err")"
"$cart" fit "$tmp/p1.csv" --model stein --fit rho --fit c0 --log >"$tmp/ml" 2>"$tmp/err" \
  || bad "ml: $(cat "$tmp/err")"
rho_map=$(awk -F'\t' '$2 == "rho" { print $3 }' "$tmp/map")
rho_ml=$(awk -F'\t' '$2 == "rho" { print $3 }' "$tmp/ml")
awk -v a="$rho_map" -v b="$rho_ml" 'BEGIN { exit !(a > b + 0.003 && a < 0.889) }' && ok \
  || bad "MAP rho $rho_map, ML rho $rho_ml"
"$cart" fit "$tmp/p1.csv" --model stein --fit rho --prior scenario >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "needs --scenario" "$tmp/err" && ok || bad "--prior scenario alone"

# the curve as HDF5: a group per patient with time and a dataset per observable
if command -v h5ls >/dev/null 2>&1; then
  "$cart" fit "$tmp/p1.csv" --model stein --fit rho --log --curve-output "$tmp/curve.h5" \
    >/dev/null 2>"$tmp/err" || bad "curve.h5: $(cat "$tmp/err")"
  h5ls "$tmp/curve.h5/1" >"$tmp/h5" 2>&1
  grep -q "^C  *Dataset {201}" "$tmp/h5" && grep -q "^time  *Dataset {201}" "$tmp/h5" && ok \
    || bad "curve.h5: $(cat "$tmp/h5")"
fi

# gradients by differences of solutions reach the same estimate; tocilizumab doses (which the
# sensitivity equations do not follow) take them
"$cart" fit "$tmp/p1.csv" --model stein --fit rho --fit c0 --fit alpha --log --finite-differences \
  >"$tmp/fd" 2>"$tmp/err" || bad "--finite-differences: $(cat "$tmp/err")"
rho_fd=$(awk -F'\t' '$2 == "rho" { print $3 }' "$tmp/fd")
awk -v a="$rho_fd" -v b="$rho" 'BEGIN { exit !(a - b < 1e-4 * b && b - a < 1e-4 * b) }' && ok \
  || bad "rho by differences $rho_fd, by sensitivities $rho"
grep -q "gradient by finite differences" "$tmp/fd" && ok || bad "fd not said: $(head -n 1 "$tmp/fd")"
"$cart" run --times 1,3,7,14,28 >"$tmp/cartrun" || bad "cart run cart"
{
  echo "time,observable,value"
  awk 'NR > 1 { printf "%s,Cblood,%.8g\n", $1, $11 }' "$tmp/cartrun"
} >"$tmp/cart.csv"
"$cart" fit "$tmp/cart.csv" --fit rho --log --toci 20:8 >"$tmp/toci" 2>"$tmp/err" \
  || bad "--toci: $(cat "$tmp/err")"
grep -q "gradient by finite differences" "$tmp/toci" && ok || bad "toci: $(head -n 1 "$tmp/toci")"

# a parameter the data do not see (fb only acts after tmax; the data stop before)
printf 'time,observable,value\n1,C,15\n2,C,37\n4,C,215\n7,C,3000\n' >"$tmp/early.csv"
"$cart" fit "$tmp/early.csv" --model stein --fit rho --fit fb --log >"$tmp/out" 2>"$tmp/err"
grep -q "^fb: not identifiable" "$tmp/out" && grep -q "	fb	.*	no$" "$tmp/out" && ok \
  || bad "fb not reported: $(cat "$tmp/out" "$tmp/err")"

# expect_error TEXT WANT: the data file TEXT is refused with exit 2 and "data.csv:WANT"
expect_error() {
  printf "$1" >"$tmp/data.csv"
  "$cart" fit "$tmp/data.csv" --model stein --fit rho >"$tmp/out" 2>"$tmp/err"
  status=$?
  if [ $status -eq 2 ] && grep -qF "data.csv:$2" "$tmp/err" && [ ! -s "$tmp/out" ]; then
    ok
  else
    bad "'$1': status $status, $(cat "$tmp/err")"
  fi
}
expect_error 'time,observable,value\n1,C,1\n3,C,1\n2,C,1\n' '4: times are not sorted'
expect_error 'time,observable,value\n1,Cblood,1\n' "2: unknown observable 'Cblood' (model stein has: CE, CM, C)"
expect_error 'time,observable,value\n1,C,-3\n' '2: negative value -3 of C'
expect_error 'time,observable,value\n1,C,NaN\n' "2: column 'value': 'NaN' is not a finite number"
expect_error 'time,obs\n1,C\n' '1: no column value'
"$cart" fit "$tmp/missing.csv" --model stein --fit rho >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "missing.csv" "$tmp/err" && ok || bad "missing file: $(cat "$tmp/err")"
"$cart" fit "$tmp/p1.csv" --model stein --fit nope >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "no parameter 'nope'" "$tmp/err" && ok || bad "unknown parameter: $(cat "$tmp/err")"

# NONMEM: two patients (the second at rho 0.6), dose records skipped; 1 and 2 threads agree
"$cart" run --model stein --set rho=0.6 --times 1,2,4,7,9,12,16,21,28,35,50 >"$tmp/run2" || bad "cart run 2"
{
  echo "ID,TIME,DV,OBS,EVID"
  echo "a,0,0,C,1"
  awk 'NR > 1 { printf "a,%s,%.8g,C,0\n", $1, ($2 + $3) * exp(0.1 * sin($1 * 7)) }' "$tmp/run"
  awk 'NR > 1 { printf "b,%s,%.8g,C,0\n", $1, ($2 + $3) * exp(0.1 * cos($1 * 5)) }' "$tmp/run2"
} >"$tmp/nm.csv"
for threads in 1 2; do
  "$cart" fit "$tmp/nm.csv" --nonmem --model stein --fit rho --fit c0 --fit alpha --log \
    --threads $threads >"$tmp/nm$threads.out" 2>"$tmp/err" || bad "nonmem $threads: $(cat "$tmp/err")"
done
cmp -s "$tmp/nm1.out" "$tmp/nm2.out" && ok || bad "1 and 2 threads differ"
rho_b=$(awk -F'\t' '$1 == "b" && $2 == "rho" { print $3 }' "$tmp/nm1.out")
awk -v r="$rho_b" 'BEGIN { exit !(r > 0.58 && r < 0.62) }' && ok || bad "patient b: rho $rho_b, truth 0.6"
[ "$(grep -c '^# fit' "$tmp/nm1.out")" -eq 2 ] && ok || bad "not two fits: $(cat "$tmp/nm1.out")"

# PEtab: the same two patients as conditions, tab-separated, rows not in time order
{
  printf 'observableId\tsimulationConditionId\ttime\tmeasurement\tnoiseParameters\n'
  awk 'NR > 1 { printf "C\tb\t%s\t%.8g\tsd\n", $1, ($2 + $3) * exp(0.1 * cos($1 * 5)) }' "$tmp/run2" | sort -r
  awk 'NR > 1 { printf "C\ta\t%s\t%.8g\tsd\n", $1, ($2 + $3) * exp(0.1 * sin($1 * 7)) }' "$tmp/run"
} >"$tmp/petab.tsv"
"$cart" fit "$tmp/petab.tsv" --petab --model stein --fit rho --fit c0 --fit alpha --log \
  --threads 1 >"$tmp/petab.out" 2>"$tmp/err" || bad "petab: $(cat "$tmp/err")"
# the same fits as the NONMEM table's, conditions in the order of the file
grep -v '^#' "$tmp/nm1.out" | sort >"$tmp/nm.rows"
grep -v '^#' "$tmp/petab.out" | sort >"$tmp/petab.rows"
cmp -s "$tmp/nm.rows" "$tmp/petab.rows" && ok || bad "petab and nonmem differ: $(diff "$tmp/nm.rows" "$tmp/petab.rows")"
printf 'observableId\tsimulationConditionId\ttime\tmeasurement\nC\tc1\t1\t-2\n' >"$tmp/bad.tsv"
"$cart" fit "$tmp/bad.tsv" --petab --model stein --fit rho >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "bad.tsv:2: negative value -2 of C" "$tmp/err" && ok || bad "petab negative: $(cat "$tmp/err")"
# NONMEM dose records: two cart patients with different CAR-T doses (b's split over days 0 and
# 7), simulated at rho 0.8 with their own doses, in one table with '.' fields; each fitted back
# (within 2 SEs) and with the same estimates as fitting it alone with --dose
times=1,2,3,5,7,10,14,21,28
"$cart" run --set rho=0.8 --dose 0:1e8 --times $times >"$tmp/da.run" || bad "cart run a"
"$cart" run --set rho=0.8 --dose 0:3e7 --dose 7:3e7 --times $times >"$tmp/db.run" || bad "cart run b"
observations() { # ID RUN: Cblood and IL6 rows with a fixed +-10 % pattern
  awk -v id="$1" 'NR > 1 { printf "%s,%s,%.8g,Cblood,.,.,0,0\n%s,%s,%.8g,IL6,.,.,0,0\n", id, $1,
    $11 * exp(0.1 * sin(3 * $1)), id, $1, $8 * exp(0.1 * cos(3 * $1)) }' "$2"
}
{
  echo "ID,TIME,DV,OBS,CMT,AMT,EVID,MDV"
  echo "a,0,.,.,cart,1e8,1,1"
  observations a "$tmp/da.run"
  echo "b,0,.,.,1,3e7,1,1"
  observations b "$tmp/db.run" | awk -F, '$2 == 10 && !done { print "b,7,.,.,E,3e7,1,1"; done = 1 } { print }'
} >"$tmp/doses.csv"
"$cart" fit "$tmp/doses.csv" --nonmem --fit rho=0.6 --fit delta_E=0.3 --log >"$tmp/doses.out" \
  2>"$tmp/err" || bad "dose records: $(cat "$tmp/err")"
for id in a b; do
  awk -F'\t' -v id=$id '$1 == id && ($2 == "rho" || $2 == "delta_E") {
    truth = $2 == "rho" ? 0.8 : 0.25; d = $3 - truth; if (d < 0) d = -d; if (d >= 2 * $4) exit 1
    n++ } END { exit n != 2 }' "$tmp/doses.out" && ok || bad "ID $id not fitted back: $(cat "$tmp/doses.out")"
  { echo "time,observable,value"; awk -F, -v id=$id '$1 == id && $7 == 0 { print $2 "," $4 "," $3 }' "$tmp/doses.csv"; } >"$tmp/alone.csv"
  if [ $id = a ]; then doses="--dose 0:1e8"; else doses="--dose 0:3e7 --dose 7:3e7"; fi
  "$cart" fit "$tmp/alone.csv" --fit rho=0.6 --fit delta_E=0.3 --log $doses >"$tmp/alone.out" 2>"$tmp/err" \
    || bad "alone $id: $(cat "$tmp/err")"
  grep -v '^#' "$tmp/alone.out" | awk -F'\t' '$1 == "1" { print $2, $3, $4 }' >"$tmp/alone.rows"
  awk -F'\t' -v id=$id '$1 == id { print $2, $3, $4 }' "$tmp/doses.out" >"$tmp/table.rows"
  cmp -s "$tmp/alone.rows" "$tmp/table.rows" && ok || bad "ID $id: table and alone differ: $(diff "$tmp/table.rows" "$tmp/alone.rows")"
done
"$cart" fit "$tmp/doses.csv" --nonmem --fit rho --dose 0:1e8 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "doses.csv: the data set carries each patient's doses (dose records); --dose is not taken" "$tmp/err" \
  && ok || bad "--dose with dose records: $(cat "$tmp/err")"
sed 's/^b,7,\.,\.,E,3e7,1,1$/b,7,.,.,E,-3e7,1,1/' "$tmp/doses.csv" >"$tmp/baddose.csv"
line=$(grep -n -- '-3e7' "$tmp/baddose.csv" | cut -d: -f1)
"$cart" fit "$tmp/baddose.csv" --nonmem --fit rho >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "baddose.csv:$line: AMT -3e+07 is negative" "$tmp/err" && ok || bad "negative AMT: $(cat "$tmp/err")"
sed 's/^b,7,\.,\.,E,3e7,1,1$/b,7,.,.,toci,8,4,1/' "$tmp/doses.csv" >"$tmp/baddose.csv"
"$cart" fit "$tmp/baddose.csv" --nonmem --fit rho >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "baddose.csv:$line: EVID 4: a reset after ID b's first record" "$tmp/err" && ok || bad "EVID 4: $(cat "$tmp/err")"
# a tocilizumab record (CMT toci, RATE in mg/kg per day: 1 h) as --toci gives it, and
# --toci-rule kept; a scenario's doses replaced by the table's
{
  echo "ID,TIME,DV,OBS,CMT,AMT,RATE,EVID"
  echo "c,0,.,.,cart,1e8,.,1"
  echo "c,3,.,.,toci,8,192,1"
  awk -F, '$1 == "a" && $7 == 0 { print "c," $2 "," $3 "," $4 ",.,.,.,0" }' "$tmp/doses.csv"
} >"$tmp/toci.csv"
awk -F, '$1 == "a" && $7 == 0 { print $2 "," $4 "," $3 }' "$tmp/doses.csv" | { echo "time,observable,value"; cat; } >"$tmp/alone.csv"
"$cart" fit "$tmp/toci.csv" --nonmem --fit rho=0.6 --log --toci-rule on >"$tmp/toci.out" 2>"$tmp/err" \
  || bad "toci record: $(cat "$tmp/err")"
"$cart" fit "$tmp/alone.csv" --fit rho=0.6 --log --dose 0:1e8 --toci 3:8 --toci-rule on \
  >"$tmp/alone.out" 2>"$tmp/err" || bad "toci alone: $(cat "$tmp/err")"
[ "$(awk -F'\t' '$1 == "c" { print $2, $3, $4 }' "$tmp/toci.out")" = \
  "$(awk -F'\t' '$1 == "1" { print $2, $3, $4 }' "$tmp/alone.out")" ] \
  && grep -q "gradient by finite differences" "$tmp/toci.out" \
  && ok || bad "toci record and --toci differ: $(cat "$tmp/toci.out" "$tmp/alone.out")"
printf '[trial]\nmodel = cart\nn_patients = 10\n[dosing]\ncart = 0:3e7\ncart = 5:1e9\n' >"$tmp/cart.ini"
"$cart" fit "$tmp/toci.csv" --nonmem --scenario "$tmp/cart.ini" --fit rho=0.6 --log --toci-rule on \
  >"$tmp/scen.out" 2>"$tmp/err" || bad "scenario with dose records: $(cat "$tmp/err")"
[ "$(grep -v '^#' "$tmp/scen.out")" = "$(grep -v '^#' "$tmp/toci.out")" ] && ok \
  || bad "the scenario's doses were given: $(cat "$tmp/scen.out")"
finish
