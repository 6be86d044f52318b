// Command burst writes numbered lines of about 100 bytes to stdout as fast
// as it can: the load of bench/logs.sh. Each line is "L<10 digits> " and
// padding, so a reader can count lost and duplicated lines.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	n := 2_000_000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "usage: burst [LINES]")
			os.Exit(2)
		}
		n = v
	}
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	pad := strings.Repeat("x", 88)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(w, "L%010d %s\n", i, pad)
	}
	if err := w.Flush(); err != nil {
		os.Exit(1)
	}
}
