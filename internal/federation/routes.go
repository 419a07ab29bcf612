package federation

import (
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

const coordinator = string(identity.RoleCoordinator)

// routes is the module's whole route table. Peers are the instance's, not
// an organization's: coordinators read them, and change them through a
// session or a token with the admin scope, since a peer's settings decide
// what leaves the instance.
func (m *Module) routes(rt *web.Router) {
	rt.HandleFunc("GET /api/v1/peers", web.RequireRole(coordinator), m.listPeers)
	rt.HandleFunc("POST /api/v1/peers", web.Admin(coordinator), m.createPeer)
	rt.HandleFunc("GET /api/v1/peers/{id}", web.RequireRole(coordinator), m.getPeer)
	rt.HandleFunc("PATCH /api/v1/peers/{id}", web.Admin(coordinator), m.updatePeer)
	rt.HandleFunc("DELETE /api/v1/peers/{id}", web.Admin(coordinator), m.deletePeer)
	rt.HandleFunc("POST /api/v1/peers/{id}/sync", web.Admin(coordinator), m.syncPeer)

	rt.HandleFunc("GET /sharing/peers", web.RequireRole(coordinator), m.peersPage)
	rt.HandleFunc("POST /sharing/peers", web.Admin(coordinator), m.addPeerForm)
}
