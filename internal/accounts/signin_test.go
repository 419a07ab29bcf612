package accounts_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
)

const wrongAnswer = "The e-mail or password is wrong."

func TestSignIn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		b := e.browser()
		status, body := b.get("/signin")
		check(t, "sign-in page", status, body, 200, []string{`action="/signin"`, `name="csrf_token"`, "TLP:CLEAR", `autocomplete="current-password"`, "Sign in</a>"}, []string{"single sign-on", "style="})

		cases := []struct {
			name, email, password, next string
			status                      int
			location                    string
			must                        []string
		}{
			{"wrong password", e.stateAnalyst.Email, "not the password at all", "", 401, "", []string{wrongAnswer}},
			{"unknown e-mail", "nobody@examplia.example", password, "", 401, "", []string{wrongAnswer}},
			{"empty", "", "", "", 400, "", []string{"Enter your e-mail address and your password."}},
			{"no password", e.stateAnalyst.Email, "", "", 400, "", []string{"Enter your e-mail"}},
			{"open redirect refused", e.stateAnalyst.Email, password, "//evil.example/phish", 303, "/", nil},
			{"scheme redirect refused", e.stateAnalyst.Email, password, "https://evil.example/", 303, "/", nil},
			{"backslash redirect refused", e.stateAnalyst.Email, password, "/\\evil.example", 303, "/", nil},
			{"local next kept", e.stateAnalyst.Email, password, "/communities?x=1", 303, "/communities?x=1", nil},
			{"e-mail case ignored", strings.ToUpper(e.stateAnalyst.Email), password, "", 303, "/", nil},
		}
		for _, tc := range cases {
			b := e.browser()
			b.get("/signin")
			status, body, res := b.post("/signin", url.Values{"email": {tc.email}, "password": {tc.password}, "next": {tc.next}})
			var mustNot []string
			if tc.password != "" {
				mustNot = []string{tc.password + "<", `value="` + tc.password}
			}
			check(t, tc.name, status, body, tc.status, tc.must, mustNot)
			if tc.location != "" && res.Header.Get("Location") != tc.location {
				t.Errorf("%s: Location %q, want %q", tc.name, res.Header.Get("Location"), tc.location)
			}
			if status == 303 {
				var sc *http.Cookie
				for _, c := range res.Cookies() {
					if c.Name == "rampart_session" {
						sc = c
					}
				}
				if sc == nil || !sc.HttpOnly || !sc.Secure || sc.SameSite != http.SameSiteLaxMode || len(sc.Value) != 64 {
					t.Errorf("%s: session cookie %+v; want HttpOnly, Secure, SameSite=Lax", tc.name, sc)
				}
			}
		}

		// The header shows who is signed in, and a sign-out button.
		b = e.browser().signIn(e.stateAnalyst.Email)
		status, body = b.get("/account")
		check(t, "account page", status, body, 200, []string{e.stateAnalyst.Name, "State of Examplia", `action="/signout"`, "TLP:AMBER&#43;STRICT", "analyst"}, []string{`class="signin-link"`})

		// Sessions store only the secret's hash.
		var n int
		if err := d.Reader().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM sessions WHERE id_hash = csrf_token`).Scan(&n); err != nil || n != 0 {
			t.Errorf("sessions: %d, %v", n, err)
		}
		actions := e.auditActions()
		if !slices.Contains(actions, "user.signin") || !slices.Contains(actions, "user.signin_failed") {
			t.Errorf("audit actions %v lack sign-ins", actions)
		}
	})
}

func TestLockout(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		b := e.browser()
		b.get("/signin")
		try := func(pw string) (int, string, *http.Response) {
			return b.post("/signin", url.Values{"email": {e.countyViewer.Email}, "password": {pw}})
		}
		// Four failures, then success, resets the count.
		for range 4 {
			if s, body, _ := try("wrong password here"); s != 401 {
				t.Fatalf("failure: %d %s", s, body)
			}
		}
		if s, _, _ := try(password); s != 303 {
			t.Fatalf("success after 4 failures: %d", s)
		}
		b = e.browser()
		b.get("/signin")
		for i := 1; i <= 4; i++ {
			if s, _, _ := try("wrong password here"); s != 401 {
				t.Fatalf("failure %d after reset: %d", i, s)
			}
		}
		status, body, res := try("wrong password here")
		check(t, "fifth failure", status, body, 429, []string{"locked until", "UTC"}, nil)
		if ra := res.Header.Get("Retry-After"); ra == "" {
			t.Error("no Retry-After on lockout")
		}
		status, body, _ = try(password)
		check(t, "right password while locked", status, body, 429, []string{"locked until"}, nil)
		e.clock.Advance(16 * time.Minute)
		if s, body, _ := try(password); s != 303 {
			t.Fatalf("after the lock: %d %s", s, body)
		}
	})
}

func TestSignInRateLimit(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{signInBurst: 5})
		b := e.browser()
		b.get("/signin")
		for i := 1; i <= 5; i++ {
			if s, _, _ := b.post("/signin", url.Values{"email": {"x" + string(rune('a'+i)) + "@nowhere.example"}, "password": {"whatever"}}); s != 401 {
				t.Fatalf("attempt %d: %d", i, s)
			}
		}
		status, body, res := b.post("/signin", url.Values{"email": {e.stateAnalyst.Email}, "password": {password}})
		check(t, "sixth attempt", status, body, 429, []string{"Too many sign-in attempts"}, nil)
		if res.Header.Get("Retry-After") != "6" {
			t.Errorf("Retry-After %q, want 6", res.Header.Get("Retry-After"))
		}
		e.clock.Advance(6 * time.Second)
		if s, _, _ := b.post("/signin", url.Values{"email": {e.stateAnalyst.Email}, "password": {password}}); s != 303 {
			t.Errorf("after waiting: %d", s)
		}
	})
}

func TestCSRF(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		b := e.browser().signIn(e.stateAnalyst.Email)
		form := func(token string) url.Values {
			return url.Values{"name": {"ci"}, "scopes": {"read"}, "expires": {"30"}, "csrf_token": {token}}
		}
		cases := []struct {
			name   string
			form   url.Values
			header http.Header
			status int
			must   string
		}{
			{"missing token", url.Values{"name": {"ci"}, "scopes": {"read"}, "expires": {"30"}}, nil, 403, "no CSRF token"},
			{"wrong token", form(strings.Repeat("ab", 32)), nil, 403, "does not match"},
			{"cross-origin", form(b.csrf), http.Header{"Origin": {"https://evil.example"}}, 403, "another site"},
			{"cross-site referer", form(b.csrf), http.Header{"Referer": {"https://evil.example/page"}}, 403, "another site"},
			{"null origin", form(b.csrf), http.Header{"Origin": {"null"}}, 403, "another site"},
			{"same origin", form(b.csrf), http.Header{"Origin": {e.url}}, 201, "rmp_"},
			{"header token", url.Values{"name": {"ci2"}, "scopes": {"read"}, "expires": {"30"}}, http.Header{"X-Csrf-Token": {b.csrf}}, 201, "rmp_"},
		}
		for _, tc := range cases {
			status, body, _ := b.do("POST", "/account/tokens", tc.form, tc.header)
			check(t, tc.name, status, body, tc.status, []string{tc.must}, nil)
		}

		// Sign-out is a POST with the token too.
		status, body, _ := b.do("POST", "/signout", url.Values{}, nil)
		check(t, "sign-out without token", status, body, 403, nil, nil)

		// The sign-in form needs the pre-session cookie's token.
		anon := e.browser()
		status, body, _ = anon.do("POST", "/signin", url.Values{"email": {e.stateAnalyst.Email}, "password": {password}}, nil)
		check(t, "sign-in without the form's cookie", status, body, 403, []string{"cookie"}, nil)
		anon.get("/signin")
		status, body, _ = anon.do("POST", "/signin", url.Values{"email": {e.stateAnalyst.Email}, "password": {password}, "csrf_token": {strings.Repeat("0", 64)}}, nil)
		check(t, "sign-in with a forged token", status, body, 403, nil, nil)
		status, body, _ = anon.do("POST", "/signin", url.Values{"email": {e.stateAnalyst.Email}, "password": {password}, "csrf_token": {anon.csrf}}, http.Header{"Origin": {"https://evil.example"}})
		check(t, "sign-in from another site", status, body, 403, nil, nil)

		// A token-authenticated write needs no CSRF token.
		tok := e.token(e.stateAnalyst, 0, "read", "write", "admin")
		status, body = e.api("POST", "/api/v1/tokens", "Bearer "+tok, `{"name":"from a script","scopes":["read"]}`)
		check(t, "token write", status, body, 201, []string{`"secret":"rmp_`}, nil)
	})
}

