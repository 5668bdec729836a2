#!/bin/sh
# calibrate_cli.sh: `cart calibrate` end to end: bad targets files (exit 2, "FILE:LINE: " and the
# name at fault, before any simulation), usage errors, --force, a small fit written and rerun by
# `cart trial` to the same median cmax, the same file for 1 and 2 threads, a target on C at a
# day (NAME@DAY), Ctrl-C (SIGINT): exit 1, "interrupted", nothing written.
. "$(dirname "$0")/harness.sh"
cart=${CART_BIN:-./src/cart}

cat >"$tmp/stein.ini" <<'EOF'
[trial]
model = stein
n_patients = 100
seed = 5
[times]
horizon = 60
step = 7
[parameters]
rho = 0.889
[variability]
rho = 0.4
[outputs]
trajectories = C
EOF

# targets BODY_OF_TARGETS BODY_OF_FREE: a targets file ([targets] at line 3, its first key line 4)
targets() {
  printf '[trial]\nname = test trial\n[targets]\n%b[free]\n%b[calibrate]\nmax_evaluations = 12\n' \
    "$1" "$2" >"$tmp/targets.ini"
}

# expect_error LINE NAME WHAT: cart calibrate fails with exit 2 and "targets.ini:LINE: ...NAME"
expect_error() {
  "$cart" calibrate "$tmp/stein.ini" "$tmp/targets.ini" -o "$tmp/never.ini" >/dev/null 2>"$tmp/err"
  status=$?
  if [ $status -eq 2 ] && grep -q "^cart: .*targets.ini:$1: .*$2" "$tmp/err" && [ ! -e "$tmp/never.ini" ]; then
    ok
  else
    bad "$3: status $status, $(cat "$tmp/err")"
  fi
}

targets 'foo = 1/2\n' 'rho = 0.1, 1\n';                      expect_error 4 "unknown statistic 'foo'" "unknown statistic"
targets 'median(cmx) = 1 [0, 2]\n' 'rho = 0.1, 1\n';         expect_error 4 "no endpoint 'cmx' (its endpoints: cmax, tmax, auc28)" "unknown endpoint"
targets 'orr = 1/2\n' 'rho = 0.1, 1\n';                      expect_error 4 "orr needs endpoint 'response', which model 'stein' lacks" "oncology rate of stein"
targets 'fraction(cmax=1) = 1/2\n' 'rho = 0.1, 1\n';         expect_error 4 "fraction(cmax=1): expected fraction(ENDPOINT OP X)" "fraction without a comparison"
targets 'median(cmax) = 1 [0, x]\n' 'rho = 0.1, 1\n';        expect_error 4 "median(cmax)" "malformed value"
targets 'orr = 7/5\n' 'rho = 0.1, 1\n';                      expect_error 4 "orr" "n > N"
targets 'orr = 1/0\n' 'rho = 0.1, 1\n';                      expect_error 4 "orr" "N = 0"
targets 'cr = 1.5 [0, 1]\n' 'rho = 0.1, 1\n';                expect_error 4 "cr = 1.5" "rate outside [0, 1]"
targets 'median(tmax) = 20 [7, 14]\n' 'rho = 0.1, 1\n';      expect_error 4 "median(tmax)" "interval without the value"
targets 'median(tmax) = 10 [14, 7]\n' 'rho = 0.1, 1\n';      expect_error 4 "median(tmax)" "lo >= hi"
targets 'median(cmax) = 1 [0, 2]\n' 'rho = 0.5\n';           expect_error 6 "rho" "free without bounds"
targets 'median(cmax) = 1 [0, 2]\n' 'rho = 2, 1\n';          expect_error 6 "rho" "lower >= upper"
targets 'median(cmax) = 1 [0, 2]\n' 'kappa = 0.1, 1\n';      expect_error 6 "kappa" "unknown free parameter"
targets 'median(cmax) = 1 [0, 2]\n' 'rho = 0.1, 11\n';       expect_error 6 "rho" "bound outside the parameter's bounds"
targets 'median(cmax) = 1 [0, 2]\n' 'cv.rho = -1, 1\n';      expect_error 6 "cv.rho" "cv bound < 0"
targets 'orr = 1/2\norr = 1/3\n' 'rho = 0.1, 1\n';           expect_error 5 "orr: given twice" "duplicate target"
targets 'orr = 1/2\n' 'rho = 0.1, 1\nrho = 0.2, 1\n';        expect_error 7 "rho: given twice" "duplicate free parameter"
targets '' 'rho = 0.1, 1\n';                                 expect_error 3 "no targets" "no targets"
targets 'orr = 1/2\n' '';                                    expect_error 5 "no free parameters" "no free parameters"
targets 'cr_tercile_diff(c0) = 0 [-1, 1]\n' 'rho = 0.1, 1\n'; expect_error 4 "needs endpoint 'response'" "tercile difference of stein"
targets 'median(Cb@28) = 1 [0, 2]\n' 'rho = 0.1, 1\n';        expect_error 4 "no state or signal 'Cb' for Cb@DAY (its states and signals: CE, CM, C)" "unknown NAME of NAME@DAY"
targets 'median(C@61) = 1 [0, 2]\n' 'rho = 0.1, 1\n';         expect_error 4 "day 61 is after the trial's horizon 60" "NAME@DAY after the horizon"
targets 'median(C@d28) = 1 [0, 2]\n' 'rho = 0.1, 1\n';        expect_error 4 "'C@d28' is not NAME@DAY" "malformed NAME@DAY"

