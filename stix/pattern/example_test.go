package pattern_test

import (
	"errors"
	"fmt"

	"github.com/rampart-project/rampart/stix/pattern"
)

func ExampleParse() {
	p, err := pattern.Parse("[ipv4-addr:value ISSUBSET '198.51.100.0/24' OR ipv4-addr:value = '203.0.113.7']  WITHIN 60 SECONDS")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p)
	// Output: [ipv4-addr:value ISSUBSET '198.51.100.0/24' OR ipv4-addr:value = '203.0.113.7'] WITHIN 60 SECONDS
}

func ExampleParse_error() {
	_, err := pattern.Parse("[file:name = 'invoice.exe'")
	var pe *pattern.Error
	if errors.As(err, &pe) {
		fmt.Println("invalid:", pe.Msg)
		fmt.Println("at", pe.Line, pe.Column)
	}
	// Output:
	// invalid: expected ']' to close the observation expression started at column 1, found end of pattern
	// at 1 27
}

func ExamplePattern_Match() {
	bundle := []byte(`{"type": "bundle", "id": "bundle--1", "objects": [
	  {"type": "observed-data", "id": "observed-data--1", "first_observed": "2024-05-01T10:00:00Z",
	   "last_observed": "2024-05-01T10:00:00Z", "number_observed": 1, "object_refs": ["network-traffic--1"]},
	  {"type": "network-traffic", "id": "network-traffic--1", "dst_ref": "ipv4-addr--1", "dst_port": 443},
	  {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.7"}]}`)
	obs, err := pattern.ObservationsFromJSON(bundle)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := pattern.Parse("[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:dst_port = 443]")
	res, err := p.Match(obs)
	fmt.Println(res.Matched, res.ObservedData(), err)
	// Output: true [observed-data--1] <nil>
}

func ExamplePattern_Observables() {
	p, _ := pattern.Parse("[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4' OR file:name = 'x.exe' AND file:size > 10]")
	for _, o := range p.Observables() {
		fmt.Println(o.Type, o.Path, o.Op, o.Value, o.Sufficient)
	}
	// Output:
	// file hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4' true
	// file name = 'x.exe' false
	// file size > 10 false
}
