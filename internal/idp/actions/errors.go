package actions

import (
	"errors"
	"fmt"
)

// ErrorKind classifies why an action did not complete.
type ErrorKind string

// The kinds of [RunError].
const (
	// KindThrown: the action threw or its promise rejected.
	KindThrown ErrorKind = "thrown"
	// KindTimeout: the flow exceeded its time limit.
	KindTimeout ErrorKind = "timeout"
	// KindMemory: the action's allocations passed the memory limit.
	KindMemory ErrorKind = "memory"
	// KindCompile: the code does not parse.
	KindCompile ErrorKind = "compile"
	// KindHandler: the module does not export the trigger's handler.
	KindHandler ErrorKind = "handler"
	// KindCanceled: the caller's context ended first.
	KindCanceled ErrorKind = "canceled"
)

// RunError is returned when an action fails a flow. Its Error text is the
// reason a login is refused with.
type RunError struct {
	Kind ErrorKind
	// Action is the name of the failing action.
	Action string
	// Message is the JavaScript error message (or the Go cause).
	Message string
	// Stack is the JavaScript stack, when there is one.
	Stack string
	cause error
}

// Error implements error.
func (e *RunError) Error() string {
	if e.Action == "" {
		return e.Message
	}
	return fmt.Sprintf("action %q: %s", e.Action, e.Message)
}

// Unwrap returns the underlying cause.
func (e *RunError) Unwrap() error { return e.cause }

// ErrNotFound is wrapped when an action, version or trigger does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is wrapped when a name is taken or a change clashes with the
// current state.
var ErrConflict = errors.New("conflict")

// ValidationError reports a request the management API refuses (HTTP 400).
type ValidationError struct {
	Message string
}

// Error implements error.
func (e *ValidationError) Error() string { return e.Message }

func invalidf(format string, a ...any) error {
	return &ValidationError{Message: fmt.Sprintf(format, a...)}
}
