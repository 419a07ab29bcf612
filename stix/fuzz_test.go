package stix

import (
	"bytes"
	"reflect"
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

// FuzzDecodeAny checks the validator's decoder against encoding/json: the
// same value for every input encoding/json accepts, an error for every
// input it refuses.
func FuzzDecodeAny(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,"x",true,false,null,{}],"b":"\u00e9\n\"q\"","c":[]}`, `"caf\xc3\xa9"`, `"\xff"`,
		`[1,]`, `{"a" 1}`, `01`, `1.`, `"a` + "\x01" + `"`, `[[[[]]]]`, ` 7 `, `{"a":1}x`, `{"a":1,"a":2}`, `-`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeAny(data)
		want, wantErr := decodeStandard(data)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decodeAny(%q) error %v, encoding/json %v", data, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeAny(%q) = %#v, encoding/json %#v", data, got, want)
		}
	})
}
