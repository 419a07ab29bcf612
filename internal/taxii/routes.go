package taxiiserver

import (
	"net/http"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// routes is the module's whole route table. Every route needs a signed-in
// caller (TAXII clients send Basic or Bearer credentials); which
// collections and objects the caller may reach is decided in the handlers
// through the store. {$} pins each path: TAXII URLs end in a slash, which
// ServeMux would otherwise read as a whole subtree.
func (m *Module) routes(rt *web.Router) {
	rt.HandleFunc("GET /taxii2/{$}", web.SignedIn, m.getDiscovery)
	rt.HandleFunc("GET /taxii2/{root}/{$}", web.SignedIn, m.getAPIRoot)
	rt.HandleFunc("GET /taxii2/{root}/status/{id}/{$}", web.SignedIn, m.getStatus)
	rt.HandleFunc("GET /taxii2/{root}/collections/{$}", web.SignedIn, m.getCollections)
	rt.HandleFunc("GET /taxii2/{root}/collections/{id}/{$}", web.SignedIn, m.getCollection)
	rt.HandleFunc("GET /taxii2/{root}/collections/{id}/manifest/{$}", web.SignedIn, m.inTurn(m.getManifest))
	rt.HandleFunc("GET /taxii2/{root}/collections/{id}/objects/{$}", web.SignedIn, m.inTurn(m.getObjects))
	rt.HandleFunc("POST /taxii2/{root}/collections/{id}/objects/{$}", web.SignedIn, m.addObjects)
	rt.HandleFunc("GET /taxii2/{root}/collections/{id}/objects/{object}/{$}", web.SignedIn, m.inTurn(m.getObject))
	rt.HandleFunc("DELETE /taxii2/{root}/collections/{id}/objects/{object}/{$}", web.SignedIn, m.deleteObject)
	rt.HandleFunc("GET /taxii2/{root}/collections/{id}/objects/{object}/versions/{$}", web.SignedIn, m.inTurn(m.getVersions))
}

// inTurn runs a listing handler once its turn comes: at most a few build
// pages at once, the others wait in the order they came. Without it, under
// load, the requests queued for one of the reader pool's connections, which
// database/sql hands to a waiter picked at random, and the slowest page
// waited 2.5 times as long as the median; in turn, 1.2 times.
func (m *Module) inTurn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case m.pages <- struct{}{}:
		case <-r.Context().Done():
			// The request's deadline passed while it waited (or its client
			// left): say so, rather than end with an empty 200.
			w.Header().Set("Retry-After", "5")
			fail(w, r, errs.E(errs.Unavailable, "The server is busy with other pages; ask again in a few seconds."))
			return
		}
		defer func() { <-m.pages }()
		h(w, r)
	}
}
