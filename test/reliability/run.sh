#!/usr/bin/env bash
# The reliability battery: every check in this folder, one after the
# other, each with its figures and bar (docs/reliability.md). --short runs
# the smaller loads CI runs. Exit 1 if any bar is missed.
#
#   test/reliability/run.sh [--short] [CHECK...]
set -uo pipefail
cd "$(dirname "$0")"
[ "${1:-}" = --short ] && { export SHORT=1; shift; }
bin=$(mktemp -d /tmp/tend-rel-bin.XXXXXX)
trap 'rm -rf "$bin"' EXIT
(cd ../.. && CGO_ENABLED=0 go build -o "$bin/tend" ./cmd/tend) || exit 1
export TEND_BIN=$bin/tend
checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=($(ls [a-z]*.sh | grep -v -e '^lib.sh$' -e '^run.sh$' | sed 's/\.sh$//'))
bad=()
for c in "${checks[@]}"; do
	echo "== $c"
	./"$c".sh || bad+=("$c")
done
echo
if [ ${#bad[@]} -gt 0 ]; then echo "reliability: ${#bad[@]} of ${#checks[@]} checks missed their bar: ${bad[*]}"; exit 1; fi
echo "reliability: all ${#checks[@]} checks held"
