package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// MISP's JSON is loosely typed: the same field is a string in one export
// and a number or a boolean in another (ids, timestamps, to_ids), and lists
// are sometimes null. The types here read all of those spellings, so that
// a field of an unexpected type costs that field, never the event.

// text is a scalar read as a string: a JSON string as is, a number or a
// boolean as written, anything else as "".
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
	case '{', '[', 'n':
		*t = ""
	default:
		*t = text(b)
	}
	return nil
}

func (t text) String() string { return strings.TrimSpace(string(t)) }

// flag is a boolean as MISP writes it: true, "1", 1, "true", "True".
type flag bool

func (f *flag) UnmarshalJSON(b []byte) error {
	var t text
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	switch strings.ToLower(t.String()) {
	case "true", "1":
		*f = true
	default:
		*f = false
	}
	return nil
}

type mispEvent struct {
	UUID             text            `json:"uuid"`
	Info             text            `json:"info"`
	Date             text            `json:"date"`
	Timestamp        text            `json:"timestamp"`
	PublishTimestamp text            `json:"publish_timestamp"`
	Orgc             json.RawMessage `json:"Orgc"`
	Org              json.RawMessage `json:"Org"`
	Attribute        json.RawMessage `json:"Attribute"`
	Object           json.RawMessage `json:"Object"`
	Tag              json.RawMessage `json:"Tag"`
	EventTag         json.RawMessage `json:"EventTag"`
	Galaxy           json.RawMessage `json:"Galaxy"`
}

type mispOrg struct {
	UUID text `json:"uuid"`
	Name text `json:"name"`
}

type mispAttribute struct {
	UUID           text            `json:"uuid"`
	Type           text            `json:"type"`
	Category       text            `json:"category"`
	Value          text            `json:"value"`
	Comment        text            `json:"comment"`
	Timestamp      text            `json:"timestamp"`
	FirstSeen      text            `json:"first_seen"`
	LastSeen       text            `json:"last_seen"`
	ObjectRelation text            `json:"object_relation"`
	ToIDS          flag            `json:"to_ids"`
	Deleted        flag            `json:"deleted"`
	Tag            json.RawMessage `json:"Tag"`
	AttributeTag   json.RawMessage `json:"AttributeTag"`
	Galaxy         json.RawMessage `json:"Galaxy"`
	Sighting       json.RawMessage `json:"Sighting"`
}

type mispObject struct {
	UUID            text            `json:"uuid"`
	Name            text            `json:"name"`
	Comment         text            `json:"comment"`
	Timestamp       text            `json:"timestamp"`
	FirstSeen       text            `json:"first_seen"`
	LastSeen        text            `json:"last_seen"`
	Deleted         flag            `json:"deleted"`
	Attribute       json.RawMessage `json:"Attribute"`
	ObjectReference json.RawMessage `json:"ObjectReference"`
}

type mispReference struct {
	UUID             text `json:"uuid"`
	ReferencedUUID   text `json:"referenced_uuid"`
	RelationshipType text `json:"relationship_type"`
	Timestamp        text `json:"timestamp"`
	Deleted          flag `json:"deleted"`
}

// mispTag is an entry of Tag, or of EventTag and AttributeTag, which
// wrap the tag in another object.
type mispTag struct {
	Name text `json:"name"`
	Tag  *struct {
		Name text `json:"name"`
	} `json:"Tag"`
}

func (t mispTag) name() string {
	if n := t.Name.String(); n != "" {
		return n
	}
	if t.Tag != nil {
		return t.Tag.Name.String()
	}
	return ""
}

type mispGalaxy struct {
	UUID          text            `json:"uuid"`
	Type          text            `json:"type"`
	Name          text            `json:"name"`
	GalaxyCluster json.RawMessage `json:"GalaxyCluster"`
}

type mispCluster struct {
	UUID        text                       `json:"uuid"`
	Type        text                       `json:"type"`
	Value       text                       `json:"value"`
	TagName     text                       `json:"tag_name"`
	Description text                       `json:"description"`
	Meta        map[string]json.RawMessage `json:"meta"`
}

type mispSighting struct {
	Type         text            `json:"type"`
	DateSighting text            `json:"date_sighting"`
	Source       text            `json:"source"`
	Organisation json.RawMessage `json:"Organisation"`
}

// elements splits a JSON list into its elements. Null and absent are the
// empty list; anything else that is not a list is rejected.
func (c *converter) elements(where string, raw json.RawMessage) []json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var l []json.RawMessage
	if err := json.Unmarshal(raw, &l); err != nil {
		c.reject(where, "", "expected a list")
		return nil
	}
	return l
}

// decode reads one JSON object of a list; v must be a pointer to a struct.
func (c *converter) decode(where string, raw json.RawMessage, v any) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		c.reject(where, "", "expected a JSON object")
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		c.reject(where, "", "cannot be read: %v", err)
		return false
	}
	return true
}

// decodeOrg reads an organisation; ok is false when there is none.
func decodeOrg(raw json.RawMessage) (mispOrg, bool) {
	var o mispOrg
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &o) != nil {
		return o, false
	}
	return o, o.Name.String() != "" || o.UUID.String() != ""
}

// metaStrings reads a galaxy cluster's meta entry, which MISP writes as a
// list of strings or, now and then, as one string.
func metaStrings(raw json.RawMessage) []string {
	var l []text
	if json.Unmarshal(raw, &l) == nil {
		out := make([]string, 0, len(l))
		for _, s := range l {
			out = append(out, s.String())
		}
		return dedupe(out)
	}
	var s text
	if json.Unmarshal(raw, &s) == nil {
		return dedupe([]string{s.String()})
	}
	return nil
}

// parseTime reads a MISP time: Unix seconds (or milliseconds or
// microseconds, which first_seen has used), RFC 3339 with or without a
// zone, or a bare date. Zero and negative values mean "none" in MISP
// (an unpublished event has publish_timestamp 0).
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	var t time.Time
	if isDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return time.Time{}, false
		}
		switch {
		case n >= 1e14:
			t = time.UnixMicro(n)
		case n >= 1e11:
			t = time.UnixMilli(n)
		default:
			t = time.Unix(n, 0)
		}
	} else {
		var err error
		t, err = parseDate(s)
		if err != nil {
			return time.Time{}, false
		}
	}
	t = t.UTC().Truncate(time.Millisecond)
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, false
	}
	return t, true
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

var errDate = errors.New("not a date")

// parseDate reads the date forms people write; a time without a zone is
// taken as UTC.
func parseDate(s string) (time.Time, error) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errDate
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
