//go:build race

package main

// raceOn: this test binary (the daemon, the shim and the helpers) runs
// under the race detector, several times slower to start.
const raceOn = true
