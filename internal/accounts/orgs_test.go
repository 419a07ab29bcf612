package accounts_test

import (
	"context"
	"database/sql"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
)

func TestOrganizationPages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		coord := e.browser().signIn(e.coordinator.Email)
		stateAdmin := e.browser().signIn(e.stateAdmin.Email)
		analyst := e.browser().signIn(e.stateAnalyst.Email)
		county := e.browser().signIn(e.countyViewer.Email)
		company := e.browser().signIn(e.companyAdmin.Email)
		anon := e.browser()

		statePage := "/orgs/" + e.state.ID
		cases := []struct {
			name    string
			b       *browser
			path    string
			status  int
			must    []string
			mustNot []string
		}{
			{"anonymous list", anon, "/orgs", 303, nil, nil},
			{"coordinator list", coord, "/orgs", 200, []string{"Gridco Power", "Sample County", "State of Examplia"}, nil},
			{"org admin list", stateAdmin, "/orgs", 403, nil, []string{"Gridco"}},
			{"own organization", analyst, statePage, 200, []string{"State of Examplia", "analyst@examplia.example", "admin@examplia.example", "First Responder", "Government Facilities", "TLP:AMBER&#43;STRICT"}, []string{"Invite someone", "Save roles"}},
			{"own organization as admin", stateAdmin, statePage, 200, []string{"Invite someone", "Save roles", "Disable"}, nil},
			{"coordinator", coord, statePage, 200, []string{"analyst@examplia.example", "Invite someone"}, nil},
			{"county of the state", county, statePage, 404, nil, []string{"analyst@examplia.example"}},
			{"other company", company, statePage, 404, nil, []string{"analyst@examplia.example", "First Responder"}},
			{"unknown", coord, "/orgs/nope", 404, nil, nil},
			{"county sees its parent's name", county, "/orgs/" + e.county.ID, 200, []string{"Part of", "State of Examplia"}, nil},
		}
		for _, tc := range cases {
			status, body := tc.b.get(tc.path)
			check(t, tc.name, status, body, tc.status, tc.must, tc.mustNot)
		}
		// Contacts in escalation order.
		_, body := analyst.get(statePage)
		if i, j := strings.Index(body, "First Responder"), strings.Index(body, "Second Line"); i < 0 || j < i {
			t.Errorf("contacts out of order: %d %d", i, j)
		}

		member := statePage + "/members/" + e.stateAnalyst.ID
		posts := []struct {
			name   string
			b      *browser
			path   string
			form   url.Values
			status int
			must   string
		}{
			{"analyst changes roles", analyst, member + "/roles", url.Values{"roles": {"org_admin"}}, 403, "roles"},
			{"other org's admin", company, member + "/roles", url.Values{"roles": {"viewer"}}, 404, ""},
			{"admin grants coordinator", stateAdmin, member + "/roles", url.Values{"roles": {"coordinator"}}, 403, "Only coordinators"},
			{"admin changes own roles", stateAdmin, statePage + "/members/" + e.stateAdmin.ID + "/roles", url.Values{"roles": {"viewer"}}, 400, "your own roles"},
			{"no role", stateAdmin, member + "/roles", url.Values{}, 400, "at least one role"},
			{"member of another org", stateAdmin, statePage + "/members/" + e.countyViewer.ID + "/roles", url.Values{"roles": {"viewer"}}, 404, ""},
			{"admin changes roles", stateAdmin, member + "/roles", url.Values{"roles": {"analyst", "viewer"}}, 303, ""},
			{"admin disables self", stateAdmin, statePage + "/members/" + e.stateAdmin.ID + "/disable", nil, 400, "your own account"},
		}
		for _, tc := range posts {
			status, body, _ := tc.b.post(tc.path, tc.form)
			check(t, tc.name, status, body, tc.status, []string{tc.must}, nil)
		}
		u, err := e.ids.User(context.Background(), e.stateAnalyst.ID)
		if err != nil || len(u.Roles) != 2 {
			t.Fatalf("roles after change: %v %v", u, err)
		}

		// Disabling signs the person out at once and stops their tokens.
		tok := e.token(e.stateAnalyst, 0, "read")
		if s, _, _ := stateAdmin.post(member+"/disable", nil); s != 303 {
			t.Fatalf("disable: %d", s)
		}
		if s, _ := analyst.get("/account"); s != 303 {
			t.Errorf("disabled user's session: %d", s)
		}
		if s, _ := e.api("GET", "/api/v1/me", "Bearer "+tok, ""); s != 401 {
			t.Errorf("disabled user's token: %d", s)
		}
		re := e.browser()
		re.get("/signin")
		status, body, _ := re.post("/signin", url.Values{"email": {e.stateAnalyst.Email}, "password": {password}})
		check(t, "disabled sign-in", status, body, 403, []string{"disabled"}, nil)
		if s, _, _ := stateAdmin.post(member+"/enable", nil); s != 303 {
			t.Fatalf("enable: %d", s)
		}
		actions := strings.Join(e.auditActions(), " ")
		for _, a := range []string{"user.roles_changed", "user.disabled", "user.enabled"} {
			if !strings.Contains(actions, a) {
				t.Errorf("audit lacks %s", a)
			}
		}
	})
}

