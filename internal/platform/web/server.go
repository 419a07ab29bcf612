package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure the HTTP server.
type Options struct {
	Addr           string
	Logger         *slog.Logger
	Registry       *prometheus.Registry // metrics are registered here and served at /metrics
	MaxBodyBytes   int64
	RequestTimeout time.Duration
	Renderer       *Renderer
	// Authenticate resolves who is calling (identity's middleware) and
	// puts the caller in the request context; nil leaves every request
	// anonymous.
	Authenticate Middleware
}

// Server is Rampart's HTTP server: the UI, the JSON API, TAXII and streams.
type Server struct {
	Router   *Router
	opts     Options
	handler  http.Handler
	http     *http.Server
	listener net.Listener
}

// NewServer builds the server and its middleware. Routes are added to
// Router before Listen.
func NewServer(o Options) *Server {
	s := &Server{Router: newRouter(o.RequestTimeout), opts: o}
	m := newHTTPMetrics(o.Registry)
	if o.Registry != nil {
		s.Router.Stream("GET /metrics", Public, promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry}))
	}
	authenticate := o.Authenticate
	if authenticate == nil {
		authenticate = func(h http.Handler) http.Handler { return h }
	}
	// Authentication runs last, just before routing: after observe, so it
	// has the request logger and id for the audit log; after the security
	// headers and the renderer, so its 401 and 403 answers carry the
	// headers and reach browsers as pages; and after the body limit,
	// because the CSRF check reads form bodies.
	s.handler = Chain(routeMux(s.Router.mux),
		observe(o.Logger, m),
		securityHeaders,
		withRenderer(o.Renderer),
		limitBody(o.MaxBodyBytes),
		authenticate,
	)
	return s
}

// Handler returns the whole chain, for tests that use httptest.
func (s *Server) Handler() http.Handler { return s.handler }

func withRenderer(rd *Renderer) Middleware {
	return func(next http.Handler) http.Handler {
		if rd == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRenderer, rd)))
		})
	}
}

// Listen binds the address, so that a bad or busy address is a start-up
// error and the real port is known before serving.
func (s *Server) Listen() (net.Addr, error) {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("--addr %s: %w", s.opts.Addr, err)
	}
	s.listener = ln
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		// No WriteTimeout: streams last for hours. Ordinary routes have a
		// request deadline instead, and streams set their own.
		ReadTimeout: 10 * time.Minute,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelWarn),
	}
	return ln.Addr(), nil
}

// Serve serves until Shutdown.
func (s *Server) Serve() error {
	if err := s.http.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections and waits for requests in flight
// until ctx ends; then it closes what is left (streams).
func (s *Server) Shutdown(ctx context.Context) error {
	if s.http == nil {
		return nil
	}
	err := s.http.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return s.http.Close()
	}
	return err
}
