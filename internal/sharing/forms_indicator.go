package sharing

import (
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/patterns"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/stix"
)

var indicatorForm = &formKind{
	Kind: "indicator", Title: "Share an indicator", DefaultTLP: access.Green,
	defaults: func(m *Module, r *http.Request, c *identity.Caller, f *formData) {
		f.V.Set("valid_from", localInput(time.Now()))
		f.V.Set("indicator_types", "malicious-activity")
		if value := r.URL.Query().Get("value"); value != "" {
			f.V.Set("value", value)
			pat, err := patternFor(value)
			if err != nil {
				f.Err["value"] = err.Error()
				return
			}
			f.V.Set("pattern", pat)
		}
	},
	build: buildIndicator,
}

var indicatorFields = []string{"name", "description", "pattern", "valid_from", "valid_until", "indicator_types", "confidence"}

func buildIndicator(m *Module, r *http.Request, c *identity.Caller, f *formData, tlp access.TLP, now time.Time) []stix.Object {
	props := sdoProps("indicator", tlp, now)
	pat := f.required("pattern", "Enter a STIX pattern, such as [ipv4-addr:value = '198.51.100.7'], or make one from a value above.")
	if pat != "" {
		// The pattern is checked on its own first, for the error's line
		// and column; Validate would say the same without them.
		if res := patterns.Check(pat, "2.1"); res.Error != nil {
			mk := patterns.Mark(pat, res.Error)
			f.Mark = &mk
			f.Err["pattern"] = fmt.Sprintf("Line %d, column %d: %s", res.Error.Line, res.Error.Column, res.Error.Message)
		}
	}
	props["pattern"], props["pattern_type"], props["pattern_version"] = pat, "stix", "2.1"
	if s := f.text("name"); s != "" {
		props["name"] = s
	}
	if s := f.text("description"); s != "" {
		props["description"] = s
	}
	from := timeField(f.formState, "valid_from", false)
	if from.IsZero() {
		from = now
	}
	props["valid_from"] = stix.FormatTimestamp(from)
	if until := timeField(f.formState, "valid_until", false); !until.IsZero() {
		if !until.After(from) {
			f.Err["valid_until"] = "Valid until must come after valid from."
		}
		props["valid_until"] = stix.FormatTimestamp(until)
	}
	if types := f.V["indicator_types"]; len(types) > 0 {
		for _, t := range types {
			if !slices.Contains(indicatorTypes, t) {
				f.Err["indicator_types"] = fmt.Sprintf("%q is not an indicator type this form offers.", t)
			}
		}
		props["indicator_types"] = types
	}
	if n, ok := intField(f.formState, "confidence", 0, 100); ok {
		props["confidence"] = n
	}
	obj, findings, err := buildObject(props)
	if err != nil {
		f.Problems = append(f.Problems, err.Error())
		return nil
	}
	f.place(findings, indicatorFields...)
	return []stix.Object{obj}
}

var (
	domainRe = regexp.MustCompile(`^(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$`)
	hexRe    = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	// refang undoes the defanging people do before pasting into e-mail:
	// hxxp://evil[.]example, user[@]example.
	refanger = strings.NewReplacer("[.]", ".", "(.)", ".", "[dot]", ".", "[:]", ":", "[@]", "@", "[at]", "@")
)

// patternFor makes the pattern of an indicator for one value: an IP
// address or network, a domain, a URL, an e-mail address or a file hash.
func patternFor(value string) (string, error) {
	v := refanger.Replace(strings.TrimSpace(value))
	if low := strings.ToLower(v); strings.HasPrefix(low, "hxxp") {
		v = "http" + v[4:]
	}
	if v == "" {
		return "", errors.New("type a value first")
	}
	q := func(s string) string { return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'" }
	if ip, err := netip.ParseAddr(v); err == nil {
		typ := "ipv6-addr"
		if ip.Is4() || ip.Is4In6() {
			typ, ip = "ipv4-addr", ip.Unmap()
		}
		return "[" + typ + ":value = " + q(ip.String()) + "]", nil
	}
	if pfx, err := netip.ParsePrefix(v); err == nil {
		typ := "ipv6-addr"
		if pfx.Addr().Is4() {
			typ = "ipv4-addr"
		}
		return "[" + typ + ":value ISSUBSET " + q(pfx.Masked().String()) + "]", nil
	}
	if hexRe.MatchString(v) {
		h := strings.ToLower(v)
		switch len(h) {
		case 32:
			return "[file:hashes.MD5 = " + q(h) + "]", nil
		case 40:
			return "[file:hashes.'SHA-1' = " + q(h) + "]", nil
		case 64:
			return "[file:hashes.'SHA-256' = " + q(h) + "]", nil
		case 128:
			return "[file:hashes.'SHA-512' = " + q(h) + "]", nil
		}
	}
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		return "[url:value = " + q(v) + "]", nil
	}
	if strings.Contains(v, "@") {
		if a, err := mail.ParseAddress(v); err == nil && a.Address == v {
			return "[email-addr:value = " + q(strings.ToLower(v)) + "]", nil
		}
	}
	if domainRe.MatchString(v) {
		return "[domain-name:value = " + q(strings.TrimSuffix(strings.ToLower(v), ".")) + "]", nil
	}
	return "", fmt.Errorf("%q is not an IP address or network, a domain, a URL, an e-mail address or an MD5, SHA-1, SHA-256 or SHA-512 hash", value)
}
