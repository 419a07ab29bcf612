package stix_test

import (
	"fmt"

	"github.com/rampart-project/rampart/stix"
)

func ExampleValidate() {
	obj, err := stix.ParseObject([]byte(`{
	  "type": "indicator", "spec_version": "2.1",
	  "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
	  "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
	  "created_by_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
	  "pattern": "[ipv4-addr:value = '10.0.0.1'", "pattern_type": "stix",
	  "valid_from": "2016-01-01T00:00:00Z", "valid_until": "2015-01-01T00:00:00Z"
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range stix.Validate(obj) {
		fmt.Println(f.Severity, f.Path)
	}
	// Output:
	// error created_by_ref
	// error valid_until
	// error pattern
}

func ExampleTLPOf() {
	level, ok := stix.TLPOf([]string{
		stix.TLP1GreenID,       // TLP 1.0 green
		stix.TLP2AmberStrictID, // TLP 2.0 AMBER+STRICT
	})
	fmt.Println(level, ok)
	// Output: amber+strict true
}

func ExampleObject_With() {
	obj, _ := stix.ParseObject([]byte(`{"type":"url", "value":"http://a.example/",  "x_seen": 3}`))
	obj, _ = obj.With("x_seen", 4)
	fmt.Println(string(obj.Raw()))
	// Output: {"type":"url", "value":"http://a.example/",  "x_seen": 4}
}
