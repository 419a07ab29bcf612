package taxii_test

import (
	"testing"

	"github.com/rampart-project/rampart/taxii"
)

func TestAcceptsTAXII(t *testing.T) {
	t.Parallel()
	tests := []struct {
		accept string
		want   bool
	}{
		// The plain cases.
		{"", true}, // no preference (RFC 9110)
		{"   ", true},
		{"application/taxii+json;version=2.1", true},
		{"application/taxii+json", true},
		{"*/*", true},
		{"application/*", true},

		// Case, whitespace, quoting.
		{"APPLICATION/TAXII+JSON;VERSION=2.1", true},
		{"application/taxii+json ; version = 2.1", true}, // not RFC 9110, but unambiguous
		{"application/taxii+json ; version=2.1", true},
		{"\tapplication/taxii+json;\tversion=2.1\t", true},
		{`application/taxii+json;version="2.1"`, true},
		{`application/taxii+json;version="2.0"`, false},

		// Other versions and other types.
		{"application/taxii+json;version=2.0", false},
		{"application/taxii+json;version=2.10", false},
		{"application/taxii+json;version=2", false},
		{"application/vnd.oasis.taxii+json;version=2.0", false},
		{"application/json", false},
		{"text/html", false},
		{"text/*", false},
		{"application/stix+json;version=2.1", false},
		{"application/taxii+json;version=2.1;version=2.0", false}, // ambiguous
		{"application/taxii+json;version=2.1;charset=utf-8", true},

		// q-values.
		{"application/taxii+json;version=2.1;q=0", false},
		{"application/taxii+json;version=2.1;q=0.000", false},
		{"application/taxii+json;version=2.1;q=0.001", true},
		{"application/taxii+json;version=2.1;Q=0.5", true},
		{"application/taxii+json;q=0", false},
		{"*/*;q=0", false},
		{"application/*;q=0", false},
		{"*/*;q=0.1", true},
		{"application/taxii+json;version=2.1;q=1", true},
		{"application/taxii+json;version=2.1;q=1.000", true},
		// A malformed q makes its element void; nothing else matches.
		{"application/taxii+json;version=2.1;q=2", false},
		{"application/taxii+json;version=2.1;q=1.5", false},
		{"application/taxii+json;version=2.1;q=0.0001", false},
		{"application/taxii+json;version=2.1;q=", false},
		{"application/taxii+json;version=2.1;q=abc", false},
		// Parameters after q are extensions, not a version.
		{"application/taxii+json;q=0.5;version=2.0", true},

		// Several entries: the most specific match decides.
		{"text/html, application/taxii+json;version=2.1", true},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true},
		{"text/html,application/xhtml+xml,application/xml;q=0.9", false},
		{"application/taxii+json;version=2.1;q=0, */*", false},
		{"*/*, application/taxii+json;version=2.1;q=0", false},
		{"application/taxii+json;q=0, */*", false},
		{"application/taxii+json;q=0, application/taxii+json;version=2.1", true},
		{"application/taxii+json, application/taxii+json;version=2.1;q=0", false},
		{"application/*;q=0, */*", false},
		{"*/*;q=0, application/*", true},
		{"application/*;q=0, application/taxii+json", true},
		{"application/taxii+json;version=2.0, */*;q=0.1", true},
		{"application/taxii+json;version=2.0, application/json", false},
		{"application/json, application/taxii+json;version=2.1;q=0.2", true},

		// Empty list elements and junk.
		{",,application/taxii+json;version=2.1,,", true},
		{",", false},
		{"garbage", false},
		{"application/", false},
		{"/taxii+json", false},
		{"application/taxii+json;", true},
		{"application/taxii+json;;version=2.1", true},
		{"application/taxii+json;version", false},
		{"application/taxii+json;version=", false},
		{"application/taxii+json version=2.1", false},
		{"application/taxii+json;version=2.1 junk", false},
		{`application/taxii+json;version="2.1`, false},
		{"*/*;version=2.1", false},
		// A quoted comma does not split the list.
		{`application/json;x="a,application/taxii+json"`, false},
		{`text/plain;x="a,b", application/taxii+json;version=2.1`, true},
		{`application/taxii+json;x="\"q=0,"`, true},
	}
	for _, tt := range tests {
		if got := taxii.AcceptsTAXII(tt.accept); got != tt.want {
			t.Errorf("AcceptsTAXII(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}

func TestIsTAXIIContentType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ct   string
		want bool
	}{
		{taxii.MediaTypeTAXII, true},
		{"application/taxii+json; version=2.1", true},
		{"  application/taxii+json ;version=2.1  ", true},
		{"application/taxii+json;version = 2.1", true},
		{"Application/TAXII+JSON;Version=2.1", true},
		{`application/taxii+json;version="2.1"`, true},
		{"application/taxii+json;version=2.1;charset=utf-8", true},
		{"application/taxii+json;charset=utf-8;version=2.1", true},

		{"", false},
		{"application/taxii+json", false}, // the version is required
		{"application/taxii+json;version=2.0", false},
		{"application/taxii+json;version=2.1;version=2.1", false},
		{"application/taxii+json;version=2.1x", false},
		{"application/stix+json;version=2.1", false},
		{"application/json", false},
		{"application/*", false},
		{"*/*", false},
		{"application/taxii+json;version=2.1,application/json", false},
		{"application/taxii+json;version 2.1", false},
		{"application/taxii+jsonx;version=2.1", false},
	}
	for _, tt := range tests {
		if got := taxii.IsTAXIIContentType(tt.ct); got != tt.want {
			t.Errorf("IsTAXIIContentType(%q) = %v, want %v", tt.ct, got, tt.want)
		}
	}
}
