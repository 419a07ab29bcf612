package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// isTAXII reports whether r is addressed to the TAXII 2.1 server. Its
// clients parse TAXII error resources, not problem details, so every
// error there must be one: those of the TAXII handlers and also those
// written before any handler runs (authentication, route rules, the body
// limit, unknown paths).
func isTAXII(r *http.Request) bool {
	return r.URL.Path == "/taxii2" || strings.HasPrefix(r.URL.Path, "/taxii2/")
}

// taxiiError is the TAXII 2.1 error message resource (section 3.6.1).
type taxiiError struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	ErrorID     string `json:"error_id,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"`
	HTTPStatus  string `json:"http_status"`
}

// writeTAXIIError writes p as a TAXII error resource. The request id
// becomes error_id, which is what the specification offers for tracing
// one failure, and the code error_code.
func writeTAXIIError(w http.ResponseWriter, p Problem) {
	h := w.Header()
	if p.Status == http.StatusUnauthorized {
		// TAXII clients speak Basic; the platform's challenges name the
		// web realm, which means nothing to them.
		h.Set("WWW-Authenticate", `Basic realm="TAXII"`)
		h.Add("WWW-Authenticate", `Bearer realm="TAXII"`)
	}
	h.Set("Content-Type", "application/taxii+json;version=2.1")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(taxiiError{
		Title: p.Title, Description: p.Detail, ErrorID: p.RequestID, ErrorCode: p.Code,
		HTTPStatus: strconv.Itoa(p.Status),
	})
}
