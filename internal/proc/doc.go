// Package proc starts programs and ends them, and is the one place that
// reaps children.
//
// A Spawner forks every child from one goroutine locked to an OS thread
// that never exits, so that Pdeathsig (tied to the forking thread, Go issue
// 27505) fires only when the daemon dies. The daemon is a child subreaper
// and one reaper goroutine calls wait4(-1); a pid is registered under the
// same lock as its fork, so an instant exit is never missed or stolen.
//
// proc never restarts anything and never logs: it reports exits on a
// channel and leaves the policy to the supervisor.
package proc
