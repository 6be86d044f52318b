// Command timeit runs a command N times, one after the other, and prints
// the median, the 95th percentile, the minimum and the maximum wall time
// in milliseconds: "median p95 min max". The command's output is
// discarded; a run that fails fails timeit. It stands in for hyperfine -N
// (no shell between it and the command), which Debian's CI image lacks.
//
//	timeit N CMD ARGS...
package main

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: timeit N CMD ARGS...")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "timeit: N must be a positive number")
		os.Exit(2)
	}
	ms := make([]float64, n)
	for i := range n {
		cmd := exec.Command(os.Args[2], os.Args[3:]...)
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "timeit: %s: %v\n", os.Args[2], err)
			os.Exit(1)
		}
		ms[i] = float64(time.Since(t0).Microseconds()) / 1000
	}
	slices.Sort(ms)
	fmt.Printf("%.2f %.2f %.2f %.2f\n", ms[n/2], ms[min(n-1, n*95/100)], ms[0], ms[n-1])
}
