//go:build !linux

package fdwait

// ready is not asked here: every file is read with a buffer held.
func ready(int) (bool, error) { return false, ErrUnsupported }
