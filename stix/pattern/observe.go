package pattern

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Observation is one observed-data object together with the cyber-observable
// objects (SCOs) it reports. A pattern's observation expression [ ... ] is
// satisfied by a single Observation, and all comparisons joined by AND in
// it must hold on the same object.
type Observation struct {
	// ID is the observed-data id ("" when the input had none).
	ID             string
	FirstObserved  time.Time
	LastObserved   time.Time
	NumberObserved int
	// Objects maps an SCO id (STIX 2.1 object_refs) or a key of the
	// observed-data "objects" dictionary (STIX 2.0) to the decoded object.
	// Numbers are int64 or float64; properties ending in _hex or _bin hold
	// []byte.
	Objects map[string]map[string]any
	// Roots lists the keys of Objects that comparisons start from, in a
	// stable order.
	Roots []string
	// Lookup resolves _ref and _refs references that Objects does not
	// hold: in STIX 2.1 input, the other SCOs of the same input. May be nil.
	Lookup map[string]map[string]any
}

// ObservationsFromJSON reads observations from raw JSON holding a STIX
// bundle, a list of bundles, a single observed-data object, or a list of
// STIX objects (observed-data together with the SCOs their object_refs
// name). Both STIX 2.1 observed-data (object_refs) and STIX 2.0
// observed-data (an embedded objects dictionary) are understood.
func ObservationsFromJSON(data []byte) ([]Observation, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("observations: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("observations: trailing data after the JSON value")
	}
	var objs []map[string]any
	var collect func(v any, depth int) error
	collect = func(v any, depth int) error {
		switch v := v.(type) {
		case []any:
			if depth > 0 {
				return fmt.Errorf("observations: nested JSON lists are not STIX objects")
			}
			for _, e := range v {
				if err := collect(e, depth+1); err != nil {
					return err
				}
			}
		case map[string]any:
			if v["type"] == "bundle" {
				list, _ := v["objects"].([]any)
				for _, e := range list {
					if m, ok := e.(map[string]any); ok {
						objs = append(objs, m)
					}
				}
				return nil
			}
			objs = append(objs, v)
		default:
			return fmt.Errorf("observations: expected a STIX object or bundle, found %T", v)
		}
		return nil
	}
	if err := collect(top, 0); err != nil {
		return nil, err
	}
	return ObservationsFromObjects(objs)
}

// ObservationsFromObjects builds observations from decoded STIX objects
// (as produced by encoding/json, with or without UseNumber). Every
// observed-data object becomes one Observation; other objects are
// available to its object_refs and to reference resolution.
func ObservationsFromObjects(objs []map[string]any) ([]Observation, error) {
	index := make(map[string]map[string]any)
	for _, o := range objs {
		if id, ok := o["id"].(string); ok && o["type"] != "observed-data" {
			index[id] = normalizeObject(o)
		}
	}
	var out []Observation
	for _, o := range objs {
		if o["type"] != "observed-data" {
			continue
		}
		ob, err := observationFrom(o, index)
		if err != nil {
			return nil, err
		}
		out = append(out, ob)
	}
	return out, nil
}

func observationFrom(o map[string]any, index map[string]map[string]any) (Observation, error) {
	id, _ := o["id"].(string)
	ob := Observation{ID: id}
	fail := func(format string, args ...any) (Observation, error) {
		name := id
		if name == "" {
			name = "observed-data"
		}
		return Observation{}, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
	var err error
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"first_observed", &ob.FirstObserved}, {"last_observed", &ob.LastObserved}} {
		s, ok := o[f.name].(string)
		if !ok {
			return fail("%s is missing or not a string", f.name)
		}
		if *f.dst, err = parseTimestamp(s); err != nil {
			return fail("%s: %v", f.name, err)
		}
	}
	if ob.LastObserved.Before(ob.FirstObserved) {
		return fail("last_observed is before first_observed")
	}
	n, ok := toInt(o["number_observed"])
	if !ok || n < 1 {
		return fail("number_observed must be a whole number of at least 1")
	}
	ob.NumberObserved = n
	ob.Objects = make(map[string]map[string]any)
	if refs, ok := o["object_refs"].([]any); ok && len(refs) > 0 {
		for _, r := range refs {
			rid, _ := r.(string)
			if sco, ok := index[rid]; ok {
				if _, dup := ob.Objects[rid]; !dup {
					ob.Objects[rid] = sco
					ob.Roots = append(ob.Roots, rid)
				}
			}
		}
		ob.Lookup = index
		return ob, nil
	}
	if embedded, ok := o["objects"].(map[string]any); ok {
		for k, v := range embedded {
			if m, ok := v.(map[string]any); ok {
				ob.Objects[k] = normalizeObject(m)
				ob.Roots = append(ob.Roots, k)
			}
		}
		// JSON objects are unordered; sort numerically where possible so
		// "0", "1", ..., "10" keep their natural order.
		sort.Slice(ob.Roots, func(i, j int) bool {
			a, b := ob.Roots[i], ob.Roots[j]
			if len(a) != len(b) {
				return len(a) < len(b)
			}
			return a < b
		})
	}
	return ob, nil
}

func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case json.Number:
		n, err := strconv.Atoi(string(v))
		return n, err == nil
	case float64:
		if v == float64(int(v)) {
			return int(v), true
		}
	case int64:
		return int(v), true
	case int:
		return v, true
	}
	return 0, false
}

// normalizeObject converts a decoded JSON object into the forms the
// matcher compares: json.Number becomes int64 (integral text that fits) or
// float64; strings in properties ending in _hex or _bin become []byte, as
// the reference matcher does.
func normalizeObject(m map[string]any) map[string]any {
	out, _ := normalizeJSON(m, "").(map[string]any)
	return out
}

func normalizeJSON(v any, key string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = normalizeJSON(e, k)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalizeJSON(e, "")
		}
		return out
	case json.Number:
		s := string(v)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f
	case float64:
		if v == float64(int64(v)) && v < 1<<53 && v > -(1<<53) {
			return int64(v)
		}
		return v
	case int:
		return int64(v)
	case string:
		switch {
		case strings.HasSuffix(key, "_hex"):
			if b, err := hex.DecodeString(v); err == nil {
				return b
			}
		case strings.HasSuffix(key, "_bin"):
			if b, err := base64.StdEncoding.DecodeString(v); err == nil {
				return b
			}
		}
		return v
	}
	return v
}
