package accounts_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rampart-project/rampart/internal/accounts"
	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/browsertest"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

// TestSignInAndUseATokenInABrowser is the "done when": a person
// signs in with the keyboard, creates an API token on the account page,
// and a program uses it against the API, as Bearer and as Basic.
func TestSignInAndUseATokenInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	// The demo world, as `rampart serve --demo` creates it; the person is
	// one of the sign-ins it prints.
	cfg := config.Default()
	cfg.DataDir, cfg.Addr, cfg.Demo = t.TempDir(), "127.0.0.1:0", true
	a, err := app.New(context.Background(), cfg, app.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test",
		Modules: []app.Module{accounts.New(), &demo.Module{Out: io.Discard}},
	})
	if err != nil {
		t.Fatal(err)
	}
	password := demo.Password
	u := struct{ Email, Name string }{"analyst@ashford-elections.example", "Analyst, Ashford County Elections Office"}
	org := struct{ Name string }{"Ashford County Elections Office"}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	base := "http://" + a.Addr().String()

	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	get := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}

	// Asking for the account page leads to the sign-in form; the e-mail
	// field has the focus, so the keyboard does the rest.
	do("open the account page", chromedp.Navigate(base+"/account"), chromedp.WaitVisible(chromedp.ID("email")))
	focused := get("focus", chromedp.Evaluate[string](`document.activeElement.id`))
	location := get("location", chromedp.Location())
	if focused != "email" || !strings.Contains(location, "/signin?next=%2Faccount") {
		t.Fatalf("focus on %q at %s; want the e-mail field of the sign-in page", focused, location)
	}
	do("sign in with the keyboard",
		chromedp.KeyEvent(u.Email),
		chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent(password),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("tokens-heading")),
	)

	// Chromium accepted the Secure session cookie over http://127.0.0.1.
	got, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	var session *network.Cookie
	for _, c := range got.Cookies {
		if c.Name == identity.SessionCookie {
			session = c
		}
	}
	if session == nil || !session.Secure || !session.HTTPOnly || session.SameSite != network.CookieSameSiteLax {
		t.Fatalf("session cookie %+v: want Secure, HttpOnly, SameSite=Lax", session)
	}

	// Create a token: type a name, tab to the write scope and tick it
	// with the space bar, submit with Enter.
	do("create a token",
		chromedp.Focus(chromedp.ID("token-name")),
		chromedp.KeyEvent("CI laptop"),
		chromedp.KeyEvent(kb.Tab), // read, ticked by default
		chromedp.KeyEvent(kb.Tab), // write
		chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.ID("token-name")),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("new-token-secret")),
	)
	secret := strings.TrimSpace(get("secret", chromedp.Text(chromedp.ID("new-token-secret"))))
	header := get("header", chromedp.Text(chromedp.CSS(".account-bar .who")))
	if !strings.HasPrefix(secret, "rmp_") || header != u.Name {
		t.Fatalf("secret %q, header %q", secret, header)
	}
	scripts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scripts.length`))
	if err != nil || scripts != 0 {
		t.Errorf("the account page loads %d scripts (%v)", scripts, err)
	}
	browsertest.Screenshot(t, ctx, "account-token.png")

	// A program uses it.
	for _, auth := range []string{"Bearer " + secret, basic(u.Email, secret)} {
		req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
		req.Header.Set("Authorization", auth)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var me struct {
			User struct {
				Email string `json:"email"`
				Name  string `json:"name"`
			} `json:"user"`
			Organization struct {
				Name string `json:"name"`
			} `json:"organization"`
			Scopes []string `json:"scopes"`
		}
		err = json.NewDecoder(res.Body).Decode(&me)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %d %v", strings.Fields(auth)[0], res.StatusCode, err)
		}
		if me.User.Email != u.Email || me.User.Name != u.Name || me.Organization.Name != org.Name || strings.Join(me.Scopes, ",") != "read,write" {
			t.Errorf("%s: /api/v1/me = %+v", strings.Fields(auth)[0], me)
		}
	}
}
