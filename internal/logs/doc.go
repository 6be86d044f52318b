// Package logs turns a child's output into lines and keeps them: framing
// (a partial line is kept until the stream ends; a line over MaxLine is
// split into marked pieces), append-only files, a ring of recent lines for
// crash reports, and a hub that feeds followers (`logs -f`).
//
// A write that fails is counted, never silently dropped: the next write
// that succeeds is preceded by a marker line saying how many were lost.
package logs
