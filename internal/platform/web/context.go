package web

import (
	"context"
	"log/slog"
)

type ctxKey int

const (
	keyRequest ctxKey = iota
	keyRenderer
)

// requestInfo is what the outer middleware learns about a request and the
// inner layers fill in.
type requestInfo struct {
	id     string
	logger *slog.Logger
	route  string // the ServeMux pattern that matched, set after routing
}

func infoOf(ctx context.Context) *requestInfo {
	i, _ := ctx.Value(keyRequest).(*requestInfo)
	return i
}

// RequestID returns the request's id, or "" outside a request.
func RequestID(ctx context.Context) string {
	if i := infoOf(ctx); i != nil {
		return i.id
	}
	return ""
}

// Logger returns the request's logger, which carries its request_id.
func Logger(ctx context.Context) *slog.Logger {
	if i := infoOf(ctx); i != nil && i.logger != nil {
		return i.logger
	}
	return slog.New(slog.DiscardHandler)
}

func rendererOf(ctx context.Context) *Renderer {
	r, _ := ctx.Value(keyRenderer).(*Renderer)
	return r
}
