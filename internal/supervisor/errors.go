package supervisor

import "errors"

// Errors callers branch on.
var (
	ErrUnknownApp = errors.New("unknown app")
	ErrNameTaken  = errors.New("name already taken")
	ErrGone       = errors.New("instance is gone")
	ErrInvalid    = errors.New("invalid app")
	// ErrRefused is a command that could not be carried out as asked
	// (a message no instance could take, a reload that failed).
	ErrRefused = errors.New("refused")
)

// refusedError marks err as ErrRefused without changing its message.
type refusedError struct{ error }

func (e refusedError) Unwrap() error        { return e.error }
func (e refusedError) Is(target error) bool { return target == ErrRefused }

func refused(err error) error {
	if err == nil {
		return nil
	}
	return refusedError{err}
}
