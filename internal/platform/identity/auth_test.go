package identity_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

func TestParseAuthorization(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		header  string
		want    identity.Credential
		wantErr string
	}{
		{"Bearer rmp_abc", identity.Credential{Scheme: "Bearer", Secret: "rmp_abc"}, ""},
		{"bearer   rmp_abc  ", identity.Credential{Scheme: "Bearer", Secret: "rmp_abc"}, ""},
		{"Basic " + b64("a@b.example:rmp_x"), identity.Credential{Scheme: "Basic", Email: "a@b.example", Secret: "rmp_x"}, ""},
		{"Basic " + strings.TrimRight(b64("a@b.example:rmp_xy"), "="), identity.Credential{Scheme: "Basic", Email: "a@b.example", Secret: "rmp_xy"}, ""},
		{"Basic " + b64("a@b.example:pa:ss"), identity.Credential{Scheme: "Basic", Email: "a@b.example", Secret: "pa:ss"}, ""},
		{"Bearer", identity.Credential{}, "malformed"},
		{"Bearer a b", identity.Credential{}, "malformed"},
		{"Basic !!!", identity.Credential{}, "base64"},
		{"Basic " + b64("no-colon"), identity.Credential{}, "colon"},
		{"Basic " + b64(":rmp_x"), identity.Credential{}, "e-mail address as the user name"},
		{"Basic " + b64("a@b.example:"), identity.Credential{}, "e-mail address as the user name"},
		{"Digest x", identity.Credential{}, `"Digest" is not supported`},
		{"", identity.Credential{}, "empty"},
		{"   ", identity.Credential{}, "empty"},
	}
	for _, tc := range cases {
		got, err := identity.ParseAuthorization(tc.header)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%q: %v", tc.header, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%q: error %v, want one with %q", tc.header, err, tc.wantErr)
		case tc.wantErr != "" && !errs.Is(err, errs.Unauthenticated):
			t.Errorf("%q: code %s, want unauthenticated", tc.header, errs.CodeOf(err))
		case got != tc.want:
			t.Errorf("%q: %+v, want %+v", tc.header, got, tc.want)
		}
	}
}

// FuzzParseAuthorization: any header either parses into a credential with
// a secret, or fails with an Unauthenticated error whose message is short
// and does not echo the secret back.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer rmp_abc", "Basic YUBiLmV4YW1wbGU6cm1wX3g=", "Basic YUBi", "Digest x", "", "Basic ===", "Bearer  \t x", "BASIC Og=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c, err := identity.ParseAuthorization(h)
		if err != nil {
			if !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("%q: code %s", h, errs.CodeOf(err))
			}
			msg := errs.MessageOf(err)
			if len(msg) > 300 {
				t.Fatalf("%q: message of %d bytes", h, len(msg))
			}
			if _, rest, ok := strings.Cut(strings.TrimSpace(h), " "); ok && len(strings.TrimSpace(rest)) >= 8 && strings.Contains(msg, strings.TrimSpace(rest)) {
				t.Fatalf("%q: the message echoes the credential: %s", h, msg)
			}
			return
		}
		if c.Secret == "" || (c.Scheme != "Bearer" && c.Scheme != "Basic") {
			t.Fatalf("%q: %+v", h, c)
		}
		if c.Scheme == "Basic" && c.Email == "" {
			t.Fatalf("%q: Basic without a user name", h)
		}
		if c.Scheme == "Bearer" && strings.ContainsAny(c.Secret, " \t") {
			t.Fatalf("%q: secret with blanks %q", h, c.Secret)
		}
		_ = utf8.ValidString(c.Secret)
	})
}
