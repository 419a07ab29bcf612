package web

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Router is the one ServeMux of the server. Modules add their routes in
// their routes.go through it, so every route gets the same treatment and the
// whole table can be listed (the route-walking access test uses Patterns).
type Router struct {
	mux     *http.ServeMux
	timeout time.Duration
	routes  []Route
}

// Route is a registered pattern and its rule.
type Route struct {
	Pattern string
	Rule    Rule
}

func newRouter(timeout time.Duration) *Router {
	return &Router{mux: http.NewServeMux(), timeout: timeout}
}

// Handle registers an ordinary route, which gets the request deadline and
// admits only the callers its rule allows.
func (rt *Router) Handle(pattern string, rule Rule, h http.Handler) {
	rt.routes = append(rt.routes, Route{pattern, rule})
	rt.mux.Handle(pattern, withTimeout(rt.timeout, rule.enforce(h)))
}

// HandleFunc is Handle for a function.
func (rt *Router) HandleFunc(pattern string, rule Rule, f func(http.ResponseWriter, *http.Request)) {
	rt.Handle(pattern, rule, http.HandlerFunc(f))
}

// Stream registers a long-lived route (server-sent events, large imports)
// that must not get the ordinary deadline; it manages its own.
func (rt *Router) Stream(pattern string, rule Rule, h http.Handler) {
	rt.routes = append(rt.routes, Route{pattern, rule})
	rt.mux.Handle(pattern, rule.enforce(h))
}

// Routes returns every registered route, sorted by pattern.
func (rt *Router) Routes() []Route {
	r := slices.Clone(rt.routes)
	slices.SortFunc(r, func(a, b Route) int { return strings.Compare(a.Pattern, b.Pattern) })
	return r
}
