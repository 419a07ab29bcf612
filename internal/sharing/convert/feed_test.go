package convert_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/sharing/convert"
)

// feedEvents are shared events by the uuid a feed would file them under.
var feedEvents = map[string]string{
	"57c4445b-c548-4654-af0b-4be3950d210f": "57c4445b-c548-4654-af0b-4be3950d210f.json",
	"5a3c2fcd-8328-42bb-a95e-4f4402de0b81": "mispevent_testfiles/existing_event.json",
	"5b646415-7b48-40d5-86b4-c0070acd0835": "reportlab_testfiles/sighting_1.json",
}

// buildFeed writes a MISP feed directory: the events as <uuid>.json and a
// manifest.json made from their headers, as MISP writes one.
func buildFeed(t *testing.T, dir string) {
	t.Helper()
	manifest := map[string]any{}
	for uuid, name := range feedEvents {
		data := readShared(t, name)
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		ev := doc["Event"]
		if ev == nil {
			ev = data // the bare form; a feed file is always wrapped
			data, _ = json.Marshal(map[string]json.RawMessage{"Event": ev})
		}
		var head struct {
			Info      string          `json:"info"`
			Date      string          `json:"date"`
			Timestamp string          `json:"timestamp"`
			Orgc      json.RawMessage `json:"Orgc"`
		}
		if err := json.Unmarshal(ev, &head); err != nil {
			t.Fatal(err)
		}
		manifest[uuid] = head
		if err := os.WriteFile(filepath.Join(dir, uuid+".json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := json.Marshal(manifest)
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestMISPFeed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	buildFeed(t, dir)
	var progress [][2]int
	o := opts()
	o.Progress = func(done, total int) { progress = append(progress, [2]int{done, total}) }
	res, err := convert.MISPFeed(os.DirFS(dir), o)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res)
	if len(res.Rejected) != 0 {
		t.Errorf("rejected %v", res.Rejected)
	}
	if want := [][2]int{{0, 3}, {1, 3}, {2, 3}, {3, 3}}; !slices.Equal(progress, want) {
		t.Errorf("progress %v, want %v", progress, want)
	}
	// The sum of the events: 7 + 876 + 19 objects, less nothing, as the
	// events share no version; CIRCL's identity comes once per event
	// version (2016 and 2017).
	if len(res.Objects) != 7+876+19 {
		t.Errorf("%d objects, want %d", len(res.Objects), 7+876+19)
	}
	reports := 0
	for _, obj := range res.Objects {
		if obj.Type() == "report" {
			reports++
		}
	}
	if reports != 3 {
		t.Errorf("%d reports, want 3", reports)
	}
	for _, w := range res.Warnings {
		if !strings.HasPrefix(w.Where, "5a3c2fcd-8328-42bb-a95e-4f4402de0b81.json: Event.Galaxy[") {
			t.Errorf("warning does not name its file: %v", w)
		}
	}
	again, err := convert.MISPFeed(os.DirFS(dir), opts())
	if err != nil || raw(again) != raw(res) {
		t.Errorf("a second conversion of the feed differs (%v)", err)
	}
}

func TestMISPFeedProblems(t *testing.T) {
	t.Parallel()
	good := readShared(t, "57c4445b-c548-4654-af0b-4be3950d210f.json")
	fsys := fstest.MapFS{
		"manifest.json": {Data: []byte(`{"57c4445b-c548-4654-af0b-4be3950d210f": {"info": "Xorist"},
			"11111111-1111-4111-8111-111111111111": {}, "22222222-2222-4222-8222-222222222222": {}, "../escape": {}}`)},
		"57c4445b-c548-4654-af0b-4be3950d210f.json": {Data: good},
		"22222222-2222-4222-8222-222222222222.json": {Data: []byte(`{"Event": {"info": "broken", "Attribute": [`)},
		"33333333-3333-4333-8333-333333333333.json": {Data: good},
		"hashes.csv": {Data: []byte("x")},
	}
	res, err := convert.MISPFeed(fsys, opts())
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res)
	for _, r := range []struct{ where, reason string }{
		{"11111111-1111-4111-8111-111111111111.json", "listed in manifest.json but missing"},
		{"22222222-2222-4222-8222-222222222222.json", "not valid JSON"},
		{"manifest.json", "not an event uuid"},
	} {
		if !hasRejection(res.Rejected, r.where, r.reason) {
			t.Errorf("no rejection %s %q in %v", r.where, r.reason, res.Rejected)
		}
	}
	if !hasRejection(res.Warnings, "33333333-3333-4333-8333-333333333333.json", "not listed in manifest.json") {
		t.Errorf("warnings %v", res.Warnings)
	}
	if got := counts(res)["report"]; got != 1 {
		t.Errorf("%d reports, want the one good event", got)
	}

	// Without a manifest every .json file is an event; the same event
	// in two files comes out once.
	delete(fsys, "manifest.json")
	res, err = convert.MISPFeed(fsys, opts())
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res)
	if got := counts(res)["report"]; got != 1 || len(res.Objects) != 7 {
		t.Errorf("%d reports, %d objects; want the Xorist event once", got, len(res.Objects))
	}

	if _, err := convert.MISPFeed(fstest.MapFS{"manifest.json": {Data: []byte(`[]`)}}, opts()); !errs.Is(err, errs.Invalid) {
		t.Errorf("bad manifest: err = %v, want invalid", err)
	}
}
