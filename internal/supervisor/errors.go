package supervisor

import "errors"

// Errors callers branch on.
var (
	ErrUnknownApp = errors.New("unknown app")
	ErrNameTaken  = errors.New("name already taken")
	ErrGone       = errors.New("instance is gone")
	ErrInvalid    = errors.New("invalid app")
)
