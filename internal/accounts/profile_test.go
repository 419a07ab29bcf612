package accounts_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

// TestProfileAPI: the organization's admin and coordinators change its
// profile; its analyst is refused, and another organization's admin is
// told the organization does not exist. Bad values are named.
func TestProfileAPI(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		write := func(u *identity.User) string { return "Bearer " + e.token(u, 0, "read", "write") }
		stateAdmin, analyst, coord, company := write(e.stateAdmin), write(e.stateAnalyst), write(e.coordinator), write(e.companyAdmin)
		org := "/api/v1/orgs/" + e.state.ID
		path := org + "/profile"
		good := `{"sectors":["water","Energy"],"flags":["election"],"state_fips":"06","county_fips":""}`
		cases := []struct {
			name, method, path, auth, body string
			status                         int
			must, mustNot                  []string
		}{
			{"anonymous", "PUT", path, "", good, 401, nil, nil},
			{"analyst", "PUT", path, analyst, good, 403, []string{"org_admin"}, nil},
			{"other org's admin", "PUT", path, company, good, 404, nil, []string{"Examplia"}},
			{"other org's admin reads", "GET", org, company, "", 404, nil, []string{"Examplia"}},
			{"unknown org", "PUT", "/api/v1/orgs/nope/profile", coord, good, 404, nil, nil},
			{"unknown sector", "PUT", path, stateAdmin, `{"sectors":["mining"]}`, 400, []string{`sectors: \"mining\" is unknown`}, nil},
			{"unknown flag", "PUT", path, stateAdmin, `{"flags":["casino"]}`, 400, []string{`flags: \"casino\" is unknown`}, nil},
			{"bad state", "PUT", path, stateAdmin, `{"state_fips":"6"}`, 400, []string{"state_fips"}, nil},
			{"bad county", "PUT", path, stateAdmin, `{"state_fips":"06","county_fips":"37"}`, 400, []string{"county_fips"}, nil},
			{"unknown field", "PUT", path, stateAdmin, `{"sector":["water"]}`, 400, nil, nil},
			{"admin", "PUT", path, stateAdmin, good, 200, []string{`"sectors":["energy","water"]`, `"flags":["election"]`, `"state_fips":"06"`}, nil},
			{"admin reads", "GET", org, stateAdmin, "", 200, []string{`"name":"State of Examplia"`, `"sectors":["energy","water"]`, `"can_edit_profile":true`}, nil},
			{"analyst reads", "GET", org, analyst, "", 200, []string{`"can_edit_profile":false`}, nil},
			{"coordinator", "PUT", path, coord, `{"sectors":["government-facilities"],"flags":[],"state_fips":"06","county_fips":"037"}`, 200, []string{`"county_fips":"037"`}, nil},
		}
		for _, tc := range cases {
			status, body := e.api(tc.method, tc.path, tc.auth, tc.body)
			check(t, tc.name, status, body, tc.status, tc.must, tc.mustNot)
		}
		o, err := e.ids.Org(context.Background(), e.state.ID)
		if err != nil || !slices.Equal(o.Sectors, []string{"government-facilities"}) || len(o.Flags) != 0 || o.CountyFIPS != "037" {
			t.Errorf("profile after the coordinator's change: %+v %v", o, err)
		}
		if n := strings.Count(strings.Join(e.auditActions(), " "), "org.profile_changed"); n != 2 {
			t.Errorf("%d org.profile_changed entries, want 2", n)
		}
	})
}

// TestProfileForm: administrators see the form with every sector and
// flag; a bad value is shown on the page with what was submitted kept; a
// good one is saved; the analyst sees no form and is refused.
func TestProfileForm(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		admin := e.browser().signIn(e.stateAdmin.Email)
		analyst := e.browser().signIn(e.stateAnalyst.Email)
		company := e.browser().signIn(e.companyAdmin.Email)
		page := "/orgs/" + e.state.ID

		status, body := admin.get(page)
		check(t, "admin's page", status, body, 200, []string{`action="/orgs/` + e.state.ID + `/profile"`, `<label for="state-fips">`, "Water and Wastewater Systems", `value="election"`, "TLP:AMBER&#43;STRICT"}, nil)
		status, body = analyst.get(page)
		check(t, "analyst's page", status, body, 200, []string{"Government Facilities"}, []string{"Save the profile"})

		form := url.Values{"sectors": {"water", "energy"}, "flags": {"water"}, "state_fips": {"6"}}
		status, body, _ = admin.post(page+"/profile", form)
		check(t, "bad state", status, body, 400, []string{`id="profile-error"`, "state_fips", `aria-invalid="true"`, `value="water" checked`, `value="energy" checked`}, nil)

		status, body, _ = analyst.post(page+"/profile", url.Values{"sectors": {"water"}})
		check(t, "analyst posts", status, body, 403, nil, nil)
		status, body, _ = company.post(page+"/profile", url.Values{"sectors": {"water"}})
		check(t, "other org's admin posts", status, body, 404, nil, []string{"Examplia"})

		form.Set("state_fips", "06")
		form.Set("county_fips", "")
		status, body, res := admin.post(page+"/profile", form)
		if status != 303 || !strings.Contains(res.Header.Get("Location"), "done=profile") {
			t.Fatalf("save: %d %s", status, body)
		}
		status, body = admin.get(page + "?done=profile")
		check(t, "after saving", status, body, 200, []string{"The profile is saved", "Energy; Water and Wastewater Systems", "state 06"}, nil)

		// The API answers with the same profile.
		status, body = e.api("GET", "/api/v1/orgs/"+e.state.ID, "Bearer "+e.token(e.stateAnalyst, 0, "read"), "")
		var o identity.Organization
		if status != 200 || json.Unmarshal([]byte(body), &o) != nil || !slices.Equal(o.Flags, []string{"water"}) {
			t.Errorf("GET org: %d %s", status, body)
		}
	})
}
