package taxiiserver

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/web"
	"github.com/rampart-project/rampart/taxii"
)

// writeResource writes a TAXII resource. HTML is not escaped: the bodies
// carry STIX patterns and descriptions that clients compare byte for byte
// with what was sent, and the media type is never rendered as a page.
func writeResource(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", taxii.MediaTypeTAXII)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// fail writes err through the platform's one error mapping, which renders
// TAXII error resources for every path under /taxii2/.
func fail(w http.ResponseWriter, r *http.Request, err error) { web.WriteError(w, r, err) }

// acceptable checks the Accept header. An absent header accepts anything
// (RFC 9110), which lets a person look at the server with curl; a header
// that names only other types, or TAXII 2.0, is refused.
func acceptable(r *http.Request) error {
	accept := strings.Join(r.Header.Values("Accept"), ", ")
	if !taxii.AcceptsTAXII(accept) {
		return errs.E(errs.NotAcceptable, "This server answers with %s; the Accept header %q does not allow it.", taxii.MediaTypeTAXII, accept)
	}
	return nil
}

// taxiiBody checks the Content-Type of an add-objects request.
func taxiiBody(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	switch {
	case ct == "":
		return errs.E(errs.Unsupported, "The request has no Content-Type; send the envelope as %s.", taxii.MediaTypeTAXII)
	case !taxii.IsTAXIIContentType(ct):
		return errs.E(errs.Unsupported, "Send the envelope as %s, not %q.", taxii.MediaTypeTAXII, clip(ct))
	}
	return nil
}
