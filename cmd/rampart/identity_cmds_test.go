package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestIdentityCommands drives org, user, token and community as an
// administrator would, on SQLite and (when configured) PostgreSQL.
func TestIdentityCommands(t *testing.T) {
	for name, extra := range backends(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			flags := append([]string{"--data", dir}, extra(t)...)
			do := func(stdin string, args ...string) (string, string, int) {
				t.Helper()
				return runWithStdin(t, stdin, append(args, flags...)...)
			}
			mustDo := func(args ...string) string {
				t.Helper()
				out, errOut, code := do("", args...)
				if code != 0 {
					t.Fatalf("%v: exit %d: %s", args, code, errOut)
				}
				return out
			}
			stateID := strings.TrimSpace(mustDo("org", "add", "Example State", "--kind", "state", "--state-fips", "06", "--sector", "government-facilities"))
			mustDo("org", "add", "Example County", "--kind", "local", "--parent", "Example State", "--county-fips", "037",
				"--contact", "Pat Lee <pat@county.example>; +1 555 0100; CISO", "--contact", "Sam Roe <sam@county.example>")

			var orgs []struct {
				ID       string `json:"id"`
				Name     string `json:"name"`
				ParentID string `json:"parent_id"`
			}
			if err := json.Unmarshal([]byte(mustDo("org", "list", "--json")), &orgs); err != nil || len(orgs) != 2 {
				t.Fatalf("org list --json: %v %v", err, orgs)
			}

			// Bad input: clear error, nothing stored.
			for _, bad := range []struct {
				args []string
				want string
			}{
				{[]string{"org", "add", "X", "--kind", "planet"}, `kind "planet" is unknown`},
				{[]string{"org", "add", "Example State", "--kind", "state"}, "already exists"},
				{[]string{"org", "add", "Y", "--kind", "local", "--parent", "Nowhere"}, `no organization "Nowhere"`},
				{[]string{"org", "add", "Z", "--kind", "local", "--sector", "mining"}, `Sector "mining" is unknown`},
				{[]string{"user", "add", "a@b.example", "--name", "A", "--org", "Nowhere"}, `no organization "Nowhere"`},
				{[]string{"user", "add", "not-an-email", "--name", "A", "--org", "Example County"}, "not an e-mail address"},
				{[]string{"user", "add", "a@b.example", "--name", "A", "--org", "Example County", "--roles", "king"}, `unknown role "king"`},
				{[]string{"token", "create", "--user", "nobody@b.example"}, `no user "nobody@b.example"`},
				{[]string{"token", "create", "--user", "pat@county.example", "--expires", "soon"}, "--expires"},
			} {
				_, errOut, code := do("", bad.args...)
				if code == 0 || !strings.Contains(errOut, bad.want) {
					t.Errorf("%v: exit %d, %q; want an error with %q", bad.args, code, errOut, bad.want)
				}
			}
			if _, errOut, code := do("short\n", "user", "add", "weak@county.example", "--name", "W", "--org", "Example County", "--password-stdin"); code == 0 || !strings.Contains(errOut, "too short") {
				t.Errorf("weak password accepted: %d %s", code, errOut)
			}
			if out := mustDo("org", "list"); strings.Count(out, "\n") != 3 {
				t.Errorf("a rejected command stored something:\n%s", out)
			}

			out := mustDo("user", "add", "pat@county.example", "--name", "Pat Lee", "--org", "Example County", "--roles", "analyst,org_admin")
			if !strings.Contains(out, "password: ") {
				t.Errorf("no generated password shown: %q", out)
			}
			if _, errOut, code := do("correct horse battery staple\n", "user", "add", "sam@county.example", "--name", "Sam Roe", "--org", stateID, "--password-stdin"); code != 0 {
				t.Fatalf("user add with stdin password: %s", errOut)
			}
			if out := mustDo("user", "list", "--org", "Example County"); !strings.Contains(out, "pat@county.example") || strings.Contains(out, "sam@county.example") {
				t.Errorf("user list --org:\n%s", out)
			}

			token := mustDo("token", "create", "--user", "pat@county.example", "--scopes", "read,write", "--name", "SIEM", "--expires", "90d")
			if lines := strings.Split(strings.TrimSpace(token), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "rmp_") {
				t.Fatalf("token create printed %q; want the token alone", token)
			}
			var tokens []struct{ ID, Name string }
			if err := json.Unmarshal([]byte(mustDo("token", "list", "--user", "pat@county.example", "--json")), &tokens); err != nil || len(tokens) != 1 {
				t.Fatalf("token list: %v %v", err, tokens)
			}
			if out := mustDo("token", "list", "--user", "pat@county.example"); strings.Contains(out, strings.TrimSpace(token)) {
				t.Error("token list shows the secret")
			}
			mustDo("token", "revoke", tokens[0].ID, "--user", "pat@county.example")
			if _, _, code := do("", "token", "revoke", tokens[0].ID, "--user", "pat@county.example"); code == 0 {
				t.Error("revoking twice succeeded")
			}

			mustDo("community", "add", "State SLTT", "--owner", "Example State", "--description", "SLTT entities of the state")
			mustDo("community", "join", "State SLTT", "Example County")
			mustDo("community", "join", "State SLTT", "Example County") // idempotent
			var cs []struct {
				Name    string
				Members []string
			}
			if err := json.Unmarshal([]byte(mustDo("community", "list", "--json")), &cs); err != nil || len(cs) != 2 || len(cs[1].Members) != 2 {
				t.Fatalf("community list: %v %+v", err, cs)
			}
			if _, errOut, code := do("", "community", "join", "all-members", "Example County"); code == 0 || !strings.Contains(errOut, "already in the all-members") {
				t.Errorf("joining all-members: %d %s", code, errOut)
			}

			// Every write above is in the audit log, and the chain holds.
			if out := mustDo("audit", "verify"); !strings.Contains(out, "audit log intact: 9 entries") {
				t.Errorf("audit verify: %s", out)
			}
		})
	}
}
