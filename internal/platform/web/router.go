package web

import (
	"net/http"
	"slices"
	"time"
)

// Router is the one ServeMux of the server. Modules add their routes in
// their routes.go through it, so every route gets the same treatment and the
// whole table can be listed (the route-walking access test uses Patterns).
type Router struct {
	mux      *http.ServeMux
	timeout  time.Duration
	patterns []string
}

func newRouter(timeout time.Duration) *Router {
	return &Router{mux: http.NewServeMux(), timeout: timeout}
}

// Handle registers an ordinary route, which gets the request deadline.
func (rt *Router) Handle(pattern string, h http.Handler) {
	rt.patterns = append(rt.patterns, pattern)
	rt.mux.Handle(pattern, withTimeout(rt.timeout, h))
}

// HandleFunc is Handle for a function.
func (rt *Router) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	rt.Handle(pattern, http.HandlerFunc(f))
}

// Stream registers a long-lived route (server-sent events, large imports)
// that must not get the ordinary deadline; it manages its own.
func (rt *Router) Stream(pattern string, h http.Handler) {
	rt.patterns = append(rt.patterns, pattern)
	rt.mux.Handle(pattern, h)
}

// Patterns returns every registered pattern, sorted.
func (rt *Router) Patterns() []string {
	p := slices.Clone(rt.patterns)
	slices.Sort(p)
	return p
}