func TestCommunities(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		coord := e.browser().signIn(e.coordinator.Email)
		stateAdmin := e.browser().signIn(e.stateAdmin.Email)
		county := e.browser().signIn(e.countyViewer.Email)
		company := e.browser().signIn(e.companyAdmin.Email)
		page := "/communities/" + e.community.ID

		cases := []struct {
			name    string
			b       *browser
			path    string
			status  int
			must    []string
			mustNot []string
		}{
			{"member's list", county, "/communities", 200, []string{"Examplia election officials", "All members"}, []string{"New community"}},
			{"non-member's list", company, "/communities", 200, []string{"All members"}, []string{"Examplia election officials"}},
			{"coordinator's list", coord, "/communities", 200, []string{"Examplia election officials", "New community"}, nil},
			{"member sees members", county, page, 200, []string{"Sample County", "State of Examplia", "State and county election offices."}, []string{"Add an organization", "Remove"}},
			{"non-member sees no members", company, page, 200, []string{"members-hidden"}, []string{"Sample County"}},
			{"owner's admin manages", stateAdmin, page, 200, []string{"Add an organization", "Gridco Power", "Remove"}, nil},
			{"unknown community", county, "/communities/nope", 404, nil, nil},
		}
		for _, tc := range cases {
			status, body := tc.b.get(tc.path)
			check(t, tc.name, status, body, tc.status, tc.must, tc.mustNot)
		}

		posts := []struct {
			name   string
			b      *browser
			path   string
			form   url.Values
			status int
		}{
			{"viewer adds", county, page + "/members", url.Values{"org": {e.company.ID}}, 403},
			{"other org admin adds", company, page + "/members", url.Values{"org": {e.company.ID}}, 403},
			{"owner admin adds", stateAdmin, page + "/members", url.Values{"org": {e.company.ID}}, 303},
			{"unknown org", stateAdmin, page + "/members", url.Values{"org": {"nope"}}, 404},
			{"owner cannot leave", stateAdmin, page + "/members/" + e.state.ID + "/remove", nil, 400},
			{"owner admin removes", stateAdmin, page + "/members/" + e.county.ID + "/remove", nil, 303},
			{"org admin creates", stateAdmin, "/communities", url.Values{"name": {"Mine"}}, 403},
			{"coordinator creates", coord, "/communities", url.Values{"name": {"Energy partners"}, "description": {"Utilities."}, "owner": {e.company.ID}}, 303},
			{"duplicate name", coord, "/communities", url.Values{"name": {"Energy partners"}}, 409},
		}
		for _, tc := range posts {
			status, body, _ := tc.b.post(tc.path, tc.form)
			check(t, tc.name, status, body, tc.status, nil, nil)
		}
		// Now the company is a member and the county is not.
		if _, body := company.get(page); !strings.Contains(body, "Gridco Power") {
			t.Error("the new member does not see the members")
		}
		if _, body := county.get(page); strings.Contains(body, "Gridco Power") {
			t.Error("the removed member still sees the members")
		}
		actions := strings.Join(e.auditActions(), " ")
		for _, a := range []string{"community.member_added", "community.member_removed", "community.created"} {
			if !strings.Contains(actions, a) {
				t.Errorf("audit lacks %s", a)
			}
		}
	})
}

func TestAuditPages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		coord := e.browser().signIn(e.coordinator.Email)
		stateAdmin := e.browser().signIn(e.stateAdmin.Email)
		analyst := e.browser().signIn(e.stateAnalyst.Email)
		e.browser().signIn(e.companyAdmin.Email)
		adminToken := e.token(e.stateAdmin, 0, "read")

		cases := []struct {
			name    string
			b       *browser
			path    string
			status  int
			must    []string
			mustNot []string
		}{
			{"coordinator", coord, "/audit", 200, []string{"user.signin", "admin@gridco.example", "admin@examplia.example", "rampart audit verify"}, nil},
			{"org admin", stateAdmin, "/audit", 200, []string{"user.signin", "admin@examplia.example"}, []string{"admin@gridco.example", "coord@ncc.example"}},
			{"org admin asks for another org", stateAdmin, "/audit?org=" + e.company.ID, 403, nil, []string{"admin@gridco.example"}},
			{"analyst", analyst, "/audit", 403, nil, nil},
		}
		for _, tc := range cases {
			status, body := tc.b.get(tc.path)
			check(t, tc.name, status, body, tc.status, tc.must, tc.mustNot)
		}
		status, body := e.api("GET", "/api/v1/audit", "Bearer "+adminToken, "")
		check(t, "api", status, body, 200, []string{`"entries"`, "admin@examplia.example"}, []string{"admin@gridco.example"})
	})
}

