package notify_test

import (
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	ok := []struct {
		in      notify.Item
		want    notify.Item
		warning string // a substring, "" for none
	}{
		{item("cidr", "203.0.113.0/24", ""), item("cidr", "203.0.113.0/24", ""), ""},
		{item("CIDR", " 203.0.113.7 ", ""), item("cidr", "203.0.113.7/32", ""), ""},
		{item("cidr", "203.0.113.7/24", ""), item("cidr", "203.0.113.0/24", ""), "host bits"},
		{item("cidr", "2001:DB8::/32", ""), item("cidr", "2001:db8::/32", ""), ""},
		{item("cidr", "2001:db8::1", ""), item("cidr", "2001:db8::1/128", ""), ""},
		{item("cidr", "::ffff:203.0.113.0/120", ""), item("cidr", "203.0.113.0/24", ""), "IPv4-mapped"},
		{item("cidr", "::ffff:0:0/96", ""), item("cidr", "0.0.0.0/0", ""), "IPv4-mapped"},
		{item("cidr", "::/0", ""), item("cidr", "::/0", ""), ""},
		{item("asn", "AS64500", ""), item("asn", "AS64500", ""), ""},
		{item("asn", "as 64500", ""), item("asn", "AS64500", ""), ""},
		{item("asn", "64500", ""), item("asn", "AS64500", ""), ""},
		{item("asn", "1.10", ""), item("asn", "AS65546", ""), ""},
		{item("asn", "4200000000", ""), item("asn", "AS4200000000", ""), ""},
		{item("domain", "County.Example.", ""), item("domain", "county.example", ""), ""},
		{item("domain", "*.county.example", ""), item("domain", "county.example", ""), "subdomains"},
		{item("domain", "_dmarc.county.example", ""), item("domain", "_dmarc.county.example", ""), ""},
		{item("domain", "xn--bcher-kva.example", ""), item("domain", "xn--bcher-kva.example", ""), ""},
		{item("email-domain", "@County.Example", ""), item("email-domain", "county.example", ""), ""},
		{item("url", "HTTPS://Portal.County.Example:443/App?x=1#frag", ""), item("url", "https://portal.county.example/App?x=1", ""), "fragment"},
		{item("url", "http://portal.county.example", ""), item("url", "http://portal.county.example/", ""), ""},
		{item("url", "http://portal.county.example:8080/a%20b", ""), item("url", "http://portal.county.example:8080/a%20b", ""), ""},
		{item("url", "http://[2001:db8::1]/x", ""), item("url", "http://[2001:db8::1]/x", ""), ""},
		{item("url", "http://203.0.113.7/x", ""), item("url", "http://203.0.113.7/x", ""), ""},
		{item("cpe", "cpe:2.3:a:Apache:HTTP_Server:2.4.57:*:*:*:*:*:*:*", ""),
			item("cpe", "cpe:2.3:a:apache:http_server:2.4.57:*:*:*:*:*:*:*", "2.4.57"), ""},
		{item("cpe", "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*", "2.4.57"),
			item("cpe", "cpe:2.3:a:apache:http_server:2.4.57:*:*:*:*:*:*:*", "2.4.57"), ""},
		{item("cpe", "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*", ""),
			item("cpe", "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*", ""), ""},
		{item("cpe", "cpe:2.3:a:vendor:prod:*:*:*:*:*:*:*:*", "1.0 beta"), notify.Item{}, "!"}, // rejected, see below
		{item("cpe", `cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*`, ""),
			item("cpe", `cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*`, "8.0.6001"), ""},
		{item("cpe", `cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*`, ""),
			item("cpe", `cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*`, "7.4.0.1570"), ""},
		{item("cpe", `cpe:2.3:a:foo\\bar:big\$money:2010:*:*:*:special:ipod_touch:80gb:*`, ""),
			item("cpe", `cpe:2.3:a:foo\\bar:big\$money:2010:*:*:*:special:ipod_touch:80gb:*`, "2010"), ""},
		{item("purl", "pkg:npm/lodash@4.17.20", ""), item("purl", "pkg:npm/lodash@4.17.20", "4.17.20"), ""},
		{item("purl", "pkg:pypi/Django_Rest", "3.1"), item("purl", "pkg:pypi/django-rest@3.1", "3.1"), ""},
		{item("purl", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "2.14.1"),
			item("purl", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "2.14.1"), ""},
	}
	for _, tc := range ok {
		got, warning, err := notify.Normalize(tc.in)
		if tc.warning == "!" {
			if err == nil {
				t.Errorf("Normalize(%v) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("Normalize(%v): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Normalize(%v) = %#v, want %#v", tc.in, got, tc.want)
		}
		if tc.warning == "" && warning != "" || tc.warning != "" && !strings.Contains(warning, tc.warning) {
			t.Errorf("Normalize(%v) warning %q, want %q", tc.in, warning, tc.warning)
		}
		// Normalising is idempotent, and quietly so.
		again, w2, err := notify.Normalize(got)
		if err != nil || again != got || w2 != "" {
			t.Errorf("Normalize(Normalize(%v)) = %v, %q, %v", tc.in, again, w2, err)
		}
	}

	bad := []struct {
		in     notify.Item
		reason string
	}{
		{item("router", "x", ""), "is not one of"},
		{item("", "x", ""), "kind is empty"},
		{item("cidr", "", ""), "value is empty"},
		{item("cidr", "203.0.113.0/33", ""), "CIDR"},
		{item("cidr", "203.0.113", ""), "not an IP"},
		{item("cidr", "203.000.113.1", ""), "not an IP"},
		{item("cidr", "fe80::1%eth0", ""), "zone"},
		{item("cidr", "203.0.113.0/24", "1.0"), "only cpe and purl"},
		{item("asn", "AS0", ""), "reserved"},
		{item("asn", "AS23456", ""), "reserved"},
		{item("asn", "AS4294967296", ""), "not an AS number"},
		{item("asn", "ASX", ""), "not an AS number"},
		{item("domain", "https://county.example", ""), "no scheme"},
		{item("domain", "county.example/path", ""), "no path"},
		{item("domain", "bücher.example", ""), "non-ASCII"},
		{item("domain", "example", ""), "two labels"},
		{item("domain", "-bad.example", ""), "hyphen"},
		{item("domain", "a..example", ""), "empty label"},
		{item("domain", "203.0.113.7", ""), "use kind cidr"},
		{item("domain", "pat@county.example", ""), "email-domain"},
		{item("domain", strings.Repeat("a", 64)+".example", ""), "63"},
		{item("domain", "1.2.3.999", ""), "all digits"},
		{item("email-domain", "pat@county.example", ""), "domain only"},
		{item("url", "ftp://county.example/", ""), "http"},
		{item("url", "county.example/x", ""), "http"},
		{item("url", "https://pat:secret@county.example/", ""), "credentials"},
		{item("url", "https://intranet/", ""), "fully qualified"},
		{item("url", "https://bücher.example/", ""), "non-ASCII"},
		{item("url", "https://county.example:0/", ""), "port"},
		{item("cpe", "cpe:/a:apache:http_server:2.4", ""), "2.2 URI"},
		{item("cpe", "cpe:2.3:a:apache:http_server", ""), "attributes"},
		{item("cpe", "cpe:2.3:x:apache:http_server:*:*:*:*:*:*:*:*", ""), "part"},
		{item("cpe", "cpe:2.3:a:*:http_server:*:*:*:*:*:*:*:*", ""), "vendor"},
		{item("cpe", "cpe:2.3:a:apache:-:*:*:*:*:*:*:*:*", ""), "product"},
		{item("cpe", "cpe:2.3:a:apache:http*:*:*:*:*:*:*:*:*", ""), "wildcards"},
		{item("cpe", "cpe:2.3:a:apache:http_server:2.4:*:*:*:*:*:*:*", "2.5"), "disagrees"},
		{item("cpe", "cpe:2.3:a:apache:http_server:-:*:*:*:*:*:*:*", "2.5"), "does not apply"},
		{item("cpe", "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*", "*"), "empty"},
		{item("cpe", "cpe:2.3:a:big$money:x:*:*:*:*:*:*:*:*", ""), "escaped"},
		{item("purl", "npm/lodash", ""), "package URL"},
		{item("purl", "pkg:npm/lodash@1.0", "2.0"), "disagrees"},
		{item("purl", "pkg:npm/lodash\x00@1.0", ""), "control"},
	}
	for _, tc := range bad {
		_, _, err := notify.Normalize(tc.in)
		if err == nil {
			t.Errorf("Normalize(%v) succeeded, want an error with %q", tc.in, tc.reason)
			continue
		}
		if errs.CodeOf(err) != errs.Invalid || !strings.Contains(errs.MessageOf(err), tc.reason) {
			t.Errorf("Normalize(%v) = %v (%s), want Invalid with %q", tc.in, err, errs.CodeOf(err), tc.reason)
		}
	}
}

func item(kind, value, version string) notify.Item {
	return notify.Item{Kind: notify.Kind(kind), Value: value, Version: version}
}
