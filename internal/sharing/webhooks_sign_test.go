package sharing_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/rampart-project/rampart/internal/sharing"
)

// The scheme as documented, computed independently: hex HMAC-SHA256 keyed
// with the secret over timestamp "." body.
func TestWebhookSignature(t *testing.T) {
	secret, ts, body := "whsec_0123456789abcdef", "1767225600", []byte(`{"event":"ping","delivery":"d1","webhook":"w1"}`)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if got := sharing.SignWebhook(secret, ts, body); got != want {
		t.Fatalf("SignWebhook = %s, want %s", got, want)
	}
	for _, tc := range []struct {
		what               string
		secret, ts, header string
		body               []byte
		ok                 bool
	}{
		{"as signed", secret, ts, want, body, true},
		{"one of several", secret, ts, "sha256=00ff, " + want, body, true},
		{"another secret", "whsec_other", ts, want, body, false},
		{"another timestamp", secret, "1767225601", want, body, false},
		{"another body", secret, ts, want, append([]byte(nil), append(body, ' ')...), false},
		{"no scheme", secret, ts, want[len("sha256="):], body, false},
		{"not hex", secret, ts, "sha256=zz", body, false},
		{"empty", secret, ts, "", body, false},
		{"upper-case hex", secret, ts, "sha256=" + upper(want[len("sha256="):]), body, true},
	} {
		if got := sharing.VerifySignature(tc.secret, tc.ts, tc.body, tc.header); got != tc.ok {
			t.Errorf("%s: VerifySignature = %v, want %v", tc.what, got, tc.ok)
		}
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
