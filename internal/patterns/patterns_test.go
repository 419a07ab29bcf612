package patterns

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/web"
)

func TestCheck(t *testing.T) {
	ok := Check("[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value ISSUBSET '203.0.113.0/24']", "")
	if !ok.Valid || ok.Error != nil || len(ok.Observables) != 2 || !ok.Observables[1].Sufficient || ok.Observables[1].Operator != "ISSUBSET" {
		t.Fatalf("valid pattern: %+v", ok)
	}
	bad := Check("[ipv4-addr:value = '198.51.100.1'\n  AND file:name = ]", "2.1")
	if bad.Valid || bad.Error == nil || bad.Error.Line != 2 || bad.Error.Column == 0 {
		t.Fatalf("invalid pattern: %+v", bad)
	}
	if v20 := Check("[file:name = 'a'] START '2016-06-01T00:00:00Z' STOP '2016-07-01T00:00:00Z'", "2.0"); !v20.Valid {
		t.Fatalf("2.0 pattern: %+v", v20.Error)
	}
}

func TestMark(t *testing.T) {
	cases := []struct {
		text         string
		line, column int
		before, at   string
	}{
		{"[a:b = ]", 1, 8, "[a:b = ", "]"},
		{"[a:b = 'x'", 1, 11, "[a:b = 'x'", " "}, // past the end: something missing
		{"[x:y = 1]\n[a:é = ]", 2, 4, "[a:", "é"},
	}
	for _, tc := range cases {
		m := Mark(tc.text, &Error{Line: tc.line, Column: tc.column})
		if m.Before != tc.before || m.At != tc.at {
			t.Errorf("Mark(%q, %d:%d) = %q|%q|%q", tc.text, tc.line, tc.column, m.Before, m.At, m.After)
		}
	}
	if m := Mark("x", &Error{Line: 9, Column: 1}); m.At != "" {
		t.Errorf("a line out of range marks %q", m.At)
	}
}

func post(t *testing.T, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/v1/patterns/check", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	checkAPI(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec, out
}

func TestCheckAPI(t *testing.T) {
	rec, out := post(t, `{"pattern": "[domain-name:value = 'example.com']"}`)
	if rec.Code != 200 || out["valid"] != true || out["canonical"] == "" {
		t.Fatalf("one pattern: %d %v", rec.Code, out)
	}
	rec, out = post(t, `{"patterns": ["[domain-name:value = 'example.com']", "[domain-name:value = ]"], "stix_version": "2.1"}`)
	results, _ := out["results"].([]any)
	if rec.Code != 200 || len(results) != 2 || results[1].(map[string]any)["valid"] != false {
		t.Fatalf("two patterns: %d %v", rec.Code, out)
	}
	errObj := results[1].(map[string]any)["error"].(map[string]any)
	if errObj["line"].(float64) != 1 || errObj["column"].(float64) != 22 || errObj["message"] == "" {
		t.Fatalf("error position: %v", errObj)
	}
	for body, want := range map[string]string{
		`{}`: "Send",
		`{"pattern": "[a:b = 1]", "patterns": []}`:      "not both",
		`{"pattern": "[a:b = 1]", "stix_version": "3"}`: "stix_version",
		`{"pattern": 5}`: "must be string",
		`{"patterns": [` + strings.Repeat(`"[a:b = 1]",`, maxPatterns) + `"[a:b = 1]"]}`: "At most",
	} {
		rec, _ := post(t, body)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%.60s: %d %s", body, rec.Code, rec.Body)
		}
	}
}

func TestCheckPageShowsTheErrorInPlace(t *testing.T) {
	rd, err := web.NewRenderer(web.Site{Name: "t"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := (Module{}).addPages(rd); err != nil {
		t.Fatal(err)
	}
	get := func(q url.Values) string {
		rec := httptest.NewRecorder()
		checkPage(rd)(rec, httptest.NewRequest("GET", "/patterns/check?"+q.Encode(), nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		return rec.Body.String()
	}
	page := get(url.Values{"pattern": {"[ipv4-addr:value = '1.2.3.4' AND ]"}})
	for _, want := range []string{"Invalid", "Line 1, column", `aria-invalid="true"`, "<mark", "TLP:CLEAR"} {
		if !strings.Contains(page, want) {
			t.Errorf("invalid-pattern page lacks %q", want)
		}
	}
	page = get(url.Values{"pattern": {"[ipv4-addr:value = '1.2.3.4']"}, "stix_version": {"2.1"}})
	for _, want := range []string{"Valid", "ipv4-addr", "yes"} {
		if !strings.Contains(page, want) {
			t.Errorf("valid-pattern page lacks %q", want)
		}
	}
	if page := get(url.Values{}); strings.Contains(page, "Invalid") || strings.Contains(page, "Valid<") {
		t.Error("the empty form shows a verdict")
	}
}
