package web

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

// Chain applies middleware so that the first listed runs first.
func Chain(h http.Handler, mw ...Middleware) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// httpMetrics are the request metrics.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_http_requests_total",
			Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rampart_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by method and route pattern.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 3, 12),
		}, []string{"method", "route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rampart_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.inflight)
	}
	return m
}

// observe is the outermost middleware: it gives the request an id and a
// logger, recovers from panics, and records the request in the log and the
// metrics once it is done.
func observe(base *slog.Logger, m *httpMetrics) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := r.Header.Get("X-Request-Id")
			if !validRequestID(id) {
				id = newRequestID()
			}
			info := &requestInfo{id: id, logger: base.With("request_id", id)}
			r = r.WithContext(context.WithValue(r.Context(), keyRequest, info))
			w.Header().Set("X-Request-Id", id)
			rec := &recorder{ResponseWriter: w}
			m.inflight.Inc()
			defer func() {
				m.inflight.Dec()
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					info.logger.Error("handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					if !rec.wrote {
						WriteError(rec, r, errors.New("panic"))
					}
				}
				route := info.route
				if route == "" {
					route = "unmatched"
				}
				status := rec.status
				if status == 0 {
					status = http.StatusOK
				}
				elapsed := time.Since(start)
				m.requests.WithLabelValues(r.Method, route, strconv.Itoa(status)).Inc()
				m.duration.WithLabelValues(r.Method, route).Observe(elapsed.Seconds())
				level := slog.LevelInfo
				if status >= 500 {
					level = slog.LevelError
				}
				info.logger.Log(r.Context(), level, "request",
					"method", r.Method, "path", r.URL.Path, "route", route, "status", status,
					"bytes", rec.bytes, "duration_ms", float64(elapsed.Microseconds())/1000,
					"remote", r.RemoteAddr)
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// routeMux dispatches to the mux, records which pattern matched (so logs
// and metrics are labelled by route, not by raw path), and answers requests
// no route matches with problem details instead of the mux's plain text:
// 404, or 405 with Allow when the path exists for other methods.
func routeMux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern == "" {
			probe := &statusProbe{header: http.Header{}}
			h.ServeHTTP(probe, r)
			switch probe.status {
			case http.StatusMethodNotAllowed:
				w.Header().Set("Allow", probe.header.Get("Allow"))
				WriteError(w, r, errs.E(errs.MethodNotAllowed, "%s is not allowed on %s; allowed: %s.", r.Method, r.URL.Path, probe.header.Get("Allow")))
			case http.StatusNotFound, 0:
				WriteError(w, r, errs.E(errs.NotFound, "There is nothing at %s.", r.URL.Path))
			default: // a redirect the mux computed, such as a cleaned path
				for k, v := range probe.header {
					w.Header()[k] = v
				}
				w.WriteHeader(probe.status)
			}
			return
		}
		mux.ServeHTTP(w, r)
		if info := infoOf(r.Context()); info != nil {
			info.route = r.Pattern
		}
	})
}

// statusProbe captures what the mux's own fallback handler would write.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }

// securityHeaders sets headers every response should carry.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body; reading past the limit fails with an
// error that WriteError reports as 413.
func limitBody(limit int64) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > limit {
				WriteError(w, r, &http.MaxBytesError{Limit: limit})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			next.ServeHTTP(w, r)
		})
	}
}

// withTimeout gives ordinary requests a deadline. Streams are registered
// without it.
func withTimeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// recorder remembers the status and size of a response. It keeps the
// optional interfaces streams need.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// flushing) through the recorder.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		if !r.wrote {
			r.status, r.wrote = http.StatusOK, true
		}
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(r.ResponseWriter).Hijack()
}
