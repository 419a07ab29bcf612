package web_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// FuzzDecodeJSON: any body yields a value or a domain error that names the
// problem; never a panic, never an internal error.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{`{"name":"x","n":1,"tags":["a"]}`, `{"name":`, `[]`, `{"n":1e999}`, `{"tags":null}`, "\xff", `{"name":"a"}{}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		var v struct {
			Name string   `json:"name"`
			N    int      `json:"n"`
			Tags []string `json:"tags"`
		}
		err := web.DecodeJSON(req, &v)
		if err != nil && errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("DecodeJSON(%q): %v has code %s, want invalid", body, err, errs.CodeOf(err))
		}
	})
}
