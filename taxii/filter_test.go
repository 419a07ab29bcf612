package taxii_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/taxii"
)

const (
	indicatorID = "indicator--cd981c25-8042-4166-8945-51178443bdac"
	malwareID   = "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec"
)

func TestFilterValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    taxii.Filter
		want url.Values
	}{
		{"zero", taxii.Filter{}, url.Values{}},
		{"negative limit is no limit", taxii.Filter{Limit: -3}, url.Values{}},
		{"all", taxii.Filter{
			AddedAfter:   time.Date(2016, 1, 1, 1, 1, 1, 0, time.UTC),
			Limit:        50,
			Next:         "token/1",
			IDs:          []string{indicatorID, malwareID},
			Types:        []string{"indicator", "malware"},
			Versions:     []string{"first", "2016-12-25T12:30:59.444Z"},
			SpecVersions: []string{"2.1"},
		}, url.Values{
			"added_after":         {"2016-01-01T01:01:01.000000Z"},
			"limit":               {"50"},
			"next":                {"token/1"},
			"match[id]":           {indicatorID + "," + malwareID},
			"match[type]":         {"indicator,malware"},
			"match[version]":      {"first,2016-12-25T12:30:59.444Z"},
			"match[spec_version]": {"2.1"},
		}},
		{"added_after in UTC", taxii.Filter{AddedAfter: time.Date(2016, 1, 1, 3, 0, 0, 5_000, time.FixedZone("", 3*3600))},
			url.Values{"added_after": {"2016-01-01T00:00:00.000005Z"}}},
		{"added_after keeps nanoseconds", taxii.Filter{AddedAfter: time.Date(2016, 1, 1, 0, 0, 0, 5, time.UTC)},
			url.Values{"added_after": {"2016-01-01T00:00:00.000000005Z"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.f.Values().Encode(); got != tt.want.Encode() {
				t.Errorf("Values() = %s\nwant       %s", got, tt.want.Encode())
			}
		})
	}
}

func TestParseFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		query   string
		want    taxii.Filter
		wantErr []string // substrings of the error; nil means success
	}{
		{name: "empty", query: ""},
		{name: "other parameters ignored", query: "foo=bar&matchall=1"},
		{name: "everything", query: "added_after=2016-11-03T12:30:59.001Z&limit=2&next=n1" +
			"&match[id]=" + indicatorID + "," + malwareID +
			"&match[type]=indicator&match[type]=malware,report" +
			"&match[version]=first,last&match[version]=all,2016-12-25T12:30:59.444Z" +
			"&match[spec_version]=2.0,2.1",
			want: taxii.Filter{
				AddedAfter:   time.Date(2016, 11, 3, 12, 30, 59, 1_000_000, time.UTC),
				Limit:        2,
				Next:         "n1",
				IDs:          []string{indicatorID, malwareID},
				Types:        []string{"indicator", "malware", "report"},
				Versions:     []string{"first", "last", "all", "2016-12-25T12:30:59.444Z"},
				SpecVersions: []string{"2.0", "2.1"},
			}},
		{name: "escaped brackets", query: "match%5Btype%5D=indicator%2Cmalware", want: taxii.Filter{Types: []string{"indicator", "malware"}}},

		{name: "bad added_after", query: "added_after=2016-11-03T12:30:59%2B01:00", wantErr: []string{"added_after", "2016-11-03T12:30:59+01:00"}},
		{name: "added_after twice", query: "added_after=2016-11-03T12:30:59Z&added_after=2017-11-03T12:30:59Z", wantErr: []string{"added_after", "2 times"}},
		{name: "limit zero", query: "limit=0", wantErr: []string{"limit", `"0"`}},
		{name: "limit negative", query: "limit=-5", wantErr: []string{"limit", `"-5"`}},
		{name: "limit plus", query: "limit=%2B5", wantErr: []string{"limit", `"+5"`}},
		{name: "limit word", query: "limit=ten", wantErr: []string{"limit", `"ten"`}},
		{name: "limit overflow", query: "limit=99999999999999999999999", wantErr: []string{"limit", "99999999999999999999999"}},
		{name: "limit twice", query: "limit=1&limit=2", wantErr: []string{"limit", "2 times"}},
		{name: "next empty", query: "next=", wantErr: []string{"next"}},
		{name: "bad id", query: "match[id]=indicator--nope", wantErr: []string{"match[id]", "indicator--nope"}},
		{name: "bad type", query: "match[type]=Indicator", wantErr: []string{"match[type]", "Indicator"}},
		{name: "empty type", query: "match[type]=", wantErr: []string{"match[type]", "empty"}},
		{name: "double comma", query: "match[type]=indicator,,malware", wantErr: []string{"match[type]", "indicator,,malware"}},
		{name: "bad version", query: "match[version]=newest", wantErr: []string{"match[version]", "newest"}},
		{name: "version with offset", query: "match[version]=2016-12-25T12:30:59.444%2B00:00", wantErr: []string{"match[version]", "2016-12-25T12:30:59.444+00:00"}},
		{name: "bad spec_version", query: "match[spec_version]=2", wantErr: []string{"match[spec_version]", `"2"`}},
		{name: "unknown match field", query: "match[foo]=bar", wantErr: []string{"match[foo]"}},
		{name: "unknown match field among good", query: "match[type]=indicator&match[created_by_ref]=x", wantErr: []string{"match[created_by_ref]"}},
		{name: "unclosed match", query: "match[type=indicator", wantErr: []string{"match[type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := taxii.ParseFilter(q)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("ParseFilter(%q) = %+v, want an error", tt.query, got)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFilter(%q): %v", tt.query, err)
			}
			if !filtersEqual(got, tt.want) {
				t.Errorf("ParseFilter(%q) = %+v, want %+v", tt.query, got, tt.want)
			}
			// What a client sends, a server reads back.
			back, err := taxii.ParseFilter(got.Values())
			if err != nil || !filtersEqual(back, got) {
				t.Errorf("round trip: %+v, %v; want %+v", back, err, got)
			}
		})
	}
}
