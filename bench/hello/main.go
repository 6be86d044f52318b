// Command hello prints a line and exits: the raw limit for a CLI's run
// time, a Go binary that does nothing else.
package main

import "os"

func main() { os.Stdout.WriteString("hello\n") }
