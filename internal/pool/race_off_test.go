//go:build !race

package pool

// raceAllocs and raceBytes are what the race detector adds to
// TestATaskAllocatesLittle's counts.
const (
	raceAllocs = 0
	raceBytes  = 0
)
