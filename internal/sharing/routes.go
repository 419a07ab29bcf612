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
	rt.Stream("GET /api/v1/stream", web.SignedIn, m.streamHandler())
	// -- webhook routes --
	hooks := m.webhookAPI()
	rt.HandleFunc("GET /api/v1/webhooks", web.SignedIn, hooks.list)
	rt.HandleFunc("POST /api/v1/webhooks", web.RequireRole("org_admin", "coordinator"), hooks.create)
	rt.HandleFunc("DELETE /api/v1/webhooks/{id}", web.RequireRole("org_admin", "coordinator"), hooks.remove)
	rt.HandleFunc("GET /api/v1/webhooks/{id}/deliveries", web.SignedIn, hooks.deliveries)
	rt.HandleFunc("POST /api/v1/webhooks/{id}/test", web.RequireRole("org_admin", "coordinator"), hooks.ping)

	// Pages (pages*.go).
	// -- page routes --
	rt.HandleFunc("GET /sharing", web.SignedIn, m.browsePage)
	rt.HandleFunc("GET /sharing/live", web.SignedIn, m.livePage)
	rt.HandleFunc("GET /sharing/objects/{id}", web.SignedIn, m.objectPage)
	rt.HandleFunc("POST /sharing/objects/{id}/sightings", web.SignedIn, m.sightingForm)
	rt.HandleFunc("POST /sharing/objects/{id}/revoke", web.SignedIn, m.revokeForm)
	rt.HandleFunc("POST /sharing/objects/{id}/relate", web.SignedIn, m.relateForm)
	// Sharing onward is the coordinators' (forms_share.go says how).
	rt.HandleFunc("GET /sharing/objects/{id}/share", coordinators, m.formPage(shareForm))
	rt.HandleFunc("POST /sharing/objects/{id}/share", coordinators, m.formSubmit(shareForm))
	for _, f := range []struct {
		path string
		kind *formKind
	}{{"indicator", indicatorForm}, {"defensive-measure", measureForm}, {"risk", riskForm}, {"incident", incidentForm}} {
		rt.HandleFunc("GET /sharing/new/"+f.path, web.SignedIn, m.formPage(f.kind))
		rt.HandleFunc("POST /sharing/new/"+f.path, web.SignedIn, m.formSubmit(f.kind))
	}
}
