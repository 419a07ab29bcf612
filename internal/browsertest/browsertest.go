// Package browsertest starts headless Chromium for the UI tests, with
// chromedp and Debian's chromium. RAMPART_TEST_CHROMIUM names the binary
// and makes its absence a failure (CI sets it, so a broken install step
// cannot hide behind a skip); without it a test runs if chromium is on
// PATH and skips otherwise. RAMPART_TEST_SCREENSHOTS names a folder where
// tests leave screenshots for a person to look at.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// New returns a browser context that lives until the test ends.
func New(t testing.TB) context.Context {
	t.Helper()
	path := os.Getenv("RAMPART_TEST_CHROMIUM")
	if path == "" {
		found, err := exec.LookPath("chromium")
		if err != nil {
			t.Skip("chromium is not installed; set RAMPART_TEST_CHROMIUM to require it")
		}
		path = found
	} else if _, err := os.Stat(path); err != nil {
		t.Fatalf("RAMPART_TEST_CHROMIUM=%s: %v", path, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		// The machine has no network beyond localhost; these keep Chromium
		// from trying.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// Screenshot saves a full-page PNG as name in RAMPART_TEST_SCREENSHOTS, if
// that is set.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("RAMPART_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Log(err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Log(err)
	}
}
