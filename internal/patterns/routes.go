package patterns

import (
	"net/http"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/web"
)

func routes(k *app.Kernel) {
	r := k.Router
	r.HandleFunc("POST /api/v1/patterns/check", web.SignedInQuery, checkAPI)
	r.HandleFunc("GET /patterns/check", web.SignedIn, checkPage(k.Renderer))
}

// maxPatterns bounds one request, so a script cannot tie up the server.
const maxPatterns = 1000

type checkRequest struct {
	Pattern     string   `json:"pattern"`
	Patterns    []string `json:"patterns"`
	STIXVersion string   `json:"stix_version"`
}

// checkAPI answers {"results": [...]} for "patterns", or one result for
// "pattern". Invalid patterns are a normal answer (200), not an error.
func checkAPI(w http.ResponseWriter, r *http.Request) {
	var req checkRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if req.STIXVersion != "" && req.STIXVersion != "2.0" && req.STIXVersion != "2.1" {
		web.WriteError(w, r, errs.E(errs.Invalid, "stix_version %q: use 2.0 or 2.1.", req.STIXVersion))
		return
	}
	switch {
	case req.Patterns != nil && req.Pattern != "":
		web.WriteError(w, r, errs.E(errs.Invalid, "Send either \"pattern\" or \"patterns\", not both."))
	case req.Patterns != nil:
		if len(req.Patterns) > maxPatterns {
			web.WriteError(w, r, errs.E(errs.Invalid, "At most %d patterns per request; this one has %d.", maxPatterns, len(req.Patterns)))
			return
		}
		results := make([]Result, len(req.Patterns))
		for i, p := range req.Patterns {
			results[i] = Check(p, req.STIXVersion)
		}
		web.WriteJSON(w, http.StatusOK, map[string]any{"results": results})
	case req.Pattern != "":
		web.WriteJSON(w, http.StatusOK, Check(req.Pattern, req.STIXVersion))
	default:
		web.WriteError(w, r, errs.E(errs.Invalid, "Send {\"pattern\": \"[ipv4-addr:value = '198.51.100.1']\"} or {\"patterns\": [...]}."))
	}
}

type pageData struct {
	Pattern string
	Version string
	Checked bool
	Result  Result
	Marked  Marked
}

// checkPage is a form that checks with GET: checking changes nothing, and
// the URL can be shared with a colleague.
func checkPage(rd *web.Renderer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d := pageData{Pattern: r.URL.Query().Get("pattern"), Version: r.URL.Query().Get("stix_version")}
		if d.Version != "2.0" {
			d.Version = "2.1"
		}
		if d.Pattern != "" {
			d.Checked, d.Result = true, Check(d.Pattern, d.Version)
			if d.Result.Error != nil {
				d.Marked = Mark(d.Pattern, d.Result.Error)
			}
		}
		rd.Render(w, r, http.StatusOK, "pattern-check.html", web.Page{Title: "Check a STIX pattern", TLP: "CLEAR", Data: d})
	}
}
