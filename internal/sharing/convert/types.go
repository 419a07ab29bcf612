package convert

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// valueType is what the package knows about one kind of indicator value,
// named as MISP names its attribute types (the CSV reader accepts these
// names too): how to check and normalise a value, the STIX pattern that
// detects it, and the cyber-observables that record a sighting of it.
type valueType struct {
	parse   func(string) ([]string, error)
	pattern func(p []string) []bracket
	// observe registers the observables for the value and returns their
	// ids; nil when STIX has no observable that can hold the value alone.
	observe func(c *converter, at origin, p []string) ([]string, bool)
}

// valueTypes maps MISP attribute types to their handling. It is built once
// and never changed.
var valueTypes = buildValueTypes()

// hashAlgo is a hash as MISP names it: the STIX hashes key and the length
// of its hex digest (0 for fuzzy hashes, which are not hex).
type hashAlgo struct {
	key    string
	hexLen int
}

var hashAlgos = map[string]hashAlgo{
	"md5": {"MD5", 32}, "sha1": {"SHA-1", 40}, "sha224": {"SHA-224", 56}, "sha256": {"SHA-256", 64},
	"sha384": {"SHA-384", 96}, "sha512": {"SHA-512", 128}, "sha3-224": {"SHA3-224", 56},
	"sha3-256": {"SHA3-256", 64}, "sha3-384": {"SHA3-384", 96}, "sha3-512": {"SHA3-512", 128},
	"ssdeep": {"SSDEEP", 0}, "tlsh": {"TLSH", 0},
}

// ruleTypes are MISP attribute types whose value is a detection rule in a
// language STIX names as a pattern_type; they become indicators with
// that pattern_type and the rule as the pattern.
var ruleTypes = map[string]string{"yara": "yara", "sigma": "sigma", "snort": "snort", "suricata": "suricata"}