var inviteLinkRE = regexp.MustCompile(`id="invite-link" class="secret">([^<]+)<`)

func TestInvitations(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		stateAdmin := e.browser().signIn(e.stateAdmin.Email)
		company := e.browser().signIn(e.companyAdmin.Email)
		analyst := e.browser().signIn(e.stateAnalyst.Email)
		invitations := "/orgs/" + e.state.ID + "/invitations"

		refusals := []struct {
			name   string
			b      *browser
			form   url.Values
			status int
			must   string
		}{
			{"analyst invites", analyst, url.Values{"email": {"x@examplia.example"}, "roles": {"viewer"}}, 403, ""},
			{"other org's admin", company, url.Values{"email": {"x@examplia.example"}, "roles": {"viewer"}}, 404, ""},
			{"coordinator role", stateAdmin, url.Values{"email": {"x@examplia.example"}, "roles": {"coordinator"}}, 403, "Only coordinators"},
			{"existing account", stateAdmin, url.Values{"email": {e.countyViewer.Email}, "roles": {"viewer"}}, 409, "already has an account"},
			{"bad e-mail", stateAdmin, url.Values{"email": {"not-an-address"}, "roles": {"viewer"}}, 400, "not an e-mail address"},
			{"no role", stateAdmin, url.Values{"email": {"x@examplia.example"}}, 400, "at least one role"},
		}
		for _, tc := range refusals {
			status, body, _ := tc.b.post(invitations, tc.form)
			check(t, tc.name, status, body, tc.status, []string{tc.must}, nil)
		}

		invite := func(email string) string {
			t.Helper()
			status, body, _ := stateAdmin.post(invitations, url.Values{"email": {email}, "roles": {"analyst"}})
			m := inviteLinkRE.FindStringSubmatch(body)
			if status != 201 || m == nil {
				t.Fatalf("invite %s: %d\n%.3000s", email, status, body)
			}
			u, _ := url.Parse(m[1])
			return u.Path
		}
		link := invite("newcomer@examplia.example")
		if _, body := stateAdmin.get("/orgs/" + e.state.ID); !strings.Contains(body, "newcomer@examplia.example") || strings.Contains(body, link) {
			t.Error("the pending invitation is not listed, or its link is shown again")
		}

		guest := e.browser()
		status, body := guest.get(link)
		check(t, "invitation page", status, body, 200, []string{"You are invited to State of Examplia", "newcomer@examplia.example", "analyst"}, nil)
		status, body, _ = guest.post(link, url.Values{"name": {"New Comer"}, "password": {"short"}, "password_again": {"short"}})
		check(t, "weak password", status, body, 400, []string{"too short"}, nil)
		const pw = "a fine long passphrase indeed"
		status, body, res := guest.post(link, url.Values{"name": {"New Comer"}, "password": {pw}, "password_again": {pw}})
		check(t, "accept", status, body, 303, nil, nil)
		if res.Header.Get("Location") != "/account" {
			t.Errorf("after accepting: %s", res.Header.Get("Location"))
		}
		status, body = guest.get("/account")
		check(t, "signed in after accepting", status, body, 200, []string{"New Comer", "State of Examplia", "analyst"}, nil)

		other := e.browser()
		status, body = other.get(link)
		check(t, "reused link", status, body, 409, []string{"already used"}, []string{"Create my account"})
		other.get("/signin")
		status, body, _ = other.post(link, url.Values{"name": {"Thief"}, "password": {pw}, "password_again": {pw}})
		check(t, "reused link post", status, body, 409, []string{"already used"}, nil)
		status, body = other.get("/invite/" + strings.Repeat("ab", 32))
		check(t, "unknown link", status, body, 404, []string{"not valid"}, nil)

		expired := invite("late@examplia.example")
		e.tx(func(tx *sql.Tx) error {
			_, err := tx.ExecContext(context.Background(), `UPDATE invitations SET expires_at = 1 WHERE email = 'late@examplia.example'`)
			return err
		})
		status, body = other.get(expired)
		check(t, "expired link", status, body, 409, []string{"expired on"}, nil)

		actions := strings.Join(e.auditActions(), " ")
		for _, a := range []string{"invitation.created", "invitation.accepted"} {
			if !strings.Contains(actions, a) {
				t.Errorf("audit lacks %s", a)
			}
		}
	})
}
