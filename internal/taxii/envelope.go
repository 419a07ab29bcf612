package taxiiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/stix"
)

// posted is what an add-objects request carries: the elements of the
// envelope's objects list that are JSON objects, and the others, which
// fail on their own without sinking the rest.
type posted struct {
	objs    []stix.Object
	rejects []reject
	total   int // elements in the objects list
}

// reject is an element that is not a STIX object at all.
type reject struct {
	index   int
	message string
}

// decodeEnvelope reads an envelope as it streams in, keeping one element
// at a time in flight rather than the whole body twice. The envelope's
// other properties (more, next) mean nothing in a request and are
// skipped. Returns Unprocessable when the body is not one JSON object with
// an objects list, and the *http.MaxBytesError of the body limit as is, so
// that it is answered 413.
func decodeEnvelope(body io.Reader) (posted, error) {
	var p posted
	dec := json.NewDecoder(body)
	bad := func(what string, err error) (posted, error) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return posted{}, err
		}
		msg := "The envelope " + what
		if err != nil {
			msg += fmt.Sprintf(" (at byte %d: %v)", dec.InputOffset(), err)
		}
		return posted{}, errs.Wrap(errs.Unprocessable, err, "%s; nothing was stored.", msg)
	}
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return bad("is empty", nil)
		}
		return bad("is not JSON", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return bad("is not a JSON object", nil)
	}
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad("is not valid JSON", err)
		}
		if key, _ := tok.(string); key != "objects" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return bad("is not valid JSON", err)
			}
			continue
		}
		if seen {
			return bad("has two objects lists", nil)
		}
		seen = true
		if tok, err = dec.Token(); err != nil {
			return bad("is not valid JSON", err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return bad("has an objects property that is not a list", nil)
		}
		for i := 0; dec.More(); i++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return bad(fmt.Sprintf("is not valid JSON in objects[%d]", i), err)
			}
			p.total++
			obj, err := stix.ParseObject(raw)
			if err != nil {
				p.rejects = append(p.rejects, reject{index: i, message: fmt.Sprintf("objects[%d] is not a STIX object: %v", i, err)})
				continue
			}
			p.objs = append(p.objs, obj)
		}
		if _, err := dec.Token(); err != nil {
			return bad("is not valid JSON", err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return bad("is not valid JSON", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return posted{}, err
		}
		return bad("is followed by more data", nil)
	}
	if !seen {
		return bad("has no objects list", nil)
	}
	return p, nil
}