func buildValueTypes() map[string]valueType {
	m := map[string]valueType{}
	for _, dir := range []string{"src", "dst"} {
		ref := "network-traffic:" + dir + "_ref"
		m["ip-"+dir] = valueType{
			parse:   one(checkIP),
			pattern: func(p []string) []bracket { return []bracket{ipComparisons(ref, p[0])} },
			observe: func(c *converter, at origin, p []string) ([]string, bool) {
				id, ok := c.ipSCO(at, p[0])
				return []string{id}, ok
			},
		}
		m["ip-"+dir+"|port"] = valueType{
			parse: two(checkIP, checkPort, false),
			pattern: func(p []string) []bracket {
				return []bracket{append(ipComparisons(ref, p[0]), eqInt("network-traffic:"+dir+"_port", p[1]))}
			},
			observe: func(c *converter, at origin, p []string) ([]string, bool) {
				ip, ok := c.ipSCO(at, p[0])
				if !ok {
					return nil, false
				}
				nt := scoObject("network-traffic").set(dir+"_ref", ip).set(dir+"_port", atoi(p[1])).
					set("protocols", []string{ipVersion(p[0])})
				id, ok := c.sco(at, nt)
				return []string{ip, id}, ok
			},
		}
	}
	domain := valueType{
		parse:   one(checkDomain),
		pattern: func(p []string) []bracket { return []bracket{{eq("domain-name:value", p[0])}} },
		observe: func(c *converter, at origin, p []string) ([]string, bool) {
			id, ok := c.sco(at, scoObject("domain-name").set("value", p[0]))
			return []string{id}, ok
		},
	}
	m["domain"], m["hostname"] = domain, domain
	m["hostname|port"] = valueType{
		parse: two(checkDomain, checkPort, false),
		pattern: func(p []string) []bracket {
			return []bracket{{eq("network-traffic:dst_ref.type", "domain-name"), eq("network-traffic:dst_ref.value", p[0]),
				eqInt("network-traffic:dst_port", p[1])}}
		},
		// Without an address family or transport MISP gives nothing to
		// fill network-traffic's required protocols with, so only the
		// name is observed.
		observe: func(c *converter, at origin, p []string) ([]string, bool) {
			return domain.observe(c, at, p[:1])
		},
	}
	m["domain|ip"] = valueType{
		parse: two(checkDomain, checkIP, false),
		pattern: func(p []string) []bracket {
			return []bracket{{eq("domain-name:value", p[0]), ipComparison("domain-name:resolves_to_refs[*].value", p[1])}}
		},
		observe: func(c *converter, at origin, p []string) ([]string, bool) {
			ip, ok := c.ipSCO(at, p[1])
			if !ok {
				return nil, false
			}
			id, ok := c.sco(at, scoObject("domain-name").set("value", p[0]).set("resolves_to_refs", []string{ip}))
			return []string{id, ip}, ok
		},
	}
	url := valueType{
		parse:   one(checkURL),
		pattern: func(p []string) []bracket { return []bracket{{eq("url:value", p[0])}} },
		observe: func(c *converter, at origin, p []string) ([]string, bool) {
			id, ok := c.sco(at, scoObject("url").set("value", p[0]))
			return []string{id}, ok
		},
	}
	m["url"], m["uri"], m["link"] = url, url, url

	emailAddr := func(path string) valueType {
		return valueType{
			parse:   one(checkEmail),
			pattern: func(p []string) []bracket { return []bracket{{eq(path, p[0])}} },
			observe: func(c *converter, at origin, p []string) ([]string, bool) {
				id, ok := c.sco(at, scoObject("email-addr").set("value", p[0]))
				return []string{id}, ok
			},
		}
	}
	m["email"] = emailAddr("email-addr:value")
	m["email-src"] = emailAddr("email-message:from_ref.value")
	m["email-dst"] = emailAddr("email-message:to_refs[*].value")
	m["email-subject"] = valueType{
		parse:   one(checkText),
		pattern: func(p []string) []bracket { return []bracket{{eq("email-message:subject", p[0])}} },
		observe: func(c *converter, at origin, p []string) ([]string, bool) {
			id, ok := c.sco(at, scoObject("email-message").set("is_multipart", false).set("subject", p[0]))
			return []string{id}, ok
		},
	}
	// Header fields alone give an email-message no id contributing
	// property, so a deterministic id is impossible: pattern only.
	for typ, path := range map[string]string{
		"email-reply-to":   "email-message:additional_header_fields.'Reply-To'",
		"email-x-mailer":   "email-message:additional_header_fields.'X-Mailer'",
		"email-message-id": "email-message:message_id",
	} {
		m[typ] = valueType{parse: one(checkText), pattern: func(p []string) []bracket { return []bracket{{eq(path, p[0])}} }}
	}

	fileName := valueType{
		parse:   one(checkText),
		pattern: func(p []string) []bracket { return []bracket{{eq("file:name", p[0])}} },
		observe: func(c *converter, at origin, p []string) ([]string, bool) {
			id, ok := c.sco(at, scoObject("file").set("name", p[0]))
			return []string{id}, ok
		},
	}
	m["filename"], m["attachment"] = fileName, fileName
	m["email-attachment"] = valueType{
		parse: one(checkText),
		pattern: func(p []string) []bracket {
			return []bracket{{eq("email-message:body_multipart[*].body_raw_ref.name", p[0])}}
		},
		observe: fileName.observe,
	}
	for name, algo := range hashAlgos {
		m[name] = valueType{
			parse:   one(checkHash(algo)),
			pattern: func(p []string) []bracket { return []bracket{{eq(hashPath("file", algo.key), p[0])}} },
			observe: func(c *converter, at origin, p []string) ([]string, bool) {
				id, ok := c.sco(at, scoObject("file").set("hashes", map[string]string{algo.key: p[0]}))
				return []string{id}, ok
			},
		}
		m["filename|"+name] = valueType{
			parse: two(checkText, checkHash(algo), false),
			pattern: func(p []string) []bracket {
				return []bracket{{eq("file:name", p[0]), eq(hashPath("file", algo.key), p[1])}}
			},
			observe: func(c *converter, at origin, p []string) ([]string, bool) {
				f := scoObject("file").set("name", p[0]).set("hashes", map[string]string{algo.key: p[1]})
				id, ok := c.sco(at, f)
				return []string{id}, ok
			},
		}
	}
	m["malware-sample"] = m["filename|md5"]
	m["x509-fingerprint-md5"] = x509Type(hashAlgos["md5"])
	m["x509-fingerprint-sha1"] = x509Type(hashAlgos["sha1"])
	m["x509-fingerprint-sha256"] = x509Type(hashAlgos["sha256"])
	imphash := func(p []string) comparison {
		return eq("file:extensions.'windows-pebinary-ext'.imphash", p[len(p)-1])
	}
	m["imphash"] = valueType{parse: one(checkHash(hashAlgos["md5"])), pattern: func(p []string) []bracket { return []bracket{{imphash(p)}} }}
	m["filename|imphash"] = valueType{
		parse:   two(checkText, checkHash(hashAlgos["md5"]), false),
		pattern: func(p []string) []bracket { return []bracket{{eq("file:name", p[0]), imphash(p)}} },
	}
	m["size-in-bytes"] = valueType{
		parse:   one(checkSize),
		pattern: func(p []string) []bracket { return []bracket{{eqInt("file:size", p[0])}} },
	}
	m["mime-type"] = valueType{
		parse:   one(checkText),
		pattern: func(p []string) []bracket { return []bracket{{eq("file:mime_type", p[0])}} },
	}
	m["mutex"] = valueType{
		parse:   one(checkText),
		pattern: func(p []string) []bracket { return []bracket{{eq("mutex:name", p[0])}} },
		observe: func(c *converter, at origin, p []string) ([]string, bool) {
			id, ok := c.sco(at, scoObject("mutex").set("name", p[0]))
			return []string{id}, ok
		},
	}
	m["regkey"] = valueType{
		parse:   one(checkText),
		pattern: func(p []string) []bracket { return []bracket{{eq("windows-registry-key:key", p[0])}} },
		observe: func(c *converter, at origin, p []string) ([]string, bool) {
			id, ok := c.sco(at, scoObject("windows-registry-key").set("key", p[0]))
			return []string{id}, ok
		},
	}
	m["regkey|value"] = valueType{
		parse: two(checkText, checkData, true),
		pattern: func(p []string) []bracket {
			b := bracket{eq("windows-registry-key:key", p[0])}
			if p[1] != "" {
				b = append(b, eq("windows-registry-key:values[*].data", p[1]))
			}
			return []bracket{b}
		},
		observe: func(c *converter, at origin, p []string) ([]string, bool) {
			k := scoObject("windows-registry-key").set("key", p[0])
			if p[1] != "" {
				k.set("values", []any{map[string]string{"data": p[1]}})
			}
			id, ok := c.sco(at, k)
			return []string{id}, ok
		},
	}
	m["user-agent"] = valueType{
		parse: one(checkText),
		pattern: func(p []string) []bracket {
			return []bracket{{eq("network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'", p[0])}}
		},
	}
	m["AS"] = valueType{
		parse:   one(checkAS),
		pattern: func(p []string) []bracket { return []bracket{{eqInt("autonomous-system:number", p[0])}} },
		observe: func(c *converter, at origin, p []string) ([]string, bool) {
			id, ok := c.sco(at, scoObject("autonomous-system").set("number", atoi(p[0])))
			return []string{id}, ok
		},
	}
	m["mac-address"] = valueType{
		parse:   one(checkMAC),
		pattern: func(p []string) []bracket { return []bracket{{eq("mac-addr:value", p[0])}} },
		observe: func(c *converter, at origin, p []string) ([]string, bool) {
			id, ok := c.sco(at, scoObject("mac-addr").set("value", p[0]))
			return []string{id}, ok
		},
	}
	m["port"] = valueType{
		parse:   one(checkPort),
		pattern: func(p []string) []bracket { return []bracket{{eqInt("network-traffic:dst_port", p[0])}} },
	}
	// STIX 2.1 defines no property for TLS client fingerprints, so JA3
	// uses a custom object type; x- names are what STIX reserves for that.
	m["ja3-fingerprint-md5"] = valueType{
		parse:   one(checkHash(hashAlgos["md5"])),
		pattern: func(p []string) []bracket { return []bracket{{eq("x-ja3-fingerprint:md5", p[0])}} },
	}
	return m
}

