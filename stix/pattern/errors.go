package pattern

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Error is a syntax or semantic error in a pattern. Line and Column are
// 1-based and count characters (not bytes); Offset is the byte offset.
type Error struct {
	Line, Column int
	Offset       int
	Msg          string
}

// Error formats the error as "line L, column C: message".
func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// newError builds an Error for byte offset off in src.
func newError(src string, off int, format string, args ...any) *Error {
	if off > len(src) {
		off = len(src)
	}
	line, col := 1, 1
	for i := 0; i < off; {
		r, n := utf8.DecodeRuneInString(src[i:])
		i += n
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &Error{Line: line, Column: col, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// columnOf returns the 1-based column of byte offset off, for messages that
// refer back to an earlier position on the same line.
func columnOf(src string, off int) int {
	return newError(src, off, "").Column
}

// ErrTooComplex is returned (wrapped) by matching when a pattern would need
// more work than the evaluation budget allows, for example REPEATS over a
// very large number of observations.
var ErrTooComplex = errors.New("pattern too complex to evaluate")

// MatchError is an error found while matching: a timestamp that does not
// parse, a binding too large to evaluate, and similar.
type MatchError struct {
	Msg string
	Err error // optional wrapped cause
}

func (e *MatchError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *MatchError) Unwrap() error { return e.Err }
