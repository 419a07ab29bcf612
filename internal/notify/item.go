package notify

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Kind is the kind of an inventory entry.
type Kind string

// The kinds of inventory entry.
const (
	KindCIDR        Kind = "cidr"
	KindASN         Kind = "asn"
	KindDomain      Kind = "domain"
	KindEmailDomain Kind = "email-domain"
	KindURL         Kind = "url"
	KindCPE         Kind = "cpe"
	KindPURL        Kind = "purl"
)

// kindOrder is every kind, in the order lists show them; the matcher
// stores a kind as its index here.
var kindOrder = [...]Kind{KindCIDR, KindASN, KindDomain, KindEmailDomain, KindURL, KindCPE, KindPURL}

// Kinds lists every kind, in the order lists show them.
func Kinds() []Kind { return slices.Clone(kindOrder[:]) }

// ParseKind accepts a kind in any case.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(kindOrder[:], k) {
		return k, nil
	}
	if s == "" {
		return "", errs.E(errs.Invalid, "kind is empty; use one of %s", kindList())
	}
	return "", errs.E(errs.Invalid, "kind %q is not one of %s", clip(s), kindList())
}

func kindList() string {
	names := make([]string, len(kindOrder))
	for i, k := range kindOrder {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// Item is one inventory entry. Version is set only for software (cpe and
// purl), and then mirrors the version inside Value.
type Item struct {
	Kind    Kind   `json:"kind"`
	Value   string `json:"value"`
	Version string `json:"version,omitempty"`
}

// String renders the item for messages; a software entry's value carries
// its version.
func (it Item) String() string { return string(it.Kind) + " " + it.Value }

// maxValue bounds an entry's value: long enough for any real URL or CPE,
// short enough that an inventory cannot be used to store blobs.
const (
	maxValue   = 2048
	maxVersion = 256
)

// Normalize validates it and returns its canonical form, with a warning
// when the input was accepted only after a change the owner should know
// about (host bits cleared, a wildcard dropped). It returns an errs.Invalid
// error whose message says what is wrong.
func Normalize(it Item) (Item, string, error) {
	kind, err := ParseKind(string(it.Kind))
	if err != nil {
		return Item{}, "", err
	}
	value := strings.TrimSpace(it.Value)
	version := strings.TrimSpace(it.Version)
	if value == "" {
		return Item{}, "", errs.E(errs.Invalid, "%s: value is empty", kind)
	}
	if len(value) > maxValue {
		return Item{}, "", errs.E(errs.Invalid, "%s: value is longer than %d characters", kind, maxValue)
	}
	if len(version) > maxVersion {
		return Item{}, "", errs.E(errs.Invalid, "%s: version is longer than %d characters", kind, maxVersion)
	}
	if kind != KindCPE && kind != KindPURL && version != "" {
		return Item{}, "", errs.E(errs.Invalid, "%s %s: only cpe and purl entries have a version", kind, clip(value))
	}
	out := Item{Kind: kind}
	var warning string
	switch kind {
	case KindCIDR:
		out.Value, warning, err = normalizeCIDR(value)
	case KindASN:
		out.Value, err = normalizeASN(value)
	case KindDomain:
		out.Value, warning, err = normalizeDomainEntry(value)
	case KindEmailDomain:
		out.Value, err = normalizeEmailDomain(value)
	case KindURL:
		out.Value, warning, err = normalizeURLEntry(value)
	case KindCPE:
		out.Value, out.Version, err = normalizeCPEEntry(value, version)
	case KindPURL:
		out.Value, out.Version, err = normalizePURLEntry(value, version)
	}
	if err != nil {
		return Item{}, "", errs.E(errs.Invalid, "%s %s: %s", kind, clip(shown(value)), err.Error())
	}
	return out, warning, nil
}

// shown is a value as messages may repeat it: a URL's password is
// replaced, because reports are printed and shown.
func shown(value string) string {
	if u, err := url.Parse(value); err == nil && u.User != nil {
		return u.Redacted()
	}
	return value
}

// clip shortens a value for a message, so one absurd line cannot flood a
// report.
func clip(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

func normalizeCIDR(s string) (string, string, error) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return "", "", fmt.Errorf("not a network in CIDR notation: %s", netipReason(err))
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return "", "", fmt.Errorf("not an IP address or network")
		}
		if a.Zone() != "" {
			return "", "", fmt.Errorf("an address with a zone (%%%s) is link-local to one host", a.Zone())
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	var notes []string
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		notes = append(notes, "an IPv4-mapped IPv6 network is stored as IPv4")
	}
	if m := p.Masked(); m != p {
		notes = append(notes, fmt.Sprintf("host bits were set; stored as %s", m))
		p = m
	}
	return p.String(), strings.Join(notes, "; "), nil
}

// netipReason keeps the last clause of a net/netip error, which says what
// is wrong without repeating the input.
func netipReason(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func normalizeASN(s string) (string, error) {
	n, ok := parseASN(s)
	if !ok {
		return "", fmt.Errorf("not an AS number; write AS64500 or 64500")
	}
	if n == 0 || n == 23456 || n == 4294967295 {
		// AS 0 (RFC 7607), AS_TRANS (RFC 6793) and the last ASN are
		// reserved: no network originates routes from them.
		return "", fmt.Errorf("AS%d is reserved", n)
	}
	return "AS" + strconv.FormatUint(uint64(n), 10), nil
}

// parseASN reads "AS64500", "64500" or the asdot form "1.10".
func parseASN(s string) (uint32, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's') {
		s = strings.TrimSpace(s[2:])
	}
	if hi, lo, dot := strings.Cut(s, "."); dot {
		h, err1 := strconv.ParseUint(hi, 10, 16)
		l, err2 := strconv.ParseUint(lo, 10, 16)
		if err1 != nil || err2 != nil || !allDigits(hi) || !allDigits(lo) {
			return 0, false
		}
		return uint32(h<<16 | l), true
	}
	if !allDigits(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
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

func normalizeDomainEntry(s string) (string, string, error) {
	if strings.Contains(s, "://") {
		return "", "", fmt.Errorf("a domain has no scheme; use kind url for a URL")
	}
	if strings.Contains(s, "@") {
		return "", "", fmt.Errorf("a domain has no @; use kind email-domain for where your mail goes")
	}
	warning := ""
	if strings.HasPrefix(s, "*.") {
		s = s[2:]
		warning = "a domain covers its subdomains; the leading *. was dropped"
	}
	d, err := normalizeHostname(s)
	return d, warning, err
}

func normalizeEmailDomain(s string) (string, error) {
	if i := strings.LastIndexByte(s, '@'); i > 0 {
		return "", fmt.Errorf("give the domain only, not an address")
	}
	return normalizeHostname(strings.TrimPrefix(s, "@"))
}

// normalizeHostname validates a DNS name for the inventory: ASCII (xn-- for
// internationalised names), lower case, no trailing dot, at least two
// labels, and not an IP address.
func normalizeHostname(s string) (string, error) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return "", fmt.Errorf("non-ASCII name; write it in its ASCII (xn--) form")
		}
	}
	if strings.ContainsAny(s, "/:?# \t") {
		return "", fmt.Errorf("a domain has no path, port or spaces")
	}
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	if s == "" {
		return "", fmt.Errorf("empty name")
	}
	if len(s) > 253 {
		return "", fmt.Errorf("longer than 253 characters")
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return "", fmt.Errorf("an IP address is not a domain; use kind cidr")
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return "", fmt.Errorf("a single label would cover a whole top-level domain; give at least two labels")
	}
	for _, l := range labels {
		if l == "" {
			return "", fmt.Errorf("empty label")
		}
		if len(l) > 63 {
			return "", fmt.Errorf("label %q is longer than 63 characters", clip(l))
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "", fmt.Errorf("label %q starts or ends with a hyphen", l)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", fmt.Errorf("character %q is not allowed in a domain", c)
			}
		}
	}
	if allDigits(labels[len(labels)-1]) {
		return "", fmt.Errorf("a top-level domain is never all digits")
	}
	return s, nil
}

