package accounts_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
)

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestTokenAuthentication(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		read := e.token(e.stateAnalyst, 0, "read")
		write := e.token(e.stateAnalyst, 0, "write")
		expiring := e.token(e.stateAnalyst, time.Millisecond, "read")
		revoked := e.token(e.stateAnalyst, 0, "read")
		disabledUser := e.user("gone@examplia.example", e.state, "viewer")
		ofDisabled := e.token(disabledUser, 0, "read")
		revokedID := e.tokenID(revoked)
		e.tx(func(tx *sql.Tx) error {
			return e.ids.RevokeToken(context.Background(), tx, e.stateAnalyst.ID, revokedID)
		})
		e.tx(func(tx *sql.Tx) error { return e.ids.SetDisabled(context.Background(), tx, disabledUser.ID, true) })
		time.Sleep(5 * time.Millisecond)

		cases := []struct {
			name, method, path, auth, body string
			status                         int
			must, mustNot                  []string
		}{
			{"anonymous me", "GET", "/api/v1/me", "", "", 401, []string{"Sign in, or send an API token"}, nil},
			{"bearer", "GET", "/api/v1/me", "Bearer " + read, "", 200, []string{`"email":"analyst@examplia.example"`, `"name":"State of Examplia"`, `"kind":"state"`, `"scopes":["read"]`, `"roles":["analyst"]`, `"all-members"`, "Examplia election officials"}, []string{"secret_hash"}},
			{"bearer lower-case scheme", "GET", "/api/v1/me", "bearer " + read, "", 200, []string{"analyst@examplia.example"}, nil},
			{"basic", "GET", "/api/v1/me", basic("analyst@examplia.example", read), "", 200, []string{"analyst@examplia.example"}, nil},
			{"basic e-mail in capitals", "GET", "/api/v1/me", basic("Analyst@Examplia.example", read), "", 200, []string{"analyst@examplia.example"}, nil},
			{"basic wrong e-mail", "GET", "/api/v1/me", basic("admin@examplia.example", read), "", 401, []string{"must be the e-mail address of the token's owner"}, nil},
			{"basic no colon", "GET", "/api/v1/me", "Basic " + base64.StdEncoding.EncodeToString([]byte("analyst@examplia.example")), "", 401, []string{"with a colon"}, nil},
			{"basic bad base64", "GET", "/api/v1/me", "Basic %%%", "", 401, []string{"base64"}, nil},
			{"unknown scheme", "GET", "/api/v1/me", "Digest abc", "", 401, []string{`scheme \"Digest\" is not supported`}, nil},
			{"bearer empty", "GET", "/api/v1/me", "Bearer ", "", 401, []string{"malformed"}, nil},
			{"malformed token", "GET", "/api/v1/me", "Bearer abc", "", 401, []string{"malformed"}, nil},
			{"unknown token", "GET", "/api/v1/me", "Bearer rmp_" + strings.Repeat("0", 48), "", 401, []string{"not known"}, nil},
			{"expired token", "GET", "/api/v1/me", "Bearer " + expiring, "", 401, []string{"expired on"}, nil},
			{"revoked token", "GET", "/api/v1/me", "Bearer " + revoked, "", 401, []string{"was revoked on"}, nil},
			{"disabled user", "GET", "/api/v1/me", "Bearer " + ofDisabled, "", 401, []string{"disabled"}, nil},
			{"bad credential on a public route", "GET", "/signin", "Bearer nonsense", "", 401, []string{"malformed"}, nil},
			{"read token cannot write", "POST", "/api/v1/tokens", "Bearer " + read, `{"name":"x","scopes":["read"]}`, 403, []string{"lacks the admin scope"}, nil},
			{"write token cannot mint tokens", "POST", "/api/v1/tokens", "Bearer " + write, `{"name":"x","scopes":["read"]}`, 403, []string{"admin scope"}, nil},
			{"read token cannot revoke", "DELETE", "/api/v1/tokens/x", "Bearer " + read, "", 403, []string{"lacks the write scope"}, nil},
			{"write token reads", "GET", "/api/v1/tokens", "Bearer " + write, "", 200, []string{`"tokens"`}, []string{"secret", "rmp_"}},
			{"revoke someone else's token", "DELETE", "/api/v1/tokens/nope", "Bearer " + write, "", 404, []string{"no active token"}, nil},
			{"audit for analyst", "GET", "/api/v1/audit", "Bearer " + read, "", 403, nil, nil},
		}
		for _, tc := range cases {
			status, body := e.api(tc.method, tc.path, tc.auth, tc.body)
			check(t, tc.name, status, body, tc.status, tc.must, tc.mustNot)
			if status == 401 && !strings.Contains(body, `"code":"unauthenticated"`) {
				t.Errorf("%s: 401 without problem details: %s", tc.name, body)
			}
		}
	})
}

func TestTokenAPI(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		admin := e.token(e.stateAdmin, 0, "admin", "write")
		status, body := e.api("POST", "/api/v1/tokens", "Bearer "+admin, `{"name":"feed","scopes":["read"],"expires_in_days":30}`)
		check(t, "create", status, body, 201, []string{`"secret":"rmp_`, `"name":"feed"`}, nil)
		var created struct {
			Token struct {
				ID        string    `json:"id"`
				ExpiresAt time.Time `json:"expires_at"`
			} `json:"token"`
			Secret string `json:"secret"`
		}
		if err := json.Unmarshal([]byte(body), &created); err != nil {
			t.Fatal(err)
		}
		if d := time.Until(created.Token.ExpiresAt); d < 29*24*time.Hour || d > 31*24*time.Hour {
			t.Errorf("expires in %s, want 30 days", d)
		}
		status, body = e.api("GET", "/api/v1/me", "Bearer "+created.Secret, "")
		check(t, "new token works", status, body, 200, []string{e.stateAdmin.Email}, nil)

		for _, bad := range []struct{ body, must string }{
			{`{"name":"","scopes":["read"]}`, "needs a name"},
			{`{"name":"x","scopes":["root"]}`, "Unknown scope"},
			{`{"name":"x","scopes":[]}`, "at least one scope"},
			{`{"name":"x","scopes":["read"],"expires_in_days":-1}`, "lifetime"},
			{`{"name":"x","scopes":["read"],"extra":1}`, "unknown field"},
		} {
			status, body := e.api("POST", "/api/v1/tokens", "Bearer "+admin, bad.body)
			check(t, bad.body, status, body, 400, []string{bad.must}, nil)
		}

		status, body = e.api("DELETE", "/api/v1/tokens/"+created.Token.ID, "Bearer "+admin, "")
		check(t, "revoke", status, body, 204, nil, nil)
		status, body = e.api("GET", "/api/v1/me", "Bearer "+created.Secret, "")
		check(t, "revoked token", status, body, 401, []string{"revoked"}, nil)

		// Each write made with a token is in the audit log, once.
		list, _, err := audit.List(context.Background(), d.Reader(), audit.Filter{Action: "token.used_for_write", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 7 { // 1 create + 5 bad creates + 1 revoke
			t.Errorf("token.used_for_write entries: %d, want 7", len(list))
		}
		for _, en := range list {
			if en.ActorUserID != e.stateAdmin.ID || en.Detail["method"] == nil {
				t.Errorf("entry %+v", en)
			}
		}
	})
}

func TestMeForASession(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		b := e.browser().signIn(e.countyViewer.Email)
		status, body, _ := b.do("GET", "/api/v1/me", nil, nil)
		check(t, "me", status, body, 200, []string{`"scopes":["read","write","admin"]`, "Examplia election officials", `"kind":"local"`}, []string{`"token"`})
	})
}
