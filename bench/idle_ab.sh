#!/usr/bin/env bash
# Two tend builds side by side, each its own daemon with N idle `sleep` apps:
# the daemon CPU of each over the same window, so that the machine's noise
# hits both alike (docs/benchmarks.md, "Monitoring").
#
#   bench/idle_ab.sh BIN_A BIN_B N SECS     # e.g. a build of main against one of a branch, 50 90
n=$3 secs=$4
declare -A home pid
for k in A B; do
	home[$k]=$(mktemp -d)
	f=${home[$k]}/apps.yaml
	{ echo "apps:"; for i in $(seq 1 $n); do echo "  - {name: a$i, script: sleep, args: ['100000'], min_uptime: 0}"; done; } > $f
done
TEND_HOME=${home[A]} $1 start ${home[A]}/apps.yaml >/dev/null
TEND_HOME=${home[B]} $2 start ${home[B]}/apps.yaml >/dev/null
sleep 30
pa=$(TEND_HOME=${home[A]} $1 daemon status --json | grep -o '"pid": *[0-9]*' | head -1 | grep -o '[0-9]*$')
pb=$(TEND_HOME=${home[B]} $2 daemon status --json | grep -o '"pid": *[0-9]*' | head -1 | grep -o '[0-9]*$')
cpu() { sed 's/.*) //' /proc/$1/stat | awk '{print $12+$13}'; }
a0=$(cpu $pa); b0=$(cpu $pb); sleep $secs; a1=$(cpu $pa); b1=$(cpu $pb)
echo "A $1: $(awk -v a=$a0 -v b=$a1 -v s=$secs 'BEGIN{printf "%.3f", (b-a)/100*60/s}') s/min; B $2: $(awk -v a=$b0 -v b=$b1 -v s=$secs 'BEGIN{printf "%.3f", (b-a)/100*60/s}') s/min"
TEND_HOME=${home[A]} $1 daemon stop >/dev/null; TEND_HOME=${home[B]} $2 daemon stop >/dev/null
rm -rf ${home[A]} ${home[B]}
