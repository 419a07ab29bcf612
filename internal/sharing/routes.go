package sharing

import (
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// routes is the module's whole route table. Every handler reads through
// the store, which applies the access decision; what a rule cannot say
// ("the owner of this object") is checked in the handler.
func (m *Module) routes(rt *web.Router) {
	// Objects API: submit bundles, search, read versions, revoke.
	rt.HandleFunc("POST /api/v1/objects", web.SignedIn, m.postObjects)
	rt.HandleFunc("GET /api/v1/objects", web.SignedIn, m.listObjects)
	rt.HandleFunc("GET /api/v1/objects/{id}", web.SignedIn, m.getObject)
	rt.HandleFunc("GET /api/v1/objects/{id}/versions", web.SignedIn, m.getVersions)
	rt.HandleFunc("GET /api/v1/objects/{id}/related", web.SignedIn, m.getRelated)
	rt.HandleFunc("POST /api/v1/objects/{id}/revoke", web.SignedIn, m.revokeObject)
	rt.HandleFunc("POST /api/v1/sightings", web.SignedIn, m.postSighting)
	rt.HandleFunc("GET /api/v1/collections", web.SignedIn, m.listCollections)
	rt.HandleFunc("GET /api/v1/warninglists", web.SignedIn, m.listWarningLists)
	rt.HandleFunc("POST /api/v1/warninglists", web.Admin(string(identity.RoleCoordinator)), m.saveWarningList)

	// Live stream and webhooks (stream.go, webhooks.go).
	// -- stream routes --
	// -- webhook routes --

	// Pages (pages*.go).
	// -- page routes --
}