func normalizeURLEntry(s string) (string, string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", "", fmt.Errorf("not a URL")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", "", fmt.Errorf("use an absolute http:// or https:// URL")
	}
	if u.Opaque != "" || u.Host == "" {
		return "", "", fmt.Errorf("the URL has no host")
	}
	if u.User != nil {
		return "", "", fmt.Errorf("a URL in the inventory must not carry credentials")
	}
	host, err := normalizeURLHost(u.Hostname())
	if err != nil {
		return "", "", err
	}
	port := u.Port()
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return "", "", fmt.Errorf("port %q is not a port number", port)
		}
		if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
			port = ""
		} else {
			port = strconv.FormatUint(n, 10)
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	out := scheme + "://" + host + path
	if u.RawQuery != "" || u.ForceQuery {
		out += "?" + u.RawQuery
	}
	warning := ""
	if u.Fragment != "" || strings.Contains(s, "#") {
		warning = "the fragment (#...) was dropped: it never reaches a server"
	}
	return out, warning, nil
}

// normalizeURLHost accepts a DNS name (one label is allowed in a URL: an
// intranet host) or an IP literal.
func normalizeURLHost(h string) (string, error) {
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return "", fmt.Errorf("an address with a zone is local to one host")
		}
		return a.Unmap().String(), nil
	}
	if !strings.Contains(strings.TrimSuffix(h, "."), ".") {
		for i := 0; i < len(h); i++ {
			if h[i] >= 0x80 {
				return "", fmt.Errorf("non-ASCII host; write it in its ASCII (xn--) form")
			}
		}
		return "", fmt.Errorf("host %q is not a fully qualified domain name", clip(h))
	}
	d, err := normalizeHostname(h)
	if err != nil {
		return "", fmt.Errorf("host: %w", err)
	}
	return d, nil
}

func normalizeCPEEntry(value, version string) (string, string, error) {
	c, err := ParseCPE(value)
	if err != nil {
		return "", "", err
	}
	if err := c.validName(); err != nil {
		return "", "", err
	}
	v := c.attrs[attrVersion]
	switch {
	case version == "":
	case version == "*" || version == "-":
		return "", "", fmt.Errorf("leave the version empty when it is unknown or does not apply")
	case v.kind == attrAny:
		if err := validCPEVersionText(version); err != nil {
			return "", "", err
		}
		c.attrs[attrVersion] = cpeAttr{kind: attrValue, body: strings.ToLower(version)}
	case v.kind == attrNA:
		return "", "", fmt.Errorf("the CPE says its version does not apply (-), but the version column says %q", version)
	case !strings.EqualFold(v.body, version):
		return "", "", fmt.Errorf("the version column %q disagrees with the CPE's version %q", version, v.body)
	}
	return c.String(), c.attrs[attrVersion].logical(), nil
}

func validCPEVersionText(v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("the version %q contains a space or a non-ASCII character", v)
		}
	}
	return nil
}
