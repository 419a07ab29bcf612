package accounts

import (
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

var (
	orgAdmins   = []string{string(identity.RoleOrgAdmin), string(identity.RoleCoordinator)}
	coordinator = string(identity.RoleCoordinator)
)

// routes is the module's whole route table. Handlers check what the rule
// cannot express — "of this organization", "a member of this community" —
// and answer 404 where existence itself is not the caller's to know.
func (m *Module) routes(rt *web.Router) {
	// Signing in and out.
	rt.HandleFunc("GET /signin", web.Public, m.signinPage)
	rt.HandleFunc("POST /signin", web.Public, m.signin)
	rt.HandleFunc("POST /signout", web.SignedIn, m.signout)
	rt.HandleFunc("GET /signin/oidc", web.Public, m.oidcStart)
	rt.HandleFunc("GET /signin/oidc/callback", web.Public, m.oidcCallback)
	rt.HandleFunc("GET /invite/{token}", web.Public, m.invitePage)
	rt.HandleFunc("POST /invite/{token}", web.Public, m.acceptInvite)

	// My account. Creating a token, like changing the password, needs a
	// session or a token with the admin scope: a leaked read or write
	// token must not mint more tokens.
	rt.HandleFunc("GET /account", web.SignedIn, m.accountPage)
	rt.HandleFunc("POST /account/password", web.Admin(), m.changePassword)
	rt.HandleFunc("POST /account/tokens", web.Admin(), m.createTokenForm)
	rt.HandleFunc("POST /account/tokens/{id}/revoke", web.SignedIn, m.revokeTokenForm)

	// Organizations and their members.
	rt.HandleFunc("GET /orgs", web.RequireRole(coordinator), m.orgsPage)
	rt.HandleFunc("GET /orgs/{id}", web.SignedIn, m.orgPage)
	rt.HandleFunc("POST /orgs/{id}/profile", web.Admin(orgAdmins...), m.profileForm)
	rt.HandleFunc("POST /orgs/{id}/invitations", web.Admin(orgAdmins...), m.invite)
	rt.HandleFunc("POST /orgs/{id}/members/{user}/roles", web.Admin(orgAdmins...), m.setRoles)
	rt.HandleFunc("POST /orgs/{id}/members/{user}/disable", web.Admin(orgAdmins...), m.setDisabled(true))
	rt.HandleFunc("POST /orgs/{id}/members/{user}/enable", web.Admin(orgAdmins...), m.setDisabled(false))

	// Communities.
	rt.HandleFunc("GET /communities", web.SignedIn, m.communitiesPage)
	rt.HandleFunc("POST /communities", web.Admin(coordinator), m.createCommunity)
	rt.HandleFunc("GET /communities/{id}", web.SignedIn, m.communityPage)
	rt.HandleFunc("POST /communities/{id}/members", web.Admin(orgAdmins...), m.addMember)
	rt.HandleFunc("POST /communities/{id}/members/{org}/remove", web.Admin(orgAdmins...), m.removeMember)

	// Audit log: coordinators see everything, organization
	// administrators their organization (see auditScope).
	rt.Handle("GET /audit", web.RequireRole(orgAdmins...), m.auditPage())
	rt.Handle("GET /api/v1/audit", web.RequireRole(orgAdmins...), m.auditAPI())

	// API.
	rt.HandleFunc("GET /api/v1/me", web.SignedIn, m.me)
	rt.HandleFunc("GET /api/v1/tokens", web.SignedIn, m.listTokensAPI)
	rt.HandleFunc("POST /api/v1/tokens", web.Admin(), m.createTokenAPI)
	rt.HandleFunc("DELETE /api/v1/tokens/{id}", web.SignedIn, m.revokeTokenAPI)
	// {org}, as notify's inventory routes name it. The profile, like the
	// inventory it completes, takes a write token, not an admin one. PUT
	// replaces the whole profile: a field left out is emptied.
	rt.HandleFunc("GET /api/v1/orgs/{org}", web.SignedIn, m.orgAPI)
	rt.HandleFunc("PUT /api/v1/orgs/{org}/profile", web.RequireRole(orgAdmins...), m.profileAPI)
}
