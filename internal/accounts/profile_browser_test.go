package accounts_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rampart-project/rampart/internal/accounts"
	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/browsertest"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

// TestEditTheProfileInABrowser: a county's administrator ticks a sector
// and mistypes the state code with the keyboard, reads the error next to
// the form with the ticked sector kept, corrects the code and saves.
func TestEditTheProfileInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	cfg := config.Default()
	cfg.DataDir, cfg.Addr, cfg.Demo = t.TempDir(), "127.0.0.1:0", true
	a, err := app.New(context.Background(), cfg, app.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test",
		Modules: []app.Module{accounts.New(), &demo.Module{Out: io.Discard}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	base := "http://" + a.Addr().String()
	d, err := app.OpenDB(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ids := identity.NewStore(d)
	org, err := ids.OrgByName(context.Background(), "Ashford County")
	if err != nil {
		t.Fatal(err)
	}

	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	healthcare := chromedp.CSS(`input[name="sectors"][value="healthcare-public-health"]`)
	do("sign in", chromedp.Navigate(base+"/orgs/"+org.ID), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.KeyEvent("admin@ashford.example"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(demo.Password), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("profile-form")))
	do("tick a sector and mistype the state",
		chromedp.Focus(healthcare), chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.ID("state-fips")), chromedp.KeyEvent(kb.End), chromedp.KeyEvent(kb.Backspace), chromedp.KeyEvent(kb.Backspace),
		chromedp.KeyEvent("5"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("profile-error")))
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("profile-error")))
	if err != nil || !strings.Contains(msg, "state_fips") {
		t.Fatalf("error %q (%v)", msg, err)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('input[name="sectors"][value="healthcare-public-health"]').checked && document.getElementById('state-fips').getAttribute('aria-invalid') === 'true'`))
	if err != nil || !kept {
		t.Fatalf("the submission was not kept or the field not marked (%v)", err)
	}
	browsertest.Screenshot(t, ctx, "org-profile-error.png")
	do("correct the state and save",
		chromedp.Focus(chromedp.ID("state-fips")), chromedp.KeyEvent(kb.End), chromedp.KeyEvent(kb.Backspace), chromedp.KeyEvent("52"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`p.status-ok`)))
	o, err := ids.Org(context.Background(), org.ID)
	if err != nil || !slices.Contains(o.Sectors, "healthcare-public-health") || o.StateFIPS != "52" || o.CountyFIPS != "001" {
		t.Fatalf("profile after saving: %+v %v", o, err)
	}
}
