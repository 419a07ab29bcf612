package taxii_test

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// medallionData is the OASIS reference server's default data, from the
// project's shared folder beside the repository.
const medallionData = "../../shared/data/stix2-examples/taxii21-medallion/default_data.json"

// TestResourceJSON pins the wire form: property names as the specification
// spells them, required properties present even when empty, optional ones
// left out.
func TestResourceJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"discovery minimal", taxii.Discovery{Title: "T"}, `{"title":"T"}`},
		{"discovery full", taxii.Discovery{Title: "T", Description: "D", Contact: "C", Default: "https://x/r/", APIRoots: []string{"https://x/r/"}},
			`{"title":"T","description":"D","contact":"C","default":"https://x/r/","api_roots":["https://x/r/"]}`},
		{"api root", taxii.APIRoot{Title: "R", Versions: []string{taxii.MediaTypeTAXII}, MaxContentLength: 1000},
			`{"title":"R","versions":["application/taxii+json;version=2.1"],"max_content_length":1000}`},
		{"collections empty", taxii.Collections{}, `{}`},
		{"collection", taxii.Collection{ID: "c1", Title: "C"}, `{"id":"c1","title":"C","can_read":false,"can_write":false}`},
		{"collection full", taxii.Collection{ID: "c1", Title: "C", Description: "D", Alias: "a", CanRead: true, CanWrite: true, MediaTypes: []string{taxii.MediaTypeSTIX}},
			`{"id":"c1","title":"C","description":"D","alias":"a","can_read":true,"can_write":true,"media_types":["application/stix+json;version=2.1"]}`},
		{"envelope empty", taxii.Envelope{}, `{}`},
		{"envelope more", taxii.Envelope{More: true, Next: "n"}, `{"more":true,"next":"n"}`},
		{"manifest", taxii.Manifest{More: true, Objects: []taxii.ManifestRecord{{
			ID: indicatorID, DateAdded: taxii.Timestamp{Time: time.Date(2016, 11, 1, 3, 4, 5, 0, time.UTC)}, Version: "2014-05-08T09:00:00.000Z", MediaType: taxii.MediaTypeSTIX}}},
			`{"more":true,"objects":[{"id":"` + indicatorID + `","date_added":"2016-11-01T03:04:05.000000Z","version":"2014-05-08T09:00:00.000Z","media_type":"application/stix+json;version=2.1"}]}`},
		{"versions", taxii.Versions{Versions: []string{"2016-01-01T01:01:01.000Z"}}, `{"versions":["2016-01-01T01:01:01.000Z"]}`},
		{"status minimal", taxii.Status{ID: "s1", Status: taxii.StatusComplete},
			`{"id":"s1","status":"complete","total_count":0,"success_count":0,"failure_count":0,"pending_count":0}`},
		{"status with details", taxii.Status{ID: "s1", Status: taxii.StatusPending, RequestTimestamp: taxii.Timestamp{Time: time.Date(2016, 11, 2, 12, 34, 34, 123456000, time.UTC)},
			TotalCount: 2, FailureCount: 1, Failures: []taxii.StatusDetail{{ID: malwareID, Version: "2015-05-08T09:00:00.000Z", Message: "no"}},
			PendingCount: 1, Pendings: []taxii.StatusDetail{{ID: indicatorID, Version: "2016-08-08T09:00:00.000Z"}}},
			`{"id":"s1","status":"pending","request_timestamp":"2016-11-02T12:34:34.123456Z","total_count":2,"success_count":0,"failure_count":1,` +
				`"failures":[{"id":"` + malwareID + `","version":"2015-05-08T09:00:00.000Z","message":"no"}],"pending_count":1,` +
				`"pendings":[{"id":"` + indicatorID + `","version":"2016-08-08T09:00:00.000Z"}]}`},
		{"error", taxii.Error{Title: "Not found", HTTPStatus: "404", Details: map[string]json.RawMessage{"id": json.RawMessage(`"c1"`)}, StatusCode: 404},
			`{"title":"Not found","http_status":"404","details":{"id":"c1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestEnvelopeKeepsObjectBytes(t *testing.T) {
	t.Parallel()
	obj := `{ "type":"indicator",  "id":"` + indicatorID + `", "x_custom": {"b":1, "a":[1.50, "<&>"]},
		"spec_version":"2.1" }`
	var env taxii.Envelope
	if err := json.Unmarshal([]byte(`{"more":true,"next":"n2","objects":[`+obj+`]}`), &env); err != nil {
		t.Fatal(err)
	}
	if !env.More || env.Next != "n2" || len(env.Objects) != 1 {
		t.Fatalf("decoded %+v", env)
	}
	if got := string(env.Objects[0].Raw()); got != obj {
		t.Errorf("object bytes changed:\n got %s\nwant %s", got, obj)
	}
	if env.Objects[0].ID() != indicatorID || env.Objects[0].Type() != "indicator" {
		t.Errorf("object is %s %s", env.Objects[0].Type(), env.Objects[0].ID())
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    *taxii.Error
		want string
	}{
		{&taxii.Error{Title: "Collection not found", StatusCode: 404}, "taxii: HTTP 404: Collection not found"},
		{&taxii.Error{Title: "Bad filter", Description: "limit must be positive", StatusCode: 400}, "taxii: HTTP 400: Bad filter: limit must be positive"},
		{&taxii.Error{Title: "Decoded only"}, "taxii: Decoded only"},
	}
	for _, tt := range tests {
		var err error = tt.e
		if got := err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// medallionRoot is an API root as the reference server stores it: the API
// root resource, its status resources, and its collections, each with the
// objects and manifest records the server keeps inside it.
type medallionRoot struct {
	Information json.RawMessage   `json:"information"`
	Status      []json.RawMessage `json:"status"`
	Collections []struct {
		Objects  []json.RawMessage `json:"objects"`
		Manifest []json.RawMessage `json:"manifest"`
	} `json:"collections"`
}

// TestMedallionData decodes the OASIS reference server's data into the
// resource types and checks that nothing is lost on the way back out:
// each resource re-encodes to the same JSON value as the original, and
// each object keeps its bytes.
func TestMedallionData(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(medallionData)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("medallion data not present:", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}

	var disc taxii.Discovery
	sameJSON(t, "discovery", top["/discovery"], &disc)
	if disc.Title != "Some TAXII Server" || disc.Default != "http://localhost:5000/trustgroup1/" || len(disc.APIRoots) != 3 {
		t.Errorf("discovery = %+v", disc)
	}

	var statuses, collections, objects, records int
	var sawRecord, sawStatus bool
	for _, name := range []string{"api1", "api2", "trustgroup1"} {
		var stored medallionRoot
		if err := json.Unmarshal(top[name], &stored); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var root taxii.APIRoot
		sameJSON(t, name+" api root", stored.Information, &root)
		if root.Title == "" || root.MaxContentLength != 9765625 || !reflect.DeepEqual(root.Versions, []string{taxii.MediaTypeTAXII}) {
			t.Errorf("%s: api root = %+v", name, root)
		}

		for _, s := range stored.Status {
			// One status in the data spells total_count "total_objects",
			// which is no TAXII property and so cannot survive decoding.
			var rec map[string]json.RawMessage
			if err := json.Unmarshal(s, &rec); err != nil {
				t.Fatal(err)
			}
			if _, ok := rec["total_objects"]; ok {
				delete(rec, "total_objects")
				if _, ok := rec["total_count"]; !ok {
					rec["total_count"] = json.RawMessage("0")
				}
				if s, err = json.Marshal(rec); err != nil {
					t.Fatal(err)
				}
			}
			var st taxii.Status
			sameJSON(t, name+" status", s, &st)
			statuses++
			if st.ID == "2d086da7-4bdc-4f91-900e-d77486753710" {
				sawStatus = true
				want := time.Date(2016, 11, 2, 12, 34, 34, 123456000, time.UTC)
				if st.Status != taxii.StatusPending || !st.RequestTimestamp.Equal(want) || st.TotalCount != 4 ||
					st.SuccessCount != 1 || st.FailureCount != 1 || st.PendingCount != 2 || len(st.Pendings) != 2 ||
					len(st.Failures) != 1 || st.Failures[0].Message != "Unable to process object" ||
					st.Successes[0].ID != indicatorID || st.Successes[0].Version != "2014-05-08T09:00:00.000Z" {
					t.Errorf("status = %+v", st)
				}
			}
		}

		// The collection resource is the stored record without the
		// objects and manifest.
		var collRecords []map[string]json.RawMessage
		if err := json.Unmarshal(mustField(t, top[name], "collections"), &collRecords); err != nil {
			t.Fatal(err)
		}
		for i, rec := range collRecords {
			resource, err := json.Marshal(withoutKeys(rec, "objects", "manifest"))
			if err != nil {
				t.Fatal(err)
			}
			var coll taxii.Collection
			sameJSON(t, name+" collection", resource, &coll)
			if coll.ID == "" || coll.Title == "" || len(coll.MediaTypes) == 0 {
				t.Errorf("%s: collection %d = %+v", name, i, coll)
			}
			collections++

			for _, m := range stored.Collections[i].Manifest {
				var mr taxii.ManifestRecord
				sameJSON(t, name+" manifest record", m, &mr)
				records++
				if mr.ID == "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e" && mr.Version == "2016-11-03T12:30:59.000Z" {
					sawRecord = true
					if want := time.Date(2016, 11, 3, 12, 30, 59, 1_000_000, time.UTC); !mr.DateAdded.Equal(want) || mr.MediaType != taxii.MediaTypeSTIX {
						t.Errorf("manifest record = %+v, want date_added %v", mr, want)
					}
				}
			}

			// Objects travel in envelopes; each keeps its exact bytes
			// when decoded and its JSON value through an encode.
			var objs []stix.Object
			if err := json.Unmarshal(rec["objects"], &objs); err != nil {
				t.Fatal(err)
			}
			if len(objs) != len(stored.Collections[i].Objects) {
				t.Fatalf("%s: collection %d: %d objects, want %d", name, i, len(objs), len(stored.Collections[i].Objects))
			}
			for j, o := range objs {
				if string(o.Raw()) != string(stored.Collections[i].Objects[j]) {
					t.Errorf("%s: collection %d object %d: bytes changed", name, i, j)
				}
				if o.ID() == "" || o.Type() == "" {
					t.Errorf("%s: collection %d object %d has no id or type", name, i, j)
				}
				objects++
			}
			if len(objs) > 0 {
				envJSON, err := json.Marshal(map[string]any{"more": true, "objects": stored.Collections[i].Objects})
				if err != nil {
					t.Fatal(err)
				}
				var env taxii.Envelope
				sameJSON(t, name+" envelope", envJSON, &env)
			}
		}
	}
	if statuses != 2 || collections != 5 || objects != 8 || records != 8 || !sawStatus || !sawRecord {
		t.Errorf("checked %d status resources, %d collections, %d objects, %d manifest records (status seen %v, record seen %v); want 2, 5, 8, 8",
			statuses, collections, objects, records, sawStatus, sawRecord)
	}
}

// sameJSON decodes data into v, re-encodes it and checks that the result is
// the same JSON value as data, where an empty list reads as absent (the
// resources omit empty optional lists, which the specification allows).
func sameJSON(t *testing.T, what string, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: decode: %v", what, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: encode: %v", what, err)
	}
	assertSameJSONValue(t, what, data, out)
}

func assertSameJSONValue(t *testing.T, what string, want, got []byte) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(want, &a); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !reflect.DeepEqual(dropEmptyLists(a), dropEmptyLists(b)) {
		t.Errorf("%s did not survive a round trip:\n got %s\nwant %s", what, got, strings.Join(strings.Fields(string(want)), " "))
	}
}

func withoutKeys(m map[string]json.RawMessage, keys ...string) map[string]json.RawMessage {
	out := maps.Clone(m)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func dropEmptyLists(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if l, ok := e.([]any); ok && len(l) == 0 {
				delete(v, k)
				continue
			}
			v[k] = dropEmptyLists(e)
		}
	case []any:
		for i := range v {
			v[i] = dropEmptyLists(v[i])
		}
	}
	return v
}

func mustField(t *testing.T, obj json.RawMessage, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatal(err)
	}
	v, ok := m[name]
	if !ok {
		t.Fatalf("no %q in %.60s", name, obj)
	}
	return v
}
