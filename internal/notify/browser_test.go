package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rampart-project/rampart/internal/browsertest"
	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/internal/notify"
)

// tab drives one browser tab and fails the test on the first error.
type tab struct {
	t   *testing.T
	ctx context.Context
}

func (b tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b tab) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return s
}

// signIn opens path as email in a browser context of its own (its own
// cookies), signing in with the keyboard on the way.
func signIn(t *testing.T, parent context.Context, base, path, email, ready string) tab {
	t.Helper()
	// A new browser context needs the browser started first.
	if err := chromedp.Do(parent); err != nil {
		t.Fatalf("start the browser: %v", err)
	}
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := tab{t, ctx}
	b.do("open "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.ID("email")))
	b.do("sign in as "+email+" with the keyboard",
		chromedp.KeyEvent(email), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(demo.Password), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(ready)))
	return b
}

// checkPage asserts what every notifications page owes its reader: one
// h1, the TLP of what it shows in the page head, and a name for every
// control.
func (b tab) checkPage(what, wantTLP string) {
	b.t.Helper()
	if n := b.eval(`String(document.querySelectorAll('h1').length)`); n != "1" {
		b.t.Errorf("%s: %s h1 elements, want 1", what, n)
	}
	if got := b.eval(`(document.querySelector('.page-head .tlp')||{}).textContent||''`); !strings.Contains(got, "TLP:"+wantTLP) {
		b.t.Errorf("%s: page TLP %q, want TLP:%s", what, got, wantTLP)
	}
	unnamed := b.eval(`[...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea, main button')]
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby') && !e.textContent.trim())
		.map(e => e.id || e.name).join(' ')`)
	if unnamed != "" {
		b.t.Errorf("%s: controls without an accessible name: %s", what, unnamed)
	}
	if n := b.eval(`String(document.scripts.length)`); n != "0" {
		b.t.Errorf("%s loads %s scripts; it must work without JavaScript", what, n)
	}
}

// TestNoticeInABrowser: a coordinator composes a notice with the keyboard,
// previews it, sees how many organizations it reaches and its TLP, sends
// it; a county admin finds it in the inbox, with what happened and what
// to do, and acknowledges it.
func TestNoticeInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	s := startSite(t, "", "", "", notify.New(notify.Options{}))
	meridian := s.orgID("State of Meridian")
	const title = "Phishing wave against county payroll"

	c := signIn(t, ctx, s.base, "/notifications/notices", coordinator, "#nn-title")
	c.checkPage("notices page", "")
	c.do("compose with the keyboard",
		chromedp.Focus(chromedp.ID("nn-title")), chromedp.KeyEvent(title),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("Payroll staff in three counties received fake direct-deposit forms."),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("Warn payroll staff; block the sender domain."),
		chromedp.KeyEvent(kb.Tab),                                // severity: high by default
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.ArrowUp), // TLP: AMBER to GREEN
		chromedp.Focus(chromedp.CSS(`input[name=kinds][value=local]`)), chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.CSS(`input[name=parents][value="`+meridian+`"]`)), chromedp.KeyEvent(" "),
	)
	if v := c.eval(`document.getElementById('nn-tlp').value`); v != "GREEN" {
		t.Fatalf("TLP after the arrow key: %q", v)
	}
	if got := c.eval(`document.activeElement.closest('label').textContent.trim()`); got != "State of Meridian" {
		t.Errorf("the parent checkbox is named %q", got)
	}
	c.do("preview", chromedp.Focus(chromedp.CSS(`button[value=preview]`)), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("notice-preview")))
	if n := c.eval(`document.getElementById('notice-count').textContent`); n != "5" {
		t.Errorf("preview count %q, want 5 (four counties and the city)", n)
	}
	send := c.eval(`document.querySelector('button[value=send]').textContent`)
	if !strings.Contains(send, "TLP:GREEN") || !strings.Contains(send, "5 organizations") {
		t.Errorf("send button %q", send)
	}
	if v := c.eval(`document.getElementById('nn-title').value`); v != title {
		t.Errorf("the preview lost the title: %q", v)
	}
	c.checkPage("preview", "GREEN")
	browsertest.Screenshot(t, c.ctx, "notify-notice-preview.png")
	c.do("send", chromedp.Focus(chromedp.CSS(`button[value=send]`)), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`main p.card[role=status]`)))
	if row := c.eval(`document.querySelector('main table tbody tr').textContent`); !strings.Contains(row, title) || !strings.Contains(row, "TLP:GREEN") {
		t.Errorf("first sent row %q", row)
	}
	c.checkPage("after sending", "GREEN")

	u := signIn(t, ctx, s.base, "/notifications", county, "#nf-state")
	find := `[...document.querySelectorAll('li.notice')].find(li => li.textContent.includes(` + "`" + title + "`" + `))`
	deadline := time.Now().Add(15 * time.Second)
	for u.eval(`String(!!`+find+`)`) != "true" {
		if time.Now().After(deadline) {
			t.Fatal("the notice never reached the county's inbox")
		}
		time.Sleep(200 * time.Millisecond)
		u.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("nf-state")))
	}
	item := u.eval(find + `.textContent`)
	for _, want := range []string{"TLP:GREEN", "fake direct-deposit forms", "block the sender domain", `kind "local"`} {
		if !strings.Contains(item, want) {
			t.Errorf("inbox item lacks %q: %s", want, item)
		}
	}
	u.checkPage("inbox", "GREEN")
	note := u.eval(find + `.querySelector('input[name=note]').id`)
	if name := u.eval(find + `.querySelector('button').textContent`); !strings.Contains(name, title) {
		t.Errorf("the acknowledge button is named %q; the list has one per notification, so its name says which", name)
	}
	browsertest.Screenshot(t, u.ctx, "notify-inbox.png")
	u.do("acknowledge with the keyboard", chromedp.Focus(chromedp.ID(note)), chromedp.KeyEvent("staff warned"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("acknowledged")))
	if got := u.eval(`document.getElementById('acknowledged').textContent`); !strings.Contains(got, "Acknowledged by admin@ashford.example") {
		t.Errorf("acknowledgement line %q", got)
	}
	if got := u.eval(`document.querySelector('main').textContent`); !strings.Contains(got, "staff warned") || !strings.Contains(got, "What to do") {
		t.Errorf("detail page after acknowledging: %s", got)
	}
	u.checkPage("notification", "GREEN")
}