func TestSessionLifetime(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})

		// Idle: 12 hours without a request ends the session.
		b := e.browser().signIn(e.stateAnalyst.Email)
		e.clock.Advance(11 * time.Hour)
		if s, _ := b.get("/account"); s != 200 {
			t.Fatalf("after 11 h: %d", s)
		}
		e.clock.Advance(12*time.Hour + time.Minute)
		s, _, res := b.do("GET", "/account", nil, nil)
		if s != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/signin?next=%2Faccount") {
			t.Fatalf("after 12 h idle: %d %s", s, res.Header.Get("Location"))
		}

		// Absolute: a session in daily use still ends after 7 days.
		b = e.browser().signIn(e.stateAnalyst.Email)
		for elapsed := time.Duration(0); elapsed < 7*24*time.Hour-11*time.Hour; elapsed += 11 * time.Hour {
			e.clock.Advance(11 * time.Hour)
			if s, _ := b.get("/account"); s != 200 {
				t.Fatalf("after %s: %d", elapsed+11*time.Hour, s)
			}
		}
		e.clock.Advance(11 * time.Hour)
		if s, _ := b.get("/account"); s != 303 {
			t.Fatalf("after 7 days: %d", s)
		}

		// Sign-out deletes the session; the old cookie is worthless.
		b = e.browser().signIn(e.stateAnalyst.Email)
		u, _ := url.Parse(e.url)
		old := b.c.Jar.Cookies(u)
		if s, _, _ := b.post("/signout", nil); s != 303 {
			t.Fatalf("sign out: %d", s)
		}
		if s, _ := b.get("/account"); s != 303 {
			t.Fatalf("after sign-out: %d", s)
		}
		replay := e.browser()
		replay.c.Jar.SetCookies(u, old)
		if s, _ := replay.get("/account"); s != 303 {
			t.Fatalf("replayed cookie after sign-out: %d", s)
		}
	})
}

