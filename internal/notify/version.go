package notify

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// VersionType says how versions of a product are ordered. The names are
// CVE JSON 5's versionType values; every type without rules of its own
// (custom, maven, python, rpm, ...) is ordered by the generic rules.
type VersionType string

// The version types with rules of their own.
const (
	VersionCustom VersionType = "custom"
	VersionSemver VersionType = "semver"
	// VersionGit versions are commit ids: equal or not, never ordered.
	VersionGit VersionType = "git"
)

// CompareVersions compares a and b: -1 if a is older, 0 if they are the
// same version, +1 if a is newer. ok is false when they cannot be ordered
// (two different git commits).
//
// Generic rules (every type but semver and git):
//
//   - A leading v before a digit is dropped ("v1.2" is "1.2"), and so is
//     everything from a + on (build metadata).
//   - The rest splits into runs of digits and runs of letters; every other
//     character only separates ("1.2.3", "1_2_3" and "1-2-3" are the same).
//     Letters compare without regard to case.
//   - Runs compare left to right; the shorter version is padded with empty
//     runs, and a number 0 equals an empty run, so 1.2 = 1.2.0 = 1.02.
//   - At one position: pre-release word < empty (the release) < other
//     word < number > 0. Numbers compare as numbers of any length, other
//     words alphabetically, so 1.0.2 < 1.0.2k < 1.0.2l < 1.0.3 (OpenSSL)
//     and 7.4 < 7.4p1 (OpenSSH).
//   - Pre-release words, in order: dev, snapshot, nightly < alpha < beta <
//     milestone < rc, cr, pre, preview. The single letters a, b, m and c
//     followed by a digit are alpha, beta, milestone and rc (1.0a1, 2.0b3);
//     a letter alone is an ordinary word (1.0.2a). So 1.0-rc1 < 1.0.
//   - final, ga, release and stable are the release itself: 1.0-final = 1.0.
//
// Semver (Semantic Versioning 2.0.0 precedence): MAJOR.MINOR.PATCH
// numerically; a version with a pre-release is older than the release;
// pre-release identifiers compare left to right, numeric ones as numbers
// and below alphanumeric ones, which compare in ASCII order; more
// identifiers win a tie; build metadata is ignored. A leading v is
// accepted and a missing minor or patch is 0. When either side is not
// valid semver the generic rules apply.
func CompareVersions(typ VersionType, a, b string) (int, bool) {
	switch typ {
	case VersionGit:
		if strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) {
			return 0, true
		}
		return 0, false
	case VersionSemver:
		if sa, ok := parseSemver(a); ok {
			if sb, ok := parseSemver(b); ok {
				return compareSemver(sa, sb), true
			}
		}
	}
	return compareGeneric(a, b), true
}

// ParseVersionType maps a CVE JSON 5 versionType (or "") to a VersionType.
func ParseVersionType(s string) VersionType {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "semver":
		return VersionSemver
	case "git":
		return VersionGit
	}
	return VersionCustom
}

// --- generic ---------------------------------------------------------------

type segKind uint8

// Segment kinds in their order at one position.
const (
	segPre segKind = iota
	segEmpty
	segWord
	segNum
)

type segment struct {
	kind segKind
	rank int    // pre-release words
	text string // digits without leading zeros, or a lower-case word
}

type versionTokens struct {
	s string
	i int
}

func newVersionTokens(v string) versionTokens {
	v = strings.TrimSpace(v)
	if len(v) > 1 && (v[0] == 'v' || v[0] == 'V') && isDigit(v[1]) {
		v = v[1:]
	}
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	return versionTokens{s: v}
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 }

var preRanks = map[string]int{
	"dev": 0, "snapshot": 0, "nightly": 0,
	"alpha": 1, "beta": 2, "milestone": 3,
	"rc": 4, "cr": 4, "pre": 4, "preview": 4,
}

var shortPre = map[string]int{"a": 1, "b": 2, "m": 3, "c": 4}

// next returns the next segment, and false at the end.
func (t *versionTokens) next() (segment, bool) {
	for {
		for t.i < len(t.s) && !isDigit(t.s[t.i]) && !isLetter(t.s[t.i]) {
			t.i++
		}
		if t.i >= len(t.s) {
			return segment{}, false
		}
		start := t.i
		if isDigit(t.s[t.i]) {
			for t.i < len(t.s) && isDigit(t.s[t.i]) {
				t.i++
			}
			digits := strings.TrimLeft(t.s[start:t.i], "0")
			if digits == "" {
				return segment{kind: segEmpty}, true
			}
			return segment{kind: segNum, text: digits}, true
		}
		for t.i < len(t.s) && isLetter(t.s[t.i]) {
			t.i++
		}
		word := strings.ToLower(t.s[start:t.i])
		if r, ok := preRanks[word]; ok {
			return segment{kind: segPre, rank: r}, true
		}
		if r, ok := shortPre[word]; ok && t.i < len(t.s) && isDigit(t.s[t.i]) {
			return segment{kind: segPre, rank: r}, true
		}
		switch word {
		case "final", "ga", "release", "stable":
			continue
		}
		return segment{kind: segWord, text: word}, true
	}
}

