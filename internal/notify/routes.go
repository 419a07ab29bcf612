package notify

import (
	"github.com/rampart-project/rampart/internal/platform/web"
)

// routes is the module's whole route table. Every notification belongs to
// one organization: handlers answer only the caller's organization's, and
// only while the caller may still see the object (the access decision).
func (m *Module) routes(rt *web.Router) {
	admins := web.RequireRole("org_admin", "coordinator")
	rt.HandleFunc("GET /api/v1/notifications", web.SignedIn, m.apiList)
	rt.Stream("GET /api/v1/notifications/stream", web.SignedIn, streamHandler{m})
	rt.HandleFunc("GET /api/v1/notifications/overview", admins, m.apiOverview)
	rt.HandleFunc("GET /api/v1/notifications/preferences", web.SignedIn, m.apiGetPreference)
	rt.HandleFunc("PUT /api/v1/notifications/preferences", web.SignedIn, m.apiPutPreference)
	rt.HandleFunc("GET /api/v1/notifications/escalation", admins, m.apiGetEscalation)
	rt.HandleFunc("PUT /api/v1/notifications/escalation", admins, m.apiPutEscalation)
	rt.HandleFunc("GET /api/v1/notifications/webhooks", admins, m.apiListWebhooks)
	rt.HandleFunc("POST /api/v1/notifications/webhooks", admins, m.apiCreateWebhook)
	rt.HandleFunc("DELETE /api/v1/notifications/webhooks/{id}", admins, m.apiDeleteWebhook)
	rt.HandleFunc("GET /api/v1/notifications/{id}", web.SignedIn, m.apiGet)
	rt.HandleFunc("POST /api/v1/notifications/{id}/read", web.SignedIn, m.apiRead)
	rt.HandleFunc("POST /api/v1/notifications/{id}/acknowledge", web.SignedIn, m.apiAcknowledge)

	coordinators := web.RequireRole("coordinator")
	rt.HandleFunc("GET /api/v1/notices", coordinators, m.apiListNotices)
	rt.HandleFunc("POST /api/v1/notices", coordinators, m.apiSendNotice)
	rt.HandleFunc("POST /api/v1/notices/preview", coordinators, m.apiPreviewNotice)

	// Inventories: handlers answer 404 to whoever CanView refuses, so the
	// path does not tell whether the organization exists; writers are
	// the organization's org admins and coordinators (inventory_api.go).
	rt.HandleFunc("GET /api/v1/orgs/{org}/inventory", web.SignedIn, m.apiListInventory)
	rt.HandleFunc("POST /api/v1/orgs/{org}/inventory", admins, m.apiPostInventory)
	rt.HandleFunc("DELETE /api/v1/orgs/{org}/inventory/{id}", admins, m.apiDeleteInventory)
	rt.HandleFunc("GET /inventory", web.SignedIn, m.myInventoryPage)
	rt.HandleFunc("GET /orgs/{org}/inventory", web.SignedIn, m.orgInventoryPage)
	rt.HandleFunc("POST /orgs/{org}/inventory/add", admins, m.addInventoryForm)
	rt.HandleFunc("POST /orgs/{org}/inventory/upload", admins, m.uploadInventoryForm)
	rt.HandleFunc("POST /orgs/{org}/inventory/{id}/remove", admins, m.removeInventoryForm)

	rt.HandleFunc("GET /notifications", web.SignedIn, m.listPage)
	rt.HandleFunc("GET /notifications/notices", coordinators, m.noticesPage)
	rt.HandleFunc("POST /notifications/notices", coordinators, m.noticeForm)
	rt.HandleFunc("GET /notifications/settings", web.SignedIn, m.settingsPage)
	rt.HandleFunc("POST /notifications/settings", web.SignedIn, m.settingsForm)
	rt.HandleFunc("GET /notifications/overview", admins, m.overviewPage)
	rt.HandleFunc("GET /notifications/{id}", web.SignedIn, m.detailPage)
	rt.HandleFunc("POST /notifications/{id}/acknowledge", web.SignedIn, m.ackForm)
}