func TestPasswordChange(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		a := e.browser().signIn(e.stateAdmin.Email)
		other := e.browser().signIn(e.stateAdmin.Email)
		u, _ := url.Parse(e.url)
		oldCookies := a.c.Jar.Cookies(u)

		const newPassword = "a much longer passphrase today"
		cases := []struct {
			name            string
			current, nw, re string
			status          int
			must            string
		}{
			{"wrong current", "not my password", newPassword, newPassword, 401, "current password is wrong"},
			{"weak", password, "short", "short", 400, "too short"},
			{"mismatch", password, newPassword, newPassword + "x", 400, "differ"},
		}
		for _, tc := range cases {
			status, body, _ := a.post("/account/password", url.Values{"current_password": {tc.current}, "new_password": {tc.nw}, "new_password_again": {tc.re}})
			check(t, tc.name, status, body, tc.status, []string{tc.must}, nil)
		}
		status, body, _ := a.post("/account/password", url.Values{"current_password": {password}, "new_password": {newPassword}, "new_password_again": {newPassword}})
		check(t, "change", status, body, 303, nil, nil)
		if s, body := a.get("/account?password=changed"); s != 200 || !strings.Contains(body, "Your password is changed") {
			t.Fatalf("this browser after change: %d", s)
		}
		if s, _ := other.get("/account"); s != 303 {
			t.Errorf("other browser after change: %d, want signed out", s)
		}
		replay := e.browser()
		replay.c.Jar.SetCookies(u, oldCookies)
		if s, _ := replay.get("/account"); s != 303 {
			t.Errorf("the session before the change still works: %d (no rotation)", s)
		}
		// The new password signs in; the old one does not.
		n := e.browser()
		n.get("/signin")
		if s, _, _ := n.post("/signin", url.Values{"email": {e.stateAdmin.Email}, "password": {password}}); s != 401 {
			t.Errorf("old password: %d", s)
		}
		if s, _, _ := n.post("/signin", url.Values{"email": {e.stateAdmin.Email}, "password": {newPassword}}); s != 303 {
			t.Errorf("new password: %d", s)
		}
		if !slices.Contains(e.auditActions(), "user.password_changed") {
			t.Error("password change not audited")
		}
	})
}
