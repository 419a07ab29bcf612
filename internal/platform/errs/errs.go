// Package errs defines Rampart's domain error: a code from a short fixed list
// and a message that is safe to show to the person who caused it. Everything
// that is not an *Error is internal, and its text is never shown.
//
// The HTTP layer maps codes to statuses in exactly one place
// (web.WriteError), so a module never picks a status code itself.
package errs

import (
	"errors"
	"fmt"
)

// Code classifies a domain error. The set is closed on purpose: a new code
// needs a mapping in web and in TAXII error resources.
type Code string

// The codes. Each maps to one HTTP status in web.
const (
	Invalid          Code = "invalid"            // the input is malformed or breaks a rule
	Unauthenticated  Code = "unauthenticated"    // no or bad credentials
	Forbidden        Code = "forbidden"          // authenticated, but not allowed
	NotFound         Code = "not_found"          // does not exist, or may not be seen
	Conflict         Code = "conflict"           // clashes with the current state
	MethodNotAllowed Code = "method_not_allowed" // the path exists, but not for this method
	TooLarge         Code = "too_large"          // the request body is over its limit
	Unsupported      Code = "unsupported"        // a media type we do not speak
	Unprocessable    Code = "unprocessable"      // well-formed request, content that cannot be processed
	NotAcceptable    Code = "not_acceptable"     // no representation the client accepts
	RateLimited      Code = "rate_limited"       // too many attempts
	Unavailable      Code = "unavailable"        // a dependency is down; try again
	Internal         Code = "internal"           // a bug or an unexpected failure
)

// Error is a domain error. Message is shown to the caller; Err, if any, is
// the cause kept for logs.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// E returns a domain error with a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns a domain error that keeps err as its cause.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of the first domain error in err's chain, or
// Internal if there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf returns the safe message of the first domain error in err's
// chain, or a generic text that reveals nothing for internal errors.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return "An internal error occurred; it has been logged."
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return CodeOf(err) == code }
