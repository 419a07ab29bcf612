// Package patterns is the module that checks STIX patterns for people and
// programs: POST /api/v1/patterns/check and the check page, which shows an
// error at its line and column. The indicator forms of the sharing module
// use Check for their inline errors.
package patterns

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"strings"
	"unicode/utf8"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/platform/web"
	"github.com/rampart-project/rampart/stix/pattern"
)

//go:embed templates
var templates embed.FS

// Module mounts the pattern routes.
type Module struct{}

// Name implements app.Module.
func (Module) Name() string { return "patterns" }

// Mount implements app.Module.
func (m Module) Mount(_ context.Context, k *app.Kernel) error {
	if err := m.addPages(k.Renderer); err != nil {
		return err
	}
	routes(k)
	return nil
}

func (Module) addPages(rd *web.Renderer) error {
	pages, err := fs.Sub(templates, "templates")
	if err != nil {
		return err
	}
	return rd.AddPages(pages)
}

// Run implements app.Module; the module has no background work.
func (Module) Run(context.Context) error { return nil }

// Result is the verdict on one pattern.
type Result struct {
	Pattern     string       `json:"pattern"`
	Valid       bool         `json:"valid"`
	Canonical   string       `json:"canonical,omitempty"`
	Error       *Error       `json:"error,omitempty"`
	Observables []Observable `json:"observables,omitempty"`
}

// Error locates a problem in a pattern.
type Error struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// Observable is a comparison an index can use.
type Observable struct {
	Type       string `json:"type"`
	Path       string `json:"path"`
	Operator   string `json:"operator"`
	Negated    bool   `json:"negated,omitempty"`
	Value      string `json:"value"`
	Sufficient bool   `json:"sufficient"`
}

// Check parses text as a pattern of the given STIX version ("2.0" or
// "2.1"; "" means 2.1).
func Check(text, version string) Result {
	r := Result{Pattern: text}
	var opts []pattern.Option
	if version == "2.0" {
		opts = append(opts, pattern.WithVersion(pattern.V20))
	}
	p, err := pattern.Parse(text, opts...)
	if err != nil {
		var pe *pattern.Error
		if errors.As(err, &pe) {
			r.Error = &Error{Line: pe.Line, Column: pe.Column, Message: pe.Msg}
		} else {
			r.Error = &Error{Line: 1, Column: 1, Message: err.Error()}
		}
		return r
	}
	r.Valid, r.Canonical = true, p.String()
	for _, o := range p.Observables() {
		r.Observables = append(r.Observables, Observable{
			Type: o.Type, Path: o.Path, Operator: o.Op.String(), Negated: o.Not, Value: o.Value.String(), Sufficient: o.Sufficient,
		})
	}
	return r
}

// Marked is a pattern line split at an error, for showing the position.
type Marked struct {
	Before, At, After string
	Line, Column      int
}

// Mark splits the erroneous line of text at the error's column, so a page
// can highlight the character (or the end of the line) where it is.
func Mark(text string, e *Error) Marked {
	lines := strings.Split(text, "\n")
	m := Marked{Line: e.Line, Column: e.Column}
	if e.Line < 1 || e.Line > len(lines) {
		return m
	}
	line := strings.TrimRight(lines[e.Line-1], "\r")
	runes := []rune(line)
	col := min(max(e.Column-1, 0), len(runes))
	m.Before = string(runes[:col])
	if col < len(runes) {
		_, size := utf8.DecodeRuneInString(string(runes[col:]))
		rest := string(runes[col:])
		m.At, m.After = rest[:size], rest[size:]
	} else {
		m.At = " " // the end of the line: something was missing
	}
	return m
}