func x509Type(algo hashAlgo) valueType {
	return valueType{
		parse:   one(checkFingerprint(algo)),
		pattern: func(p []string) []bracket { return []bracket{{eq(hashPath("x509-certificate", algo.key), p[0])}} },
		observe: func(c *converter, at origin, p []string) ([]string, bool) {
			id, ok := c.sco(at, scoObject("x509-certificate").set("hashes", map[string]string{algo.key: p[0]}))
			return []string{id}, ok
		},
	}
}

// ipSCO registers the ipv4-addr or ipv6-addr observable of an address.
func (c *converter) ipSCO(at origin, ip string) (string, bool) {
	typ := "ipv4-addr"
	if ipVersion(ip) == "ipv6" {
		typ = "ipv6-addr"
	}
	return c.sco(at, scoObject(typ).set("value", ip))
}

// Patterns ----------------------------------------------------------------

// comparison is one comparison expression of a pattern; lit is the
// constant as written in the pattern, already quoted.
type comparison struct{ path, op, lit string }

// bracket is an observation expression: comparisons joined by AND, all on
// one object.
type bracket []comparison

func eq(path, s string) comparison { return comparison{path, "=", quote(s)} }

// eqInt compares with an integer constant; n has been checked to be one.
func eqInt(path, n string) comparison { return comparison{path, "=", n} }