func compareGeneric(a, b string) int {
	ta, tb := newVersionTokens(a), newVersionTokens(b)
	for {
		sa, oka := ta.next()
		sb, okb := tb.next()
		if !oka && !okb {
			return 0
		}
		if !oka {
			sa = segment{kind: segEmpty}
		}
		if !okb {
			sb = segment{kind: segEmpty}
		}
		if c := compareSegments(sa, sb); c != 0 {
			return c
		}
	}
}

func compareSegments(a, b segment) int {
	if a.kind != b.kind {
		return cmpInt(int(a.kind), int(b.kind))
	}
	switch a.kind {
	case segPre:
		return cmpInt(a.rank, b.rank)
	case segWord:
		return strings.Compare(a.text, b.text)
	case segNum:
		return compareDigits(a.text, b.text)
	}
	return 0
}

// compareDigits compares decimal numbers of any length written without
// leading zeros.
func compareDigits(a, b string) int {
	if len(a) != len(b) {
		return cmpInt(len(a), len(b))
	}
	return strings.Compare(a, b)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// versionPrefix reports whether the segments of prefix begin v, for CVE
// JSON 5 limits such as "1.*".
func versionPrefix(v, prefix string) bool {
	tv, tp := newVersionTokens(v), newVersionTokens(prefix)
	for {
		sp, ok := tp.next()
		if !ok {
			return true
		}
		sv, ok := tv.next()
		if !ok {
			sv = segment{kind: segEmpty}
		}
		if compareSegments(sv, sp) != 0 {
			return false
		}
	}
}

// --- semver ----------------------------------------------------------------

type semver struct {
	major, minor, patch string
	pre                 []string
}

func parseSemver(s string) (semver, bool) {
	var v semver
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "v")
	hasBuild := false
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if !validIdents(s[i+1:], false) {
			return v, false
		}
		s, hasBuild = s[:i], true
	}
	core, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	// The shorthand 1 or 1.2 is only accepted bare, as golang.org/x/mod
	// does: "1.2-rc1" is not semver.
	if len(parts) > 3 || (hasPre || hasBuild) && len(parts) != 3 {
		return v, false
	}
	for _, p := range parts {
		if !allDigits(p) || len(p) > 1 && p[0] == '0' {
			return v, false
		}
	}
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	v.major, v.minor, v.patch = strings.TrimLeft(parts[0], "0"), strings.TrimLeft(parts[1], "0"), strings.TrimLeft(parts[2], "0")
	if hasPre {
		if !validIdents(pre, true) {
			return v, false
		}
		v.pre = strings.Split(pre, ".")
	}
	return v, true
}

// validIdents checks dot-separated identifiers of [0-9A-Za-z-]; numeric
// pre-release identifiers may not have leading zeros.
func validIdents(s string, pre bool) bool {
	if s == "" {
		return false
	}
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !(isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
				return false
			}
		}
		if pre && allDigits(id) && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

