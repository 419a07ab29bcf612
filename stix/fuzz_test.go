package stix

import (
	"bytes"
	"testing"
)

// FuzzParseValidate checks that parsing and validating arbitrary input
// never panics and that parsed objects round-trip byte for byte.
func FuzzParseValidate(f *testing.F) {
	for _, s := range []string{baseIndicator, baseRel, baseSighting, baseFile, baseLocation, baseMarking, customObj,
		`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + baseIndicator + `]}`, `{}`, `{"type":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if o, err := ParseObject(data); err == nil {
			_ = Validate(o)
			if out, _ := o.MarshalJSON(); !bytes.Equal(out, bytes.TrimSpace(data)) {
				t.Fatal("round trip changed the bytes")
			}
			_, _ = SCOID(o)
			_, _ = TLPOfMarking(o)
		}
		if b, err := ParseBundle(data); b != nil {
			_ = ValidateBundle(b)
			_ = err
		}
	})
}
