//go:build race

package pool

// raceAllocs is what the race detector adds to TestATaskAllocatesLittle's
// count.
const raceAllocs = 1
