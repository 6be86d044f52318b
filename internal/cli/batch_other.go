//go:build !linux

package cli

// yieldOnWake is Linux's SCHED_BATCH for a stream's CLI; elsewhere the
// CLI keeps its policy.
func yieldOnWake() {}
