package taxiiserver

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/taxii"
)

// getDiscovery is GET /taxii2/: the instance and its API roots as absolute
// URLs, the default root first.
func (m *Module) getDiscovery(w http.ResponseWriter, r *http.Request) {
	if err := acceptable(r); err != nil {
		fail(w, r, err)
		return
	}
	roots, err := m.store.APIRoots(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	d := taxii.Discovery{
		Title:       m.cfg.InstanceName,
		Description: "TAXII 2.1 server of " + m.cfg.InstanceName + ": STIX 2.1 threat intelligence shared by its members.",
		Default:     m.rootURL(r, sharing.DefaultAPIRoot),
	}
	for _, root := range roots {
		d.APIRoots = append(d.APIRoots, m.rootURL(r, root))
	}
	writeResource(w, http.StatusOK, d)
}

// rootURL is the absolute URL of an API root. The configured public URL
// wins over the request's host, which behind a proxy may be an internal
// name a client cannot reach.
func (m *Module) rootURL(r *http.Request, root string) string {
	base := strings.TrimSuffix(m.cfg.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/taxii2/" + url.PathEscape(root) + "/"
}

// getAPIRoot is GET /taxii2/{root}/.
func (m *Module) getAPIRoot(w http.ResponseWriter, r *http.Request) {
	root, err := m.apiRoot(r.Context(), r.PathValue("root"))
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := acceptable(r); err != nil {
		fail(w, r, err)
		return
	}
	title := m.cfg.InstanceName
	if root != sharing.DefaultAPIRoot {
		title += " (" + root + ")"
	}
	writeResource(w, http.StatusOK, taxii.APIRoot{
		Title:            title,
		Description:      "The collections of " + m.cfg.InstanceName + " that members read and add STIX 2.1 objects to.",
		Versions:         []string{taxii.MediaTypeTAXII},
		MaxContentLength: m.cfg.MaxBodyBytes,
	})
}

// apiRoot returns the root if the instance has it: the default root
// always, and any other that holds a collection.
func (m *Module) apiRoot(ctx context.Context, root string) (string, error) {
	roots, err := m.store.APIRoots(ctx)
	if err != nil {
		return "", err
	}
	if !slices.Contains(roots, root) {
		return "", errs.E(errs.NotFound, "There is no API root %q.", root)
	}
	return root, nil
}
