// Package crash makes a panic in a daemon goroutine visible: in
// daemon.log, at error level, with its stack, before the daemon exits.
//
// A daemon that dies leaves its clients with only an EOF; what killed it
// must be on record. Guard is deferred at the top of the goroutines the
// daemon owns (logging, then letting the panic go on: state may be
// broken, and a daemon that limps on is worse than one that restarts).
// Capture covers the rest (a goroutine of a library, a fatal runtime
// error that cannot be recovered): the runtime writes its crash report to
// a file, which the next daemon logs and clears. It does not recover
// anything on its own.
package crash

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
)

// Guard, deferred, logs a panic of the calling goroutine at error level
// with its stack, then panics again with the same value.
func Guard(log *slog.Logger, where string) {
	v := recover()
	if v == nil {
		return
	}
	log.Error("panic: the daemon exits", "where", where, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	panic(v)
}

// Capture sends the runtime's report of a fatal crash to path from now
// on, and returns the report a previous crash left there ("" if none);
// the file is emptied.
func Capture(path string) (previous string, err error) {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return string(b), fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close() // SetCrashOutput keeps its own duplicate
	if err := debug.SetCrashOutput(f, debug.CrashOptions{}); err != nil {
		return string(b), fmt.Errorf("crash output %s: %w", path, err)
	}
	return string(b), nil
}
