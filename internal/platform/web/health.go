package web

import (
	"context"
	"net/http"
	"time"
)

// Check is one dependency's health.
type Check struct {
	Name   string `json:"name"`
	Detail string `json:"detail"` // what it is: "sqlite /data/rampart.db"
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
}

// Checker runs the readiness checks.
type Checker func(ctx context.Context) []Check

// Healthz answers 200 while the process is up; it checks nothing else, so
// an orchestrator does not restart a process whose database is away.
func Healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// Readyz answers 200 when every check passes and 503 otherwise, with the
// checks as JSON.
func Readyz(check Checker) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		checks := check(ctx)
		status, code := "ready", http.StatusOK
		for _, c := range checks {
			if !c.OK {
				status, code = "not ready", http.StatusServiceUnavailable
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		WriteJSON(w, code, map[string]any{"status": status, "checks": checks})
	}
}
