#!/bin/sh
# help.sh: every `cart` subcommand's -h and --help (its own help on stdout, exit 0), and the one
# reader of options (src/cli.c cli_next_option) refusing an unknown option or a missing value
# with the subcommand's usage (exit 2, nothing on stdout).
. "$(dirname "$0")/harness.sh"
cart=${CART_BIN:-./src/cart}

# help COMMAND OPTION...: `cart COMMAND -h` and `--help` exit 0 with nothing on stderr, and stdout
# starts with the command's usage line and names each OPTION.
help() {
  command=$1
  shift
  for flag in -h --help; do
    "$cart" "$command" "$flag" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne 0 ] || [ -s "$tmp/err" ]; then
      bad "cart $command $flag: exit $got, stderr '$(cat "$tmp/err")'"; continue
    fi
    if [ "$(head -n 1 "$tmp/out" | cut -d' ' -f1-3)" != "usage: cart $command" ]; then
      bad "cart $command $flag: first line '$(head -n 1 "$tmp/out")'"; continue
    fi
    missing=""
    for option in "$@"; do
      grep -q -- "$option" "$tmp/out" || missing="$missing $option"
    done
    [ -z "$missing" ] && ok || bad "cart $command $flag: help lacks$missing"
  done
}
help run --model --set --dose --toci --times --method --rtol --max-steps --n-ext --toci-rule \
  --signals --endpoints --set-endpoint --events --event-table
help trial --output --patients --seed --threads --force --block --event-table
help calibrate --output --patients --seed --max-evaluations --threads --force --quiet
help fit --fit --model --scenario --nonmem --set --dose --error --log --sigma-add --fix-sigma \
  --prior --profile --curve-output --finite-differences --threads
help export --csv --force trajectories.csv endpoints.csv parameters.csv
help scenario "default scenario"
help models "states"
# --help after other options still answers, before anything runs
"$cart" run --times 0,1 --help >"$tmp/out" 2>&1 && grep -q "^usage: cart run" "$tmp/out" && ok \
  || bad "run --times 0,1 --help"
"$cart" trial -n 5 --help -o "$tmp/never.h5" >"$tmp/out" 2>&1 && [ ! -e "$tmp/never.h5" ] && ok \
  || bad "trial --help ran a trial"

# refused WANT COMMAND ARGS...: exit 2, stdout empty, stderr "cart: WANT" then the command's usage.
refused() {
  want=$1 command=$2
  shift 2
  "$cart" "$command" "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  if [ "$got" -ne 2 ]; then bad "cart $command $*: exit $got, expected 2"; return; fi
  if [ -s "$tmp/out" ]; then bad "cart $command $*: wrote to stdout"; return; fi
  if [ "$(head -n 1 "$tmp/err")" != "cart: $want" ]; then
    bad "cart $command $*: stderr '$(head -n 1 "$tmp/err")', expected 'cart: $want'"; return
  fi
  sed -n 2p "$tmp/err" | grep -q "^usage: cart $command" && ok \
    || bad "cart $command $*: no usage line after the message: $(cat "$tmp/err")"
}
for command in run trial calibrate fit export scenario models; do
  refused "unknown option '--x' for cart $command" "$command" --x
done
refused "unknown option '--bogus' for cart run" run --bogus 1
refused "unknown option '-z' for cart trial" trial -n 5 -z
refused "option '--set' of cart run needs a value" run --set
refused "option '--seed' of cart trial needs a value" trial --seed
refused "option '--csv' of cart export needs a value" export x.h5 --csv
refused "option '-o' of cart calibrate needs a value" calibrate a.ini b.ini -o
refused "cart export needs --csv DIR" export x.h5
refused "cart models takes no arguments, got 'extra'" models extra
refused "cart fit needs a data file" fit --fit rho
refused "cart fit needs --fit NAME (a parameter to fit)" fit data.csv
# a value that looks like an option is still the value (the library then judges it)
"$cart" run --dose -5:1e8 >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "time -5 day" "$tmp/err" && ok || bad "--dose -5:1e8: $(cat "$tmp/err")"

finish