// TestSettingsInABrowser: an analyst changes how they are told and finds
// the change after a reload; the org admin sets escalation, and a bad
// duration is named.
func TestSettingsInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	s := startSite(t, "", "", "", notify.New(notify.Options{}))

	a := signIn(t, ctx, s.base, "/notifications/settings", "analyst@ashford.example", "#ns-email")
	a.checkPage("settings", "CLEAR")
	if n := a.eval(`String(document.querySelectorAll('#ns-enabled').length)`); n != "0" {
		t.Errorf("an analyst is offered the escalation form")
	}
	a.do("change the preference with the keyboard",
		chromedp.Focus(chromedp.ID("ns-email")), chromedp.KeyEvent(" "), // off
		chromedp.Focus(chromedp.ID("ns-min")), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown), // low to high
		chromedp.Focus(chromedp.CSS(`input[name=mode][value=immediate]`)), chromedp.KeyEvent(kb.ArrowRight), // to digest
		chromedp.Focus(chromedp.ID("ns-save-pref")), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("settings-saved")))
	a.do("reload", chromedp.Navigate(s.base+"/notifications/settings"), chromedp.WaitVisible(chromedp.ID("ns-email")))
	got := a.eval(`[document.getElementById('ns-email').checked, document.getElementById('ns-min').value,
		document.querySelector('input[name=mode]:checked').value].join(' ')`)
	if got != "false high digest" {
		t.Errorf("after a reload: e-mail, severity, mode = %q, want false high digest", got)
	}
	browsertest.Screenshot(t, a.ctx, "notify-settings.png")

	o := signIn(t, ctx, s.base, "/notifications/settings", county, "#ns-enabled")
	if on := o.eval(`String(document.getElementById('ns-enabled').checked)`); on != "true" {
		t.Errorf("escalation is off before anyone set it: the instance default is on")
	}
	o.do("set escalation with the keyboard",
		chromedp.Focus(chromedp.ID("ns-after")), chromedp.Evaluate[chromedp.Void](`document.getElementById('ns-after').select()`),
		chromedp.KeyEvent("5s"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("settings-error")))
	if msg := o.eval(`document.getElementById('settings-error').textContent`); !strings.Contains(msg, "after") {
		t.Errorf("a five-second escalation: %q", msg)
	}
	o.checkPage("settings with an error", "CLEAR")
	o.do("fix the duration",
		chromedp.Focus(chromedp.ID("ns-after")), chromedp.Evaluate[chromedp.Void](`document.getElementById('ns-after').select()`),
		chromedp.KeyEvent("45m"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("settings-saved")))
	o.do("reload", chromedp.Navigate(s.base+"/notifications/settings"), chromedp.WaitVisible(chromedp.ID("ns-enabled")))
	if got := o.eval(`document.getElementById('ns-enabled').checked + ' ' + document.getElementById('ns-after').value`); got != "true 45m0s" {
		t.Errorf("escalation after a reload = %q, want true 45m0s", got)
	}
	o.do("turn escalation off",
		chromedp.Focus(chromedp.ID("ns-enabled")), chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.ID("ns-save-esc")), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("settings-saved")))
	o.do("reload", chromedp.Navigate(s.base+"/notifications/settings"), chromedp.WaitVisible(chromedp.ID("ns-enabled")))
	if got := o.eval(`document.getElementById('ns-enabled').checked + ' ' + document.getElementById('ns-after').value`); got != "false 45m0s" {
		t.Errorf("escalation turned off, after a reload = %q, want false 45m0s", got)
	}
	// The admin's own preference is untouched by the analyst's.
	if got := o.eval(`String(document.getElementById('ns-email').checked)`); got != "true" {
		t.Errorf("the admin's e-mail preference = %s", got)
	}
}
