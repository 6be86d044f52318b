//go:build race

package supervisor

// raceOn: the race detector makes every allocation bigger.
const raceOn = true
