package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
)

// statusOf is the one mapping from domain error codes to HTTP statuses.
func statusOf(code errs.Code) int {
	switch code {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.Unsupported:
		return http.StatusUnsupportedMediaType
	case errs.Unprocessable:
		return http.StatusUnprocessableEntity
	case errs.NotAcceptable:
		return http.StatusNotAcceptable
	case errs.RateLimited:
		return http.StatusTooManyRequests
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// StatusOf returns the HTTP status for err, for handlers of other wire
// formats (TAXII) that must agree with the problem details.
func StatusOf(err error) int { return statusOf(classify(err)) }

// classify maps errors that are not domain errors but have a clear meaning
// (an over-long body) to a code.
func classify(err error) errs.Code {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errs.TooLarge
	}
	return errs.CodeOf(err)
}

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	Code      string `json:"code"`
	RequestID string `json:"request_id,omitempty"`
}

// ProblemOf builds the problem details for err.
func ProblemOf(r *http.Request, err error) Problem {
	code := classify(err)
	status := statusOf(code)
	detail := errs.MessageOf(err)
	if code == errs.TooLarge {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			detail = "The request body is larger than the limit of " + humanBytes(tooBig.Limit) + "."
		}
	}
	return Problem{
		Type:      "urn:rampart:problem:" + string(code),
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		Code:      string(code),
		RequestID: RequestID(r.Context()),
	}
}

// WriteError writes err as problem details, or as an HTML page to a browser.
// Internal errors are logged here, once, with the request's logger; their
// text never reaches the client.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	p := ProblemOf(r, err)
	if p.Status >= 500 {
		Logger(r.Context()).Error("request failed", "err", err, "status", p.Status)
	}
	if isTAXII(r) {
		writeTAXIIError(w, p)
		return
	}
	if wantsHTML(r) {
		if rd := rendererOf(r.Context()); rd != nil {
			rd.Error(w, r, p)
			return
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// wantsHTML reports whether the client is a browser asking for a page
// rather than an API client.
func wantsHTML(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/taxii2/") {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

func humanBytes(n int64) string {
	const unit = 1024
	switch {
	case n >= unit*unit*unit:
		return strconvI(n/(unit*unit*unit)) + " GiB"
	case n >= unit*unit:
		return strconvI(n/(unit*unit)) + " MiB"
	case n >= unit:
		return strconvI(n/unit) + " KiB"
	}
	return strconvI(n) + " bytes"
}