# Usage: two files and -o are needed; files must exist; an existing output needs --force.
"$cart" calibrate "$tmp/stein.ini" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "usage: cart calibrate" "$tmp/err" && ok || bad "usage: $(cat "$tmp/err")"
"$cart" calibrate "$tmp/stein.ini" "$tmp/none.ini" -o "$tmp/x.ini" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "cannot read targets file '.*none.ini'" "$tmp/err" && ok || bad "missing targets: $(cat "$tmp/err")"
# A NUL byte in the targets file: refused by its offset, not read as the end of the file.
printf '[trial]\nname = test\n[targets]\norr = 1/2\n[free]\nrho = 0.1, 1\n[calibrate]\nmax_evaluations = 1\n\0bogus\n' \
  >"$tmp/nul.ini"
"$cart" calibrate "$tmp/stein.ini" "$tmp/nul.ini" -o "$tmp/x.ini" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^cart: targets file '.*nul.ini': NUL byte at offset 92" "$tmp/err" && [ ! -e "$tmp/x.ini" ] \
  && ok || bad "NUL in targets: $(cat "$tmp/err")"
"$cart" calibrate "$tmp/stein.ini" "$tmp/targets.ini" -o "" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && [ "$(cat "$tmp/err")" = "cart: -o: empty file name" ] && ok || bad "-o '': $(cat "$tmp/err")"
"$cart" calibrate "$tmp/stein.ini" "$tmp/targets.ini" -o "$tmp/x.ini" --threads 0 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "threads" "$tmp/err" && ok || bad "--threads 0: $(cat "$tmp/err")"

# A small fit, 1 and 2 threads: the same file; rerun with its N and seed by `cart trial`.
targets 'median(cmax) = 3000 [2000, 4000]\nquantile(cmax, 0.9) = 40000 [20000, 80000]\n' \
  'rho = 0.3, 2\ncv.rho = 0.05, 1\n'
for k in 1 2; do
  if "$cart" calibrate "$tmp/stein.ini" "$tmp/targets.ini" -o "$tmp/cal$k.ini" --seed 3 \
      --threads $k >"$tmp/out$k" 2>"$tmp/err$k"; then ok; else bad "fit with $k threads: $(cat "$tmp/err$k")"; fi
done
cmp -s "$tmp/cal1.ini" "$tmp/cal2.ini" && ok || bad "1 and 2 threads wrote different files"
grep -q "^# Calibrated by cart calibrate .* to test trial (.*targets.ini)," "$tmp/cal1.ini" && ok \
  || bad "no comment block: $(head -3 "$tmp/cal1.ini")"
grep -q "^# N = 100, seed = 3; objective" "$tmp/cal1.ini" && ok || bad "N and seed not in the comment"
grep -q "^rho = 0\.[0-9]\{10,\}" "$tmp/cal1.ini" && ok || bad "rho not written in full"
grep -q "median(cmax)" "$tmp/out1" && grep -q "cv.rho" "$tmp/out1" && ok || bad "no table: $(cat "$tmp/out1")"
simulated=$(awk '$1 == "median(cmax)" { print $5 }' "$tmp/out1")
"$cart" trial "$tmp/cal1.ini" -n 100 --seed 3 -o "$tmp/rerun.h5" >"$tmp/trial" 2>/dev/null
# the oncology line "cmax  VALUE cells/uL median (5-95%: ...)", not the endpoint table's row
rerun=$(awk '$1 == "cmax" && $4 == "median" { print $2 }' "$tmp/trial")
[ -n "$simulated" ] && [ "$simulated" = "$rerun" ] && ok \
  || bad "rerun median cmax '$rerun' differs from the calibration's '$simulated'"

# A target on a trajectory value: median C at day 28 (cart-targets(5), NAME@DAY).
targets 'median(C@28) = 1000 [700, 1400]\n' 'rho = 0.3, 2\n'
if "$cart" calibrate "$tmp/stein.ini" "$tmp/targets.ini" -o "$tmp/at.ini" --seed 3 \
    >"$tmp/out" 2>"$tmp/err" && grep -q "^  median(C@28)  *1000 .* yes$" "$tmp/out"; then ok
else bad "a target on C at day 28: $(cat "$tmp/out" "$tmp/err")"; fi

# --force is needed to replace a file.
"$cart" calibrate "$tmp/stein.ini" "$tmp/targets.ini" -o "$tmp/cal1.ini" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "exists (use --force" "$tmp/err" && ok || bad "existing output: $(cat "$tmp/err")"

# Ctrl-C: the best so far on stdout, exit 1, nothing written.
printf '[trial]\n[targets]\nmedian(cmax) = 3000 [2000, 4000]\n[free]\nrho = 0.3, 2\n[calibrate]\nn_patients = 3000\nmax_evaluations = 400\ntolerance = 1e-12\n' >"$tmp/long.ini"
"$cart" calibrate "$tmp/stein.ini" "$tmp/long.ini" -o "$tmp/int.ini" --threads 1 >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 2
kill -INT $pid
wait $pid
status=$?
[ $status -eq 1 ] && grep -q "interrupted" "$tmp/err" && grep -q "STOPPED" "$tmp/out" && [ ! -e "$tmp/int.ini" ] \
  && ok || bad "SIGINT: status $status, $(cat "$tmp/err")"

finish
