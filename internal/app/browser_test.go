package app_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/browsertest"
	"github.com/rampart-project/rampart/internal/config"
)

// startApp runs a server on an ephemeral port until the test ends.
func startApp(t *testing.T, change func(*config.Config)) string {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	if change != nil {
		change(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg, app.Options{Logger: logger, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + a.Addr().String()
}

// page runs browser actions one after another and fails the test on the
// first error.
type page struct {
	t   *testing.T
	ctx context.Context
}

func (p page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatal(err)
	}
}

func (p page) text(css string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		p.t.Fatalf("text of %s: %v", css, err)
	}
	return s
}

func evaluate[T any](p page, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func TestHomePageInABrowser(t *testing.T) {
	base := startApp(t, func(c *config.Config) { c.InstanceName = "State watch floor"; c.Demo = true })
	p := page{t, browsertest.New(t)}

	p.do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	title, err := chromedp.Run(p.ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what, got, want string
	}{
		{"title", title, "Home · State watch floor"},
		{"heading", p.text("main h1"), "Home"},
		{"TLP label", p.text(".page-head .tlp"), "TLP:CLEAR"},
		{"demo banner", p.text(".demo-banner"), "Demo instance"},
		{"health", p.text(".status"), "every part answers"},
	}
	// Keyboard: the first Tab reaches the skip link, Enter moves focus to
	// the main content.
	p.do(chromedp.KeyEvent(kb.Tab))
	checks = append(checks, struct{ what, got, want string }{"first Tab", evaluate[string](p, `document.activeElement.className`), "skip-link"})
	p.do(chromedp.KeyEvent(kb.Enter), chromedp.Sleep(100*time.Millisecond))
	checks = append(checks, struct{ what, got, want string }{"after skip", evaluate[string](p, `document.activeElement.id`), "main"})
	for _, c := range checks {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("%s = %q, want it to contain %q", c.what, c.got, c.want)
		}
	}
	if n := evaluate[int](p, `document.scripts.length`); n != 0 {
		t.Errorf("the page loads %d scripts; it must read without JavaScript", n)
	}
	links := evaluate[int](p, `document.querySelectorAll("nav.modules a").length`)
	planned := evaluate[int](p, `document.querySelectorAll("nav.modules .planned").length`)
	if links != 1 || planned != 9 {
		t.Errorf("navigation has %d links and %d planned modules, want 1 and 9", links, planned)
	}
	browsertest.Screenshot(t, p.ctx, "home.png")
}

func TestErrorPageInABrowser(t *testing.T) {
	base := startApp(t, nil)
	p := page{t, browsertest.New(t)}
	p.do(chromedp.Navigate(base+"/no/such/page"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	h1, detail, tlp := p.text("main h1"), p.text("#problem-detail"), p.text(".page-head .tlp")
	if h1 != "Not Found" || !strings.Contains(detail, "/no/such/page") || !strings.Contains(tlp, "TLP:CLEAR") {
		t.Fatalf("error page: h1 %q, detail %q, tlp %q", h1, detail, tlp)
	}
}
