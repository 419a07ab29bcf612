package taxii

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rampart-project/rampart/stix"
)

// Headers a server sets on the objects, manifest and versions responses
// to say when the first and last records of the page were added; a client
// pages on with added_after set to the last.
const (
	HeaderDateAddedFirst = "X-TAXII-Date-Added-First"
	HeaderDateAddedLast  = "X-TAXII-Date-Added-Last"
)

const timestampLayout = "2006-01-02T15:04:05.000000Z"

// FormatTimestamp formats t as TAXII writes date_added and the
// X-TAXII-Date-Added headers: UTC with exactly six fractional digits. Six
// digits, not the three of STIX created and modified, because date_added
// orders records for paging and millisecond ties would make a client's
// added_after skip or repeat records added in the same millisecond.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format(timestampLayout)
}

// formatFilterTimestamp is FormatTimestamp unless t carries nanoseconds:
// an added_after rounded down would make the server repeat records, and the
// paging loop would see no progress.
func formatFilterTimestamp(t time.Time) string {
	if t.Nanosecond()%1000 != 0 {
		return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
	}
	return FormatTimestamp(t)
}

// ParseTimestamp parses a TAXII timestamp: RFC 3339 in UTC written with Z,
// with any number of fractional digits, the timestamp form TAXII shares
// with STIX. A leap second (:60) reads as the last instant of the
// second before it, because time.Time cannot represent it.
func ParseTimestamp(s string) (time.Time, error) {
	if _, err := stix.CheckTimestamp(s); err != nil {
		return time.Time{}, err
	}
	leap := s[17:19] == "60"
	if leap {
		s = s[:17] + "59" + s[19:]
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a real date and time", s)
	}
	if leap {
		t = t.Truncate(time.Second).Add(time.Second - 1)
	}
	return t, nil
}

// Timestamp is a time in a TAXII resource (date_added, request_timestamp).
// It marshals in the FormatTimestamp form and unmarshals with
// ParseTimestamp; the zero Timestamp is left out of resources through
// omitzero.
type Timestamp struct {
	time.Time
}

// MarshalJSON writes the FormatTimestamp form.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + FormatTimestamp(t.Time) + `"`), nil
}

// UnmarshalJSON reads a JSON string with ParseTimestamp.
// A JSON null leaves t unchanged, as encoding/json does for time.Time.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("taxii: timestamp %s is not a JSON string", data)
	}
	v, err := ParseTimestamp(s)
	if err != nil {
		return fmt.Errorf("taxii: %w", err)
	}
	t.Time = v
	return nil
}
