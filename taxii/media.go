package taxii

import "strings"

// Media types of TAXII 2.1 (section 1.6.8). TAXII responses and the body of
// an add-objects request are MediaTypeTAXII; MediaTypeSTIX names the content
// of a collection (Collection.MediaTypes, ManifestRecord.MediaType).
const (
	MediaTypeTAXII = "application/taxii+json;version=2.1"
	MediaTypeSTIX  = "application/stix+json;version=2.1"
)

const (
	taxiiType    = "application"
	taxiiSubtype = "taxii+json"
	taxiiVersion = "2.1"
)

// AcceptsTAXII reports whether a request whose Accept header is accept
// may be answered with MediaTypeTAXII, following the rules of RFC 9110
// section 12.5.1: the most specific media range that matches decides the
// weight, and a weight of 0 means "not acceptable". A range of
// application/taxii+json with a version other than 2.1 does not match, so
// "application/taxii+json;version=2.0" alone is refused while
// "application/taxii+json;version=2.0, */*;q=0.1" is accepted through */*.
//
// An empty value is treated as an absent header, which RFC 9110 reads as
// "anything is acceptable"; a server that insists on the header (TAXII
// clients MUST send one) should check for its presence itself. Malformed
// elements of the list are ignored rather than failing the whole header,
// as a tolerant reader of a header that many clients build by hand.
func AcceptsTAXII(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	best, weight := -1, 0
	for _, elem := range splitList(accept) {
		mt, ok := parseMediaType(elem)
		if !ok {
			continue
		}
		q, ok := mt.weight()
		if !ok {
			continue
		}
		spec := mt.specificity()
		if spec < 0 {
			continue
		}
		// Equal specificity with different weights is left open by the
		// RFC; taking the larger weight favours answering over a 406.
		if spec > best || (spec == best && q > weight) {
			best, weight = spec, q
		}
	}
	return best >= 0 && weight > 0
}

// IsTAXIIContentType reports whether contentType, the Content-Type of a
// request body, is MediaTypeTAXII: the type application/taxii+json with a
// version parameter of 2.1. Type, subtype and parameter names are
// case-insensitive as in RFC 9110, the version value is compared
// case-insensitively too, whitespace around the separators is tolerated,
// and other parameters (charset) are ignored because they do not change how
// the body is read. A missing version is refused: a TAXII 2.1 client MUST
// send it, and without it the body could be another TAXII version's.
func IsTAXIIContentType(contentType string) bool {
	mt, ok := parseMediaType(contentType)
	if !ok || !mt.isTAXII() {
		return false
	}
	v, ok := mt.param("version")
	return ok && strings.EqualFold(v, taxiiVersion)
}

// isTAXIIResponseType is the client's check of a 2xx response: the TAXII
// type with version 2.1 or with no version, since some servers leave the
// parameter off and the body is still TAXII 2.1 JSON.
func isTAXIIResponseType(contentType string) bool {
	mt, ok := parseMediaType(contentType)
	if !ok || !mt.isTAXII() {
		return false
	}
	v, ok := mt.param("version")
	return !ok || strings.EqualFold(v, taxiiVersion)
}

type mediaParam struct{ name, value string }

type mediaType struct {
	typ, subtype string // lower case
	params       []mediaParam
}

func (m mediaType) isTAXII() bool { return m.typ == taxiiType && m.subtype == taxiiSubtype }

// param returns the first parameter called name (lower case). A repeated
// parameter is ambiguous, so the second occurrence makes ok false.
func (m mediaType) param(name string) (value string, ok bool) {
	found := false
	for _, p := range m.params {
		if p.name != name {
			continue
		}
		if found {
			return "", false
		}
		value, found = p.value, true
	}
	return value, found
}

// weight returns the q parameter in thousandths (1000 when absent). In an
// Accept header the parameters after q are not media type parameters, so
// mediaParams below stops at it.
func (m mediaType) weight() (int, bool) {
	for _, p := range m.params {
		if p.name == "q" {
			return parseQValue(p.value)
		}
	}
	return 1000, true
}

func (m mediaType) mediaParams() []mediaParam {
	for i, p := range m.params {
		if p.name == "q" {
			return m.params[:i]
		}
	}
	return m.params
}

// specificity ranks how closely the media range matches MediaTypeTAXII, or
// returns -1 when it does not match at all.
func (m mediaType) specificity() int {
	switch {
	case m.typ == "*" && m.subtype == "*":
		if m.hasVersion() {
			return -1 // "*/*;version=2.1" is not a valid range
		}
		return 0
	case m.typ == taxiiType && m.subtype == "*":
		if m.hasVersion() {
			return -1
		}
		return 1
	case m.isTAXII():
		var version string
		n := 0
		for _, p := range m.mediaParams() {
			if p.name == "version" {
				version = p.value
				n++
			}
		}
		switch {
		case n == 0:
			return 2
		case n == 1 && strings.EqualFold(version, taxiiVersion):
			return 3
		}
		return -1
	}
	return -1
}

func (m mediaType) hasVersion() bool {
	for _, p := range m.mediaParams() {
		if p.name == "version" {
			return true
		}
	}
	return false
}

// parseQValue reads qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
// into thousandths.
func parseQValue(s string) (int, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q, true
	}
	if s[1] != '.' {
		return 0, false
	}
	scale := 100
	for i := 2; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || (q == 1000 && c != '0') {
			return 0, false
		}
		q += int(c-'0') * scale
		scale /= 10
	}
	return q, true
}

// splitList splits a comma-separated header value, keeping commas inside
// quoted strings, which a parameter value may contain.
func splitList(s string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ',':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// parseMediaType parses
//
//	media-type = type "/" subtype *( OWS ";" OWS [ parameter ] )
//	parameter  = token "=" ( token / quoted-string )
//
// surrounded by optional whitespace (RFC 9110 section 8.3.1). Whitespace
// around "=" is not in the grammar but is tolerated, since hand-written
// headers have it and its meaning is not in doubt. Names are lowered;
// quoted values are unquoted.
func parseMediaType(s string) (mediaType, bool) {
	var m mediaType
	s = trimOWS(s)
	typ, s := cutToken(s)
	if typ == "" || !strings.HasPrefix(s, "/") {
		return m, false
	}
	sub, s := cutToken(s[1:])
	if sub == "" {
		return m, false
	}
	m.typ, m.subtype = strings.ToLower(typ), strings.ToLower(sub)
	for {
		s = trimOWS(s)
		if s == "" {
			return m, true
		}
		if s[0] != ';' {
			return m, false
		}
		s = trimOWS(s[1:])
		if s == "" || s[0] == ';' {
			continue // empty parameter, allowed by the grammar
		}
		var name, value string
		name, s = cutToken(s)
		s = trimOWS(s)
		if name == "" || !strings.HasPrefix(s, "=") {
			return m, false
		}
		s = trimOWS(s[1:])
		if strings.HasPrefix(s, `"`) {
			var ok bool
			value, s, ok = cutQuoted(s)
			if !ok {
				return m, false
			}
		} else {
			value, s = cutToken(s)
			if value == "" {
				return m, false
			}
		}
		m.params = append(m.params, mediaParam{strings.ToLower(name), value})
	}
}

func trimOWS(s string) string { return strings.Trim(s, " \t") }

func cutToken(s string) (tok, rest string) {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// cutQuoted reads a quoted-string at the start of s.
func cutQuoted(s string) (value, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			i++
			if i == len(s) {
				return "", "", false
			}
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

// isTokenChar reports whether c is a tchar of RFC 9110 section 5.6.2.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
