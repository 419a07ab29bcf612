package taxii

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-project/rampart/stix"
)

// Values of Filter.Versions besides timestamps.
const (
	VersionFirst = "first"
	VersionLast  = "last"
	VersionAll   = "all"
)

// Filter holds the URL parameters of the objects, object, manifest and
// versions endpoints. The zero Filter asks for the server's defaults (the
// latest version of every object, in pages of the server's size). Each list
// matches any of its values; the lists combine with AND. Not every endpoint
// honours every field: the versions endpoint, for one, knows only
// AddedAfter, Limit, Next and SpecVersions.
type Filter struct {
	// AddedAfter keeps only records added to the collection after it.
	AddedAfter time.Time
	// Limit asks for at most this many records per response; 0 leaves it to
	// the server, which may also return fewer than asked.
	Limit int
	// Next is the paging token of a previous response.
	Next string

	IDs          []string // match[id]: object identifiers
	Types        []string // match[type]: object types
	Versions     []string // match[version]: first, last, all, or a timestamp
	SpecVersions []string // match[spec_version]: 2.0, 2.1, ...
}

// URL parameter names of the filters.
const (
	paramAddedAfter  = "added_after"
	paramLimit       = "limit"
	paramNext        = "next"
	paramID          = "match[id]"
	paramType        = "match[type]"
	paramVersion     = "match[version]"
	paramSpecVersion = "match[spec_version]"
)

// Values encodes f as URL parameters, each list as one comma-separated
// value as the specification writes them.
func (f Filter) Values() url.Values {
	q := url.Values{}
	if !f.AddedAfter.IsZero() {
		q.Set(paramAddedAfter, formatFilterTimestamp(f.AddedAfter))
	}
	if f.Limit > 0 {
		q.Set(paramLimit, strconv.Itoa(f.Limit))
	}
	if f.Next != "" {
		q.Set(paramNext, f.Next)
	}
	for name, list := range map[string][]string{
		paramID:          f.IDs,
		paramType:        f.Types,
		paramVersion:     f.Versions,
		paramSpecVersion: f.SpecVersions,
	} {
		if len(list) > 0 {
			q.Set(name, strings.Join(list, ","))
		}
	}
	return q
}

// ParseFilter reads the filter parameters of a request, for a server. A
// match parameter may be given several times and each value may be a
// comma-separated list; added_after, limit and next may be given once.
// Parameters that are not filters are ignored, so a server can add its
// own, but an unknown match[...] field is an error: the client asked for a
// restriction the server would otherwise silently not apply. Errors name
// the parameter and the value at fault.
func ParseFilter(q url.Values) (Filter, error) {
	var f Filter
	// Sorted so that, of several bad parameters, the same one is reported
	// every time.
	for _, key := range slices.Sorted(maps.Keys(q)) {
		vals := q[key]
		switch key {
		case paramAddedAfter, paramLimit, paramNext:
			if len(vals) != 1 {
				return Filter{}, fmt.Errorf("taxii: %s given %d times, want once", key, len(vals))
			}
		}
		var err error
		switch key {
		case paramAddedAfter:
			f.AddedAfter, err = ParseTimestamp(vals[0])
			if err != nil {
				return Filter{}, fmt.Errorf("taxii: %s: %w", key, err)
			}
		case paramLimit:
			f.Limit, err = parseLimit(vals[0])
			if err != nil {
				return Filter{}, err
			}
		case paramNext:
			if vals[0] == "" {
				return Filter{}, fmt.Errorf("taxii: %s is empty", key)
			}
			f.Next = vals[0]
		case paramID:
			f.IDs, err = parseList(key, vals, checkMatchID)
		case paramType:
			f.Types, err = parseList(key, vals, checkMatchType)
		case paramVersion:
			f.Versions, err = parseList(key, vals, checkMatchVersion)
		case paramSpecVersion:
			f.SpecVersions, err = parseList(key, vals, checkMatchSpecVersion)
		default:
			if strings.HasPrefix(key, "match[") {
				return Filter{}, fmt.Errorf("taxii: unknown filter %q (want match[id], match[type], match[version] or match[spec_version])", key)
			}
		}
		if err != nil {
			return Filter{}, err
		}
	}
	return f, nil
}

func parseLimit(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || s[0] == '+' {
		return 0, fmt.Errorf("taxii: %s: %q is not a positive integer", paramLimit, s)
	}
	return n, nil
}

// parseList splits every value of a match parameter on commas. An empty
// element is an error rather than skipped: "match[type]=" or a doubled comma
// is more likely a client bug than a wish to match everything.
func parseList(key string, vals []string, check func(string) error) ([]string, error) {
	var out []string
	for _, v := range vals {
		for elem := range strings.SplitSeq(v, ",") {
			if elem == "" {
				return nil, fmt.Errorf("taxii: %s: empty value in %q", key, v)
			}
			if err := check(elem); err != nil {
				return nil, fmt.Errorf("taxii: %s: %w", key, err)
			}
			out = append(out, elem)
		}
	}
	return out, nil
}

func checkMatchID(s string) error {
	_, err := stix.CheckID(s)
	return err
}

// checkMatchType accepts STIX type names: lower-case ASCII letters, digits
// and hyphens. The STIX length limits are left to the object validator;
// an over-long type here just matches nothing.
func checkMatchType(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return fmt.Errorf("%q is not a STIX object type", s)
		}
	}
	return nil
}

func checkMatchVersion(s string) error {
	switch s {
	case VersionFirst, VersionLast, VersionAll:
		return nil
	}
	if _, err := ParseTimestamp(s); err != nil {
		return fmt.Errorf("%q is not first, last, all or a STIX timestamp", s)
	}
	return nil
}

// checkMatchSpecVersion accepts major.minor version numbers such as 2.1.
func checkMatchSpecVersion(s string) error {
	major, minor, ok := strings.Cut(s, ".")
	if !ok || !allDigits(major) || !allDigits(minor) {
		return fmt.Errorf("%q is not a STIX specification version (want a form like 2.1)", s)
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
