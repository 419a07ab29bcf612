package taxii_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/taxii"
)

func TestFormatTimestamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2016, 1, 1, 1, 1, 1, 0, time.UTC), "2016-01-01T01:01:01.000000Z"},
		{time.Date(2016, 11, 3, 12, 30, 59, 1_000_000, time.UTC), "2016-11-03T12:30:59.001000Z"},
		{time.Date(2016, 11, 2, 12, 34, 34, 123_456_789, time.UTC), "2016-11-02T12:34:34.123456Z"}, // truncated, not rounded
		{time.Date(2016, 1, 1, 3, 1, 1, 0, time.FixedZone("UTC+2", 2*3600)), "2016-01-01T01:01:01.000000Z"},
	}
	for _, tt := range tests {
		if got := taxii.FormatTimestamp(tt.in); got != tt.want {
			t.Errorf("FormatTimestamp(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	t.Parallel()
	good := []struct {
		in   string
		want time.Time
	}{
		{"2016-01-01T01:01:01.000000Z", time.Date(2016, 1, 1, 1, 1, 1, 0, time.UTC)},
		{"2016-01-01T01:01:01Z", time.Date(2016, 1, 1, 1, 1, 1, 0, time.UTC)},
		{"2016-01-01T01:01:01.1Z", time.Date(2016, 1, 1, 1, 1, 1, 100_000_000, time.UTC)},
		{"2017-01-27T13:49:59.997000Z", time.Date(2017, 1, 27, 13, 49, 59, 997_000_000, time.UTC)},
		{"2016-01-01T01:01:01.123456789Z", time.Date(2016, 1, 1, 1, 1, 1, 123_456_789, time.UTC)},
		{"2016-12-31T23:59:60Z", time.Date(2016, 12, 31, 23, 59, 59, 999_999_999, time.UTC)},
	}
	for _, tt := range good {
		got, err := taxii.ParseTimestamp(tt.in)
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	bad := []string{
		"", "2016-01-01", "2016-01-01T01:01Z", "2016-01-01T01:01:01", "2016-01-01T01:01:01z",
		"2016-01-01T01:01:01+00:00", "2016-01-01T01:01:01.Z", "2016-02-30T00:00:00Z",
		"2016-01-01 01:01:01Z", "2016-01-01T25:00:00Z", "x016-01-01T01:01:01Z", "2016-01-01T01:01:01.000000ZZ",
	}
	for _, s := range bad {
		if got, err := taxii.ParseTimestamp(s); err == nil {
			t.Errorf("ParseTimestamp(%q) = %v, want an error", s, got)
		}
	}
}

func TestTimestampJSON(t *testing.T) {
	t.Parallel()
	var rec struct {
		T taxii.Timestamp  `json:"t"`
		O taxii.Timestamp  `json:"o,omitzero"`
		P *taxii.Timestamp `json:"p"`
	}
	if err := json.Unmarshal([]byte(`{"t":"2016-11-03T12:30:59.001Z","p":null}`), &rec); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2016, 11, 3, 12, 30, 59, 1_000_000, time.UTC); !rec.T.Equal(want) {
		t.Errorf("decoded %v, want %v", rec.T, want)
	}
	out, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"t":"2016-11-03T12:30:59.001000Z","p":null}`; string(out) != want {
		t.Errorf("encoded %s, want %s", out, want)
	}
	for _, in := range []string{`{"t":20161103}`, `{"t":"2016-11-03T12:30:59+01:00"}`, `{"t":"yesterday"}`} {
		err := json.Unmarshal([]byte(in), &rec)
		if err == nil || !strings.Contains(err.Error(), "taxii: ") {
			t.Errorf("Unmarshal(%s) error = %v, want a taxii timestamp error", in, err)
		}
	}
}
