package sharing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/stix"
)

// Egress returns the object's bytes as they may leave this instance (over
// TAXII, to a federation peer, in a webhook): the stored bytes, with the
// OASIS TLP 2.0 marking of the object's level added when the object does
// not carry that level itself. TLP travels with the information: an object
// shared here as TLP:AMBER by a submission setting, with no marking of its
// own, would otherwise arrive elsewhere looking unmarked and be handled by
// the receiver's defaults.
func (v Version) Egress() (json.RawMessage, error) {
	if v.TLPMarked || v.TLP == access.Clear && !v.hasMarkings() {
		return v.Body, nil
	}
	if !v.hasMarkings() {
		// The common case, and on every page of a TAXII listing: no
		// markings at all. Appending the property before the closing
		// brace is what Object.With does, without parsing the object.
		if id, ok := stix.TLPMarkingID(strings.ToLower(string(v.TLP))); ok {
			body := bytes.TrimRight(v.Body, " \t\r\n")
			if n := len(body); n > 1 && body[n-1] == '}' {
				out := make([]byte, 0, n+80)
				out = append(out, body[:n-1]...)
				if len(bytes.TrimSpace(body[1:n-1])) > 0 {
					out = append(out, ',')
				}
				out = append(out, `"object_marking_refs":["`...)
				out = append(out, id...)
				out = append(out, `"]}`...)
				return out, nil
			}
		}
	}
	obj, err := v.Object()
	if err != nil {
		return nil, fmt.Errorf("sharing: egress %s: %w", v.StixID, err)
	}
	out, err := EgressObject(obj, v.TLP)
	if err != nil {
		return nil, err
	}
	b, _ := out.MarshalJSON()
	return b, nil
}

// EgressObject is Egress for an object whose stored TLP is tlp.
func EgressObject(obj stix.Object, tlp access.TLP) (stix.Object, error) {
	if obj.Type() == "marking-definition" || tlp == access.Clear && len(obj.ObjectMarkingRefs()) == 0 {
		return obj, nil
	}
	own, marked := stix.TLPOf(obj.ObjectMarkingRefs())
	if marked && strings.EqualFold(own, string(tlp)) {
		return obj, nil
	}
	id, ok := stix.TLPMarkingID(strings.ToLower(string(tlp)))
	if !ok {
		return obj, fmt.Errorf("sharing: egress %s: no marking for TLP:%s", obj.ID(), tlp)
	}
	refs := append(obj.ObjectMarkingRefs(), id)
	out, err := obj.With("object_marking_refs", refs)
	if err != nil {
		return obj, fmt.Errorf("sharing: egress %s: %w", obj.ID(), err)
	}
	return out, nil
}

// hasMarkings is a cheap look for object markings in the stored bytes.
func (v Version) hasMarkings() bool {
	return bytes.Contains(v.Body, []byte(`"object_marking_refs"`))
}