// quote writes s as a STIX pattern string constant, whose only escapes
// are \' and \\.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// ipComparison matches an address exactly, or any address in a CIDR
// block: equality with "10.0.0.0/8" would only match that literal string.
func ipComparison(path, ip string) comparison {
	if strings.Contains(ip, "/") {
		return comparison{path, "ISSUBSET", quote(ip)}
	}
	return eq(path, ip)
}

// ipComparisons constrains a network-traffic reference (src_ref, dst_ref)
// to an address; the type comparison keeps a domain-name of the same
// text from matching.
func ipComparisons(ref, ip string) bracket {
	typ := "ipv4-addr"
	if ipVersion(ip) == "ipv6" {
		typ = "ipv6-addr"
	}
	return bracket{eq(ref+".type", typ), ipComparison(ref+".value", ip)}
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// hashPath is the pattern path of a hash, quoting keys such as SHA-256
// that are not identifiers.
func hashPath(typ, key string) string {
	if identRe.MatchString(key) {
		return typ + ":hashes." + key
	}
	return typ + ":hashes." + quote(key)
}

// render writes observation expressions joined by AND. Comparisons that
// repeat are written once.
func render(bs []bracket) string {
	var parts []string
	for _, b := range bs {
		var cs []string
		for _, c := range b {
			s := c.path + " " + c.op + " " + c.lit
			if !contains(cs, s) {
				cs = append(cs, s)
			}
		}
		if len(cs) > 0 {
			parts = append(parts, "["+strings.Join(cs, " AND ")+"]")
		}
	}
	return strings.Join(parts, " AND ")
}

// objectType returns the object type a bracket's comparisons are on.
func (b bracket) objectType() string {
	if len(b) == 0 {
		return ""
	}
	t, _, _ := strings.Cut(b[0].path, ":")
	return t
}

// Values ----------------------------------------------------------------

func one(check func(string) (string, error)) func(string) ([]string, error) {
	return func(s string) ([]string, error) {
		v, err := check(s)
		return []string{v}, err
	}
}

// two reads a MISP composite value "a|b". The split is at the last bar,
// since a file name may hold one and a hash or port never does, or at the
// first for registry keys, whose data may.
func two(a, b func(string) (string, error), first bool) func(string) ([]string, error) {
	return func(s string) ([]string, error) {
		i := strings.LastIndexByte(s, '|')
		if first {
			i = strings.IndexByte(s, '|')
		}
		if i < 0 {
			return nil, errors.New("a composite value needs two parts separated by |")
		}
		x, err := a(s[:i])
		if err != nil {
			return nil, fmt.Errorf("first part: %w", err)
		}
		y, err := b(s[i+1:])
		if err != nil {
			return nil, fmt.Errorf("second part: %w", err)
		}
		return []string{x, y}, nil
	}
}

// checkText accepts any single-line text: file names, mutexes, registry
// keys, subjects. Control characters are refused because no such value
// holds one and they hide what a value really is.
func checkText(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("empty value")
	}
	return s, checkChars(s)
}

// checkRule accepts a detection rule: text that may span lines.
func checkRule(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("empty rule")
	}
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return errors.New("contains control characters")
		}
	}
	return nil
}

// checkData is checkText that allows the empty string, for the optional
// data of a registry value.
func checkData(s string) (string, error) {
	s = strings.TrimSpace(s)
	return s, checkChars(s)
}

func checkChars(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return errors.New("contains control characters")
		}
	}
	return nil
}

// checkIP accepts an IPv4 or IPv6 address, optionally with a CIDR
// suffix, and writes it in canonical form (lower case, IPv6 compressed).
func checkIP(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" {
			return "", errors.New("not an IP address or CIDR block")
		}
		return p.String(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return "", errors.New("not an IP address")
	}
	return a.String(), nil
}

func checkIPv4(s string) (string, error) {
	v, err := checkIP(s)
	if err != nil || ipVersion(v) != "ipv4" {
		return "", errors.New("not an IPv4 address or CIDR block")
	}
	return v, nil
}

func checkIPv6(s string) (string, error) {
	v, err := checkIP(s)
	if err != nil || ipVersion(v) != "ipv6" {
		return "", errors.New("not an IPv6 address or CIDR block")
	}
	return v, nil
}

