// Package daemon is the tend daemon process: it takes the lock, opens the
// store, binds the socket, wires the supervisor and the API, handles
// signals, and shuts down in order. `tend run` (RunForeground) runs the
// same supervisor in the foreground with no socket, as a container's PID 1.
//
// The daemon is the only writer of the store and the only parent of apps.
package daemon
