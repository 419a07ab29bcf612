package notify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rampart-project/rampart/internal/browsertest"
	"github.com/rampart-project/rampart/internal/notify"
)

// TestInventoryInABrowser: a county admin adds an entry with the
// keyboard, uploads a CSV file with one bad line and sees its number and
// reason while the good line is kept, and removes an entry.
func TestInventoryInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	s := startSite(t, "", "", "", notify.New(notify.Options{}))

	b := signIn(t, ctx, s.base, "/inventory", county, "#inv-value")
	b.checkPage("inventory", "AMBER+STRICT")
	if got := b.eval(`document.getElementById('inventory-visibility').textContent`); !strings.Contains(got, "Visible to your organization and to coordinators") {
		t.Errorf("visibility statement %q", got)
	}
	b.do("add a domain with the keyboard",
		chromedp.Focus(chromedp.ID("inv-kind")), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown), // cidr to domain
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("parks.ashford.example"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("inventory-notice")))
	if got := b.eval(`document.getElementById('inventory-entries').textContent`); !strings.Contains(got, "parks.ashford.example") {
		t.Fatalf("the new entry is not in the table: %s", got)
	}
	if got := b.eval(`document.querySelector('[data-kind=domain]').textContent`); got != "2" {
		t.Errorf("domains counted %q, want 2", got)
	}

	file := filepath.Join(t.TempDir(), "county.csv")
	must(t, os.WriteFile(file, []byte("kind,value,version\ndomain,pool.ashford.example\ncidr,198.51.100.999/24\n"), 0o600))
	b.do("upload a CSV with one bad line",
		chromedp.SetUploadFiles(chromedp.ID("inv-file"), []string{file}),
		chromedp.Focus(chromedp.ID("inv-upload")), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("inventory-report")))
	if got := b.eval(`document.getElementById('inventory-report-heading').textContent`); !strings.Contains(got, "lines accepted: 1, rejected: 1") {
		t.Errorf("report heading %q", got)
	}
	if got := b.eval(`document.querySelector('#inventory-rejected tbody tr').textContent`); !strings.Contains(got, "3") || !strings.Contains(got, "198.51.100.999/24") {
		t.Errorf("rejected line %q, want line 3 and the bad network", got)
	}
	if got := b.eval(`document.getElementById('inventory-entries').textContent`); !strings.Contains(got, "pool.ashford.example") {
		t.Errorf("the good line was not kept: %s", got)
	}
	b.checkPage("upload report", "AMBER+STRICT")
	browsertest.Screenshot(t, b.ctx, "notify-inventory.png")

	row := `[...document.querySelectorAll('#inventory-entries tbody tr')].find(tr => tr.textContent.includes('parks.ashford.example'))`
	button := b.eval(row + `.querySelector('button').id`)
	if name := b.eval(row + `.querySelector('button').textContent`); !strings.Contains(name, "parks.ashford.example") {
		t.Errorf("the remove button is named %q; it must say which entry", name)
	}
	b.do("remove with the keyboard", chromedp.Focus(chromedp.ID(button)), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("inventory-notice")))
	if got := b.eval(`document.getElementById('inventory-notice').textContent`); !strings.Contains(got, "removed") {
		t.Errorf("notice after removing: %q", got)
	}
	if got := b.eval(`document.getElementById('inventory-entries').textContent`); strings.Contains(got, "parks.ashford.example") {
		t.Errorf("the removed entry is still listed")
	}
	b.checkPage("after removing", "AMBER+STRICT")
}