// ipVersion returns "ipv4" or "ipv6" for an address checked by checkIP.
func ipVersion(ip string) string {
	a, _, _ := strings.Cut(ip, "/")
	if addr, err := netip.ParseAddr(a); err == nil && addr.Is4() {
		return "ipv4"
	}
	return "ipv6"
}

func checkPort(s string) (string, error) {
	s = strings.TrimSpace(s)
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return "", errors.New("not a port number (0 to 65535)")
	}
	return strconv.FormatUint(n, 10), nil
}

func checkSize(s string) (string, error) {
	s = strings.TrimSpace(s)
	n, err := strconv.ParseUint(s, 10, 62)
	if err != nil {
		return "", errors.New("not a size in bytes")
	}
	return strconv.FormatUint(n, 10), nil
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// checkDomain accepts a domain or host name, internationalised or not,
// and writes it in lower case without a trailing dot. Wildcards, URLs
// and addresses are refused: each would make a pattern that never
// matches what the author meant.
func checkDomain(s string) (string, error) {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if s == "" {
		return "", errors.New("empty domain name")
	}
	if !utf8.ValidString(s) {
		return "", errors.New("not valid UTF-8")
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return "", errors.New("an IP address, not a domain name")
	}
	if utf8.RuneCountInString(s) > 253 {
		return "", errors.New("longer than a domain name can be (253 characters)")
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" {
			return "", errors.New("not a domain name (empty label)")
		}
		for _, r := range label {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
				return "", fmt.Errorf("not a domain name (character %q)", r)
			}
		}
	}
	return s, nil
}

func checkURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("empty URL")
	}
	if err := checkChars(s); err != nil {
		return "", err
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return "", errors.New("not a URL (contains white space)")
	}
	return s, nil
}

func checkEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", errors.New("not an email address")
	}
	if err := checkChars(s); err != nil {
		return "", err
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return "", errors.New("not an email address (contains white space)")
	}
	d, err := checkDomain(s[at+1:])
	if err != nil {
		return "", fmt.Errorf("not an email address: %w", err)
	}
	return s[:at+1] + d, nil
}

var (
	hexRe    = regexp.MustCompile(`^[0-9a-f]+$`)
	ssdeepRe = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9/+]+:[A-Za-z0-9/+]+$`)
	tlshRe   = regexp.MustCompile(`^[0-9a-f]{70}$`)
)

// checkHash accepts a digest of the algorithm, written in lower case.
// TLSH digests lose the "T1" version prefix newer tools write, since
// STIX defines TLSH as the 70 hexadecimal digits.
func checkHash(algo hashAlgo) func(string) (string, error) {
	return func(s string) (string, error) {
		s = strings.TrimSpace(s)
		switch algo.key {
		case "SSDEEP":
			if !ssdeepRe.MatchString(s) {
				return "", errors.New("not an ssdeep hash (blocksize:hash:hash)")
			}
			return s, nil
		case "TLSH":
			s = strings.ToLower(s)
			if len(s) == 72 && strings.HasPrefix(s, "t1") {
				s = s[2:]
			}
			if !tlshRe.MatchString(s) {
				return "", errors.New("not a TLSH hash (70 hexadecimal digits)")
			}
			return s, nil
		}
		s = strings.ToLower(s)
		if len(s) != algo.hexLen || !hexRe.MatchString(s) {
			return "", fmt.Errorf("not a %s hash (%d hexadecimal digits)", algo.key, algo.hexLen)
		}
		return s, nil
	}
}

// checkFingerprint is checkHash that also accepts the colon-separated
// form certificate tools print (AB:CD:...).
func checkFingerprint(algo hashAlgo) func(string) (string, error) {
	check := checkHash(algo)
	return func(s string) (string, error) {
		return check(strings.ReplaceAll(s, ":", ""))
	}
}

// checkAS accepts "AS64496", "as64496" or "64496".
func checkAS(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && strings.EqualFold(s[:2], "as") {
		s = s[2:]
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return "", errors.New("not an autonomous system number")
	}
	return strconv.FormatUint(n, 10), nil
}

// checkMAC accepts the usual spellings of a 48-bit MAC address and writes
// the form STIX requires: lower case, colon-separated.
func checkMAC(s string) (string, error) {
	hw, err := net.ParseMAC(strings.TrimSpace(s))
	if err != nil || len(hw) != 6 {
		return "", errors.New("not a MAC address")
	}
	return hw.String(), nil
}