func compareSemver(a, b semver) int {
	for _, p := range [][2]string{{a.major, b.major}, {a.minor, b.minor}, {a.patch, b.patch}} {
		if c := compareDigits(p[0], p[1]); c != 0 {
			return c
		}
	}
	switch {
	case a.pre == nil && b.pre == nil:
		return 0
	case a.pre == nil:
		return 1
	case b.pre == nil:
		return -1
	}
	for i := 0; i < len(a.pre) && i < len(b.pre); i++ {
		x, y := a.pre[i], b.pre[i]
		xn, yn := allDigits(x), allDigits(y)
		var c int
		switch {
		case xn && yn:
			c = compareDigits(x, y)
		case xn:
			c = -1
		case yn:
			c = 1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	return cmpInt(len(a.pre), len(b.pre))
}

// --- ranges ----------------------------------------------------------------

// versionRange is an interval of versions; an empty bound is open.
type versionRange struct {
	typ                VersionType
	start, end         string
	startIncl, endIncl bool
}

// contains reports whether v lies in r; ok is false when the version type
// cannot order v against a bound.
func (r versionRange) contains(v string) (in, ok bool) {
	if r.start != "" {
		c, ok := CompareVersions(r.typ, v, r.start)
		if !ok {
			return false, false
		}
		if c < 0 || c == 0 && !r.startIncl {
			return false, true
		}
	}
	if r.end != "" {
		if strings.HasSuffix(r.end, "*") {
			// CVE JSON 5: "1.*" is an arbitrarily large 1.x.
			p := strings.TrimRight(strings.TrimSuffix(r.end, "*"), ".")
			if p == "" {
				return true, true
			}
			if c, ok := CompareVersions(r.typ, v, p); !ok || c > 0 && !versionPrefix(v, p) {
				return false, ok
			}
			return true, true
		}
		c, ok := CompareVersions(r.typ, v, r.end)
		if !ok {
			return false, false
		}
		if c > 0 || c == 0 && !r.endIncl {
			return false, true
		}
	}
	return true, true
}

// String describes the range for a reason: ">= 2.4.0, < 2.4.58".
func (r versionRange) String() string {
	var parts []string
	if r.start != "" {
		op := ">"
		if r.startIncl {
			op = ">="
		}
		parts = append(parts, op+" "+r.start)
	}
	if r.end != "" {
		op := "<"
		if r.endIncl {
			op = "<="
		}
		parts = append(parts, op+" "+r.end)
	}
	if len(parts) == 0 {
		return "all versions"
	}
	return strings.Join(parts, ", ")
}

// versConstraint is one comparator of a vers range.
type versConstraint struct {
	op      string // =, !=, <, <=, >, >=
	version string
}

// vers is a parsed version range in the vers notation of the purl project
// ("vers:npm/>=1.2.0|<1.4.3"), also accepted without the vers:scheme/
// prefix and with commas for bars.
type vers struct {
	typ  VersionType
	all  bool // "*"
	cons []versConstraint
}

func parseVers(s string, typ VersionType) (vers, error) {
	s = strings.TrimSpace(s)
	r := vers{typ: typ}
	if rest, ok := strings.CutPrefix(s, "vers:"); ok {
		scheme, cons, found := strings.Cut(rest, "/")
		if !found {
			return r, fmt.Errorf("vers range %q has no scheme/ part", clip(s))
		}
		if t := purlVersionType(strings.ToLower(scheme)); t == VersionSemver || scheme == "semver" {
			r.typ = VersionSemver
		}
		s = cons
	}
	s = strings.TrimSpace(s)
	if s == "*" {
		r.all = true
		return r, nil
	}
	if s == "" {
		return r, fmt.Errorf("empty version range")
	}
	for _, part := range strings.FieldsFunc(s, func(c rune) bool { return c == '|' || c == ',' }) {
		part = strings.TrimSpace(part)
		op := "="
		for _, o := range []string{">=", "<=", "!=", ">", "<", "="} {
			if strings.HasPrefix(part, o) {
				op, part = o, strings.TrimSpace(part[len(o):])
				break
			}
		}
		v, err := url.PathUnescape(part)
		if err != nil || v == "" || strings.ContainsAny(v, "<>=! ") {
			return r, fmt.Errorf("version range %q: %q is not a comparator and a version", clip(s), clip(part))
		}
		r.cons = append(r.cons, versConstraint{op: op, version: v})
	}
	if len(r.cons) == 0 {
		return r, fmt.Errorf("empty version range")
	}
	return r, nil
}

// contains applies the vers algorithm: an equal = or != decides; otherwise
// the remaining comparators, sorted by version, form intervals — a leading
// < or <=, a trailing > or >=, and each > or >= followed by a < or <=.
func (r vers) contains(v string) (in, ok bool) {
	if r.all {
		return true, true
	}
	cmp := func(a, b string) (int, bool) { return CompareVersions(r.typ, a, b) }
	var rest []versConstraint
	onlyNot := true
	for _, c := range r.cons {
		switch c.op {
		case "=", "!=":
			d, ok := cmp(v, c.version)
			if ok && d == 0 {
				return c.op == "=", true
			}
			if c.op == "=" {
				onlyNot = false
			}
		default:
			rest = append(rest, c)
			onlyNot = false
		}
	}
	if len(rest) == 0 {
		return onlyNot, true
	}
	sorted := true
	slices.SortStableFunc(rest, func(a, b versConstraint) int {
		c, ok := cmp(a.version, b.version)
		if !ok {
			sorted = false
		}
		return c
	})
	if !sorted {
		return false, false
	}
	sat := func(c versConstraint) (bool, bool) {
		d, ok := cmp(v, c.version)
		if !ok {
			return false, false
		}
		switch c.op {
		case "<":
			return d < 0, true
		case "<=":
			return d <= 0, true
		case ">":
			return d > 0, true
		case ">=":
			return d >= 0, true
		}
		return false, true
	}
	lower := func(op string) bool { return op == ">" || op == ">=" }
	if first := rest[0]; !lower(first.op) {
		if s, ok := sat(first); !ok || s {
			return s, ok
		}
	}
	if last := rest[len(rest)-1]; lower(last.op) {
		if s, ok := sat(last); !ok || s {
			return s, ok
		}
	}
	for i := 0; i+1 < len(rest); i++ {
		a, b := rest[i], rest[i+1]
		if !lower(a.op) || lower(b.op) {
			continue
		}
		sa, ok1 := sat(a)
		sb, ok2 := sat(b)
		if !ok1 || !ok2 {
			return false, false
		}
		if sa && sb {
			return true, true
		}
	}
	return false, true
}

func (r vers) String() string {
	if r.all {
		return "all versions"
	}
	parts := make([]string, len(r.cons))
	for i, c := range r.cons {
		parts[i] = c.op + c.version
	}
	return strings.Join(parts, "|")
}
