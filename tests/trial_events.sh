#!/bin/sh
# trial_events.sh: `cart trial --event-table FILE.csv` (cart_scenario_add_event_table): the
# table's doses run as the same [dosing] lines written into the scenario, bit for bit, and the
# file's scenario holds them; with arms, every arm gets them (an arm with its own dosing.cart
# lines as more of them); a bad table, an observation row or a dose the model does not take is
# refused with its line, before any file is made.
set -u
cart=${CART_BIN:-./src/cart}
. "$(dirname "$0")/harness.sh"

base='[trial]\nmodel = cart\nn_patients = 8\nseed = 5\n[times]\nhorizon = 28\nstep = 7\n[variability]\nrho = 0.3\n'
printf "$base" >"$tmp/base.ini"
printf 'ID,TIME,AMT,CMT,DUR,II,ADDL\n1,0,2e8,cart,,0,0\n1,3,8,toci,,0.5,1\n1,14,1e8,1,,,\n' >"$tmp/events.csv"
printf "$base"'[dosing]\ncart = 0:2e8\ntoci = 3:8\ntoci = 3.5:8\ncart = 14:1e8\n' >"$tmp/by_hand.ini"
sets="/params /status /events/toci_times /endpoints /trajectories"

"$cart" trial "$tmp/base.ini" --event-table "$tmp/events.csv" -o "$tmp/events.h5" >"$tmp/events.out" 2>"$tmp/err" \
  && ok || bad "--event-table: $(cat "$tmp/err")"
"$cart" trial "$tmp/by_hand.ini" -o "$tmp/by_hand.h5" >"$tmp/by_hand.out" 2>"$tmp/err" \
  && ok || bad "by hand: $(cat "$tmp/err")"
# shellcheck disable=SC2086
differ=$(differing "$tmp/events.h5" "$tmp/by_hand.h5" $sets)
[ -z "$differ" ] && ok || bad "the table's doses differ from the same [dosing] lines:$differ"
sed 's/(.*\.h5)//' "$tmp/events.out" >"$tmp/a"; sed 's/(.*\.h5)//' "$tmp/by_hand.out" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && ok || bad "the summaries differ"
h5dump -a /scenario "$tmp/events.h5" >"$tmp/scenario" 2>&1
for line in "cart = 0:200000000" "toci = 3.5:8" "cart = 14:100000000" "events.csv"; do
  grep -qF "$line" "$tmp/scenario" && ok || bad "the file's scenario lacks '$line'"
done

# arms: [arm own] gives its own CAR-T doses, [arm base] takes the base's; both get the table's
printf "$base"'[dosing]\ncart = 0:1e8\n[arm own]\ndosing.cart = 0:3e8\n[arm base]\nlabel = the base doses\n' >"$tmp/arms.ini"
cp "$tmp/arms.ini" "$tmp/arms_by_hand.ini"
printf '[dosing]\ntoci = 3:8\ntoci = 3.5:8\ncart = 14:1e8\n[arm own]\ndosing.cart = 14:1e8\n' >>"$tmp/arms_by_hand.ini"
printf 'time,amt,cmt,ii,addl\n3,8,toci,0.5,1\n14,1e8,cart,,\n' >"$tmp/later.csv"
"$cart" trial "$tmp/arms.ini" --event-table "$tmp/later.csv" -o "$tmp/arms.h5" >/dev/null 2>"$tmp/err" \
  && ok || bad "arms --event-table: $(cat "$tmp/err")"
"$cart" trial "$tmp/arms_by_hand.ini" -o "$tmp/arms_by_hand.h5" >/dev/null 2>"$tmp/err" \
  && ok || bad "arms by hand: $(cat "$tmp/err")"
for arm in own base; do
  # shellcheck disable=SC2086
  differ=$(differing "$tmp/arms.h5" "$tmp/arms_by_hand.h5" $(for s in $sets; do echo "/arms/$arm$s"; done))
  [ -z "$differ" ] && ok || bad "arm $arm: differs from the same lines by hand:$differ"
done

# refusals: exit 2, the line named, no file
refused() { # WHAT TABLE_TEXT SCENARIO MESSAGE
  printf "$2" >"$tmp/bad.csv"
  "$cart" trial "$3" --event-table "$tmp/bad.csv" -o "$tmp/bad.h5" >/dev/null 2>"$tmp/err"
  status=$?
  [ $status = 2 ] && grep -qF "cart: --event-table: $tmp/bad.csv $4" "$tmp/err" && [ ! -e "$tmp/bad.h5" ] \
    && ok || bad "$1: exit $status, $(cat "$tmp/err")"
}
refused "an observation row" 'time,amt,cmt,evid\n0,2e8,cart,1\n7,0,cart,0\n' "$tmp/base.ini" \
  "line 3: observation rows (evid 0) are output times"
refused "a bad row" 'time,amt,cmt\n0,2e8,cart\n1,x,cart\n' "$tmp/base.ini" "line 3, column amt: 'x' is not a number"
printf '[trial]\nmodel = stein\nn_patients = 2\n[times]\nlist = 1,7\n' >"$tmp/stein.ini"
refused "tocilizumab for stein" 'time,amt,cmt\n3,8,toci\n' "$tmp/stein.ini" \
  "line 2: toci 3:8: [dosing] toci: model 'stein' has no tocilizumab"
printf '[trial]\nmodel = nope\n' >"$tmp/nope.ini"
"$cart" trial "$tmp/nope.ini" --event-table "$tmp/events.csv" -o "$tmp/bad.h5" >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q "^cart: $tmp/nope.ini:2: " "$tmp/err" && ok || bad "a bad scenario: $(cat "$tmp/err")"
"$cart" trial "$tmp/base.ini" --event-table "$tmp/missing.csv" -o "$tmp/bad.h5" >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q "missing.csv" "$tmp/err" && ok || bad "a missing table: $(cat "$tmp/err")"
"$cart" trial "$tmp/base.ini" --event-table "$tmp/events.csv" --event-table "$tmp/later.csv" \
  -o "$tmp/bad.h5" >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q "given twice" "$tmp/err" && ok || bad "two tables: $(cat "$tmp/err")"
finish
