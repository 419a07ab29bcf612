package notify

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Affected is what one vulnerability affects, in the forms sources publish:
// any mix of NVD CPE match criteria, CVE JSON 5 affected[] entries and
// package ranges.
type Affected struct {
	// ID names the vulnerability in reasons, e.g. "CVE-2024-1234".
	ID         string         `json:"id,omitempty"`
	CPEMatches []CPEMatch     `json:"cpe_matches,omitempty"`
	Products   []Product      `json:"products,omitempty"`
	Packages   []PackageRange `json:"packages,omitempty"`
}

// CPEMatch is an NVD configuration's cpeMatch element: a CPE criterion and
// an optional version range. Give only the vulnerable ones: configurations'
// AND nodes (a product running on a platform) are not evaluated, so the
// product matches whatever it runs on — a notification too many rather
// than one too few.
type CPEMatch struct {
	Criteria              string `json:"criteria"`
	VersionStartIncluding string `json:"versionStartIncluding,omitempty"`
	VersionStartExcluding string `json:"versionStartExcluding,omitempty"`
	VersionEndIncluding   string `json:"versionEndIncluding,omitempty"`
	VersionEndExcluding   string `json:"versionEndExcluding,omitempty"`
}

// Product is one element of a CVE JSON 5 record's affected[] array; the
// JSON names are the record's, so the array unmarshals into []Product.
//
// The product is recognised in an inventory by its cpes, by packageURL, by
// collectionURL and packageName (for the package registries purl names),
// and only when none of these is given by vendor and product read as CPE
// vendor and product (lower case, spaces as _).
type Product struct {
	Vendor        string           `json:"vendor,omitempty"`
	Product       string           `json:"product,omitempty"`
	CollectionURL string           `json:"collectionURL,omitempty"`
	PackageName   string           `json:"packageName,omitempty"`
	PackageURL    string           `json:"packageURL,omitempty"`
	CPEs          []string         `json:"cpes,omitempty"`
	DefaultStatus string           `json:"defaultStatus,omitempty"`
	Versions      []ProductVersion `json:"versions,omitempty"`
}

// ProductVersion is one element of a CVE JSON 5 versions[] array: a single
// version, or the range from Version up to LessThan (exclusive) or
// LessThanOrEqual, whose status Changes may alter from given versions on.
// A limit ending in * ("1.*") is an arbitrarily large version of that
// branch; Version "0" (or "", or "*") leaves the range open below.
type ProductVersion struct {
	Version         string          `json:"version"`
	Status          string          `json:"status"`
	VersionType     string          `json:"versionType,omitempty"`
	LessThan        string          `json:"lessThan,omitempty"`
	LessThanOrEqual string          `json:"lessThanOrEqual,omitempty"`
	Changes         []VersionChange `json:"changes,omitempty"`
}

// VersionChange is a status change inside a range, from version At on.
type VersionChange struct {
	At     string `json:"at"`
	Status string `json:"status"`
}

// PackageRange names a package by its package URL (a version in it is
// ignored) and the affected versions as a vers range, e.g.
// "vers:npm/>=1.2.0|<1.4.3", ">=1.2.0|<1.4.3" or "*".
type PackageRange struct {
	PURL     string `json:"purl"`
	Versions string `json:"versions"`
}

// Validate reports the parts of a that cannot be read; MatchSoftware skips
// them.
func (a Affected) Validate() error {
	var list []error
	for i, c := range a.CPEMatches {
		if _, err := ParseCPE(c.Criteria); err != nil {
			list = append(list, fmt.Errorf("cpe_matches[%d]: %w", i, err))
		}
	}
	for i, p := range a.Products {
		for j, c := range p.CPEs {
			if _, err := ParseCPE(c); err != nil {
				list = append(list, fmt.Errorf("products[%d].cpes[%d]: %w", i, j, err))
			}
		}
		if p.PackageURL != "" {
			if _, err := parsePURL(p.PackageURL); err != nil {
				list = append(list, fmt.Errorf("products[%d].packageURL: %w", i, err))
			}
		}
	}
	for i, p := range a.Packages {
		pu, err := parsePURL(p.PURL)
		if err != nil {
			list = append(list, fmt.Errorf("packages[%d].purl: %w", i, err))
			continue
		}
		if _, err := parseVers(p.Versions, purlVersionType(pu.Type)); err != nil {
			list = append(list, fmt.Errorf("packages[%d].versions: %w", i, err))
		}
	}
	return errors.Join(list...)
}

// MatchSoftware returns the inventory software entries a vulnerability
// affects, one Hit per entry (the most certain reason wins). Parts of a
// that cannot be read are skipped; see Validate.
func (m *Matcher) MatchSoftware(a Affected) []Hit {
	sm := softMatch{s: m.snap.Load(), seen: map[int32]int{}, what: a.ID}
	if sm.what == "" {
		sm.what = "the vulnerability"
	}
	for _, c := range a.CPEMatches {
		sm.cpeMatch(c)
	}
	for _, p := range a.Products {
		sm.product(p)
	}
	for _, p := range a.Packages {
		sm.packageRange(p)
	}
	return sm.out
}

type softMatch struct {
	s    *snapshot
	what string
	seen map[int32]int // entry -> index in out
	out  []Hit
}

func (sm *softMatch) offer(id int32, uncertain bool, reason string) {
	if i, ok := sm.seen[id]; ok {
		if sm.out[i].Uncertain && !uncertain {
			sm.out[i].Uncertain, sm.out[i].Reason = false, reason
		}
		return
	}
	sm.seen[id] = len(sm.out)
	e := &sm.s.entries[id]
	sm.out = append(sm.out, Hit{OrgID: sm.s.orgs[e.org], Item: e.item(), Reason: reason, Uncertain: uncertain})
}

// candidates calls fn for each live software entry filed under key, or for
// every software entry when key is "".
func (sm *softMatch) candidates(key string, fn func(id int32, it Item)) {
	for _, x := range sm.s.indexes() {
		if key == "" {
			for _, l := range x.soft.links {
				if !sm.s.removed(l.entry) {
					fn(l.entry, sm.s.entries[l.entry].item())
				}
			}
			continue
		}
		for l := x.soft.first(key); l >= 0; l = x.soft.links[l].next {
			id := x.soft.links[l].entry
			if !sm.s.removed(id) {
				fn(id, sm.s.entries[id].item())
			}
		}
	}
}

// cpeCandidates calls fn with the inventory CPEs that crit could name,
// looked up by (part, vendor, product) when crit fixes them.
func (sm *softMatch) cpeCandidates(crit CPE, fn func(id int32, it Item, name CPE)) {
	visit := func(id int32, it Item) {
		if it.Kind != KindCPE {
			return
		}
		name, err := ParseCPE(it.Value)
		if err != nil {
			return
		}
		if ok, _ := crit.matchExcept(name, attrVersion); ok {
			fn(id, it, name)
		}
	}
	if k, ok := cpeKey(crit); ok {
		sm.candidates(k, visit)
		return
	}
	if crit.attrs[attrPart].kind == attrAny && !crit.attrs[attrVendor].wild() && !crit.attrs[attrProduct].wild() &&
		crit.attrs[attrVendor].kind == attrValue && crit.attrs[attrProduct].kind == attrValue {
		for _, part := range []string{"a", "o", "h"} {
			sm.candidates(softKey("cpe", part, crit.attrs[attrVendor].body, crit.attrs[attrProduct].body), visit)
		}
		return
	}
	sm.candidates("", visit)
}

func (sm *softMatch) cpeMatch(c CPEMatch) {
	crit, err := ParseCPE(c.Criteria)
	if err != nil {
		return
	}
	r := versionRange{typ: VersionCustom}
	switch {
	case c.VersionStartIncluding != "":
		r.start, r.startIncl = c.VersionStartIncluding, true
	case c.VersionStartExcluding != "":
		r.start = c.VersionStartExcluding
	}
	switch {
	case c.VersionEndIncluding != "":
		r.end, r.endIncl = c.VersionEndIncluding, true
	case c.VersionEndExcluding != "":
		r.end = c.VersionEndExcluding
	}
	ranged := r.start != "" || r.end != ""
	cv := crit.attrs[attrVersion]
	affects := crit.Vendor() + " " + crit.Product() + " "
	switch {
	case ranged:
		affects += r.String()
	case cv.kind == attrValue:
		affects += cv.String()
	case cv.kind == attrNA:
		affects += "(no version)"
	default:
		affects += "(all versions)"
	}
	sm.cpeCandidates(crit, func(id int32, it Item, name CPE) {
		_, otherOpen := crit.matchExcept(name, attrVersion)
		iv := name.attrs[attrVersion]
		if iv.kind == attrAny {
			if cv.kind != attrNA {
				sm.offer(id, true, fmt.Sprintf("%s affects %s; your %s gives no version", sm.what, affects, it.Value))
			}
			return
		}
		var in bool
		switch {
		case iv.kind == attrNA:
			in = cv.kind == attrNA || cv.kind == attrAny && !ranged
		case ranged:
			ok := cv.kind == attrAny || cv.kind == attrValue && cpeVersionEqual(cv, iv.body)
			if ok {
				in, _ = r.contains(iv.body)
			}
		case cv.kind == attrAny:
			in = true
		case cv.kind == attrValue:
			in = cpeVersionEqual(cv, iv.body)
		}
		if !in {
			return
		}
		sm.offer(id, otherOpen, sm.reason(affects, it, otherOpen))
	})
}

// cpeVersionEqual compares a criterion's version with a name's: by
// pattern when it has wildcards, else by version order, so 2.4 = 2.4.0.
func cpeVersionEqual(cv cpeAttr, v string) bool {
	if cv.wild() {
		return cv.matches(v)
	}
	c, ok := CompareVersions(VersionCustom, cv.body, v)
	return ok && c == 0
}

func (sm *softMatch) reason(affects string, it Item, open bool) string {
	if open {
		return fmt.Sprintf("%s affects %s; your %s (version %s) may be it: it leaves open what the vulnerability specifies", sm.what, affects, it.Value, it.Version)
	}
	return fmt.Sprintf("%s affects %s; your %s is version %s", sm.what, affects, it.Value, it.Version)
}

func (sm *softMatch) product(p Product) {
	if len(p.Versions) == 0 && p.DefaultStatus == "" {
		// Neither versions nor a default: only the CPEs can say which
		// versions the record means.
		for _, c := range p.CPEs {
			sm.cpeMatch(CPEMatch{Criteria: c})
		}
		return
	}
	type cand struct {
		id   int32
		it   Item
		hint VersionType
	}
	var cands []cand
	seen := map[int32]bool{}
	add := func(c cand) {
		if !seen[c.id] {
			seen[c.id] = true
			cands = append(cands, c)
		}
	}
	named := false
	for _, s := range p.CPEs {
		crit, err := ParseCPE(s)
		if err != nil {
			continue
		}
		named = true
		sm.cpeCandidates(crit, func(id int32, it Item, _ CPE) {
			add(cand{id: id, it: it, hint: VersionCustom})
		})
	}
	purlKeyed := func(key string, hint VersionType) {
		named = true
		sm.candidates(key, func(id int32, it Item) {
			if it.Kind == KindPURL {
				add(cand{id: id, it: it, hint: hint})
			}
		})
	}
	if p.PackageURL != "" {
		if pu, err := parsePURL(p.PackageURL); err == nil {
			purlKeyed(purlKey(pu), purlVersionType(pu.Type))
		}
	}
	if key, hint, ok := packageKey(p.CollectionURL, p.PackageName); ok {
		purlKeyed(key, hint)
	}
	if !named {
		vendor, product := cveName(p.Vendor), cveName(p.Product)
		if vendor != "" && product != "" {
			for _, part := range []string{"a", "o", "h"} {
				sm.candidates(softKey("cpe", part, vendor, product), func(id int32, it Item) {
					if it.Kind == KindCPE {
						add(cand{id: id, it: it, hint: VersionCustom})
					}
				})
			}
		}
	}
	if len(cands) == 0 {
		return
	}
	label := strings.TrimSpace(p.Vendor + " " + p.Product)
	if label == "" {
		label = p.PackageName
	}
	for _, c := range cands {
		v := c.it.Version
		if v == "" {
			if productMayAffect(p) {
				sm.offer(c.id, true, fmt.Sprintf("%s affects some versions of %s; your %s gives no version", sm.what, label, c.it.Value))
			}
			continue
		}
		status, why := productStatus(p, v, c.hint)
		if status != "affected" {
			continue
		}
		sm.offer(c.id, false, fmt.Sprintf("%s affects %s %s; your %s is version %s", sm.what, label, why, c.it.Value, v))
	}
}

// cveName reads a CVE record's vendor or product as a CPE attribute would
// spell it; "n/a" is no name.
func cveName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "n/a" {
		return ""
	}
	return strings.Join(strings.Fields(s), "_")
}

func productMayAffect(p Product) bool {
	if strings.EqualFold(p.DefaultStatus, "affected") {
		return true
	}
	for _, v := range p.Versions {
		if strings.EqualFold(v.Status, "affected") {
			return true
		}
		for _, c := range v.Changes {
			if strings.EqualFold(c.Status, "affected") {
				return true
			}
		}
	}
	return false
}

// productStatus is CVE JSON 5's rule for the status of version v: the first
// entry of versions[] that covers v decides — a single version by
// equality, a range by its status as changed by the last change at or
// below v — and defaultStatus (else "unknown") when none does.
func productStatus(p Product, v string, hint VersionType) (status, why string) {
	for _, e := range p.Versions {
		typ := hint
		if e.VersionType != "" {
			typ = ParseVersionType(e.VersionType)
		}
		if e.LessThan == "" && e.LessThanOrEqual == "" {
			if c, ok := CompareVersions(typ, v, e.Version); ok && c == 0 {
				return strings.ToLower(e.Status), "version " + e.Version
			}
			continue
		}
		r := versionRange{typ: typ, startIncl: true}
		switch strings.TrimSpace(e.Version) {
		case "", "0", "*":
		default:
			r.start = e.Version
		}
		if e.LessThan != "" {
			r.end = e.LessThan
		} else {
			r.end, r.endIncl = e.LessThanOrEqual, true
		}
		if r.end == "*" {
			r.end = ""
		}
		if in, ok := r.contains(v); !ok || !in {
			continue
		}
		status = strings.ToLower(e.Status)
		changes := slices.Clone(e.Changes)
		slices.SortStableFunc(changes, func(a, b VersionChange) int {
			c, _ := CompareVersions(typ, a.At, b.At)
			return c
		})
		for _, ch := range changes {
			if c, ok := CompareVersions(typ, v, ch.At); ok && c >= 0 {
				status = strings.ToLower(ch.Status)
			}
		}
		return status, r.String()
	}
	if p.DefaultStatus == "" {
		return "unknown", ""
	}
	return strings.ToLower(p.DefaultStatus), "(by default)"
}

func (sm *softMatch) packageRange(pr PackageRange) {
	pu, err := parsePURL(pr.PURL)
	if err != nil {
		return
	}
	vr, err := parseVers(pr.Versions, purlVersionType(pu.Type))
	if err != nil {
		return
	}
	label := pu.Type + "/" + pu.Name
	if pu.Namespace != "" {
		label = pu.Type + "/" + pu.Namespace + "/" + pu.Name
	}
	sm.candidates(purlKey(pu), func(id int32, it Item) {
		if it.Kind != KindPURL {
			return
		}
		if it.Version == "" {
			sm.offer(id, true, fmt.Sprintf("%s affects %s %s; your %s gives no version", sm.what, label, vr, it.Value))
			return
		}
		if in, ok := vr.contains(it.Version); ok && in {
			sm.offer(id, false, fmt.Sprintf("%s affects %s %s; your %s is version %s", sm.what, label, vr, it.Value, it.Version))
		}
	})
}

// matchSoftwareName matches a software observable (a CPE name or a package
// URL) with the same product in inventories; versions must agree when both
// sides give one, and a hit is Uncertain when either does not.
func (s *snapshot) matchSoftwareName(dst []Hit, value string) []Hit {
	sm := softMatch{s: s, seen: map[int32]int{}}
	if strings.HasPrefix(strings.ToLower(value), "cpe:") {
		obs, err := ParseCPE(value)
		if err != nil {
			return dst
		}
		ov := obs.attrs[attrVersion].logical()
		sm.cpeCandidates(obs, func(id int32, it Item, name CPE) {
			_, open := obs.matchExcept(name, attrVersion)
			iv := name.attrs[attrVersion].logical()
			if ov != "" && iv != "" {
				if c, ok := CompareVersions(VersionCustom, ov, iv); !ok || c != 0 {
					return
				}
			}
			sm.offer(id, open || ov == "" || iv == "", fmt.Sprintf("software %s is your %s", clip(value), it.Value))
		})
	} else {
		pu, err := parsePURL(value)
		if err != nil {
			return dst
		}
		typ := purlVersionType(pu.Type)
		sm.candidates(purlKey(pu), func(id int32, it Item) {
			if it.Kind != KindPURL {
				return
			}
			if pu.Version != "" && it.Version != "" {
				if c, ok := CompareVersions(typ, pu.Version, it.Version); !ok || c != 0 {
					return
				}
			}
			sm.offer(id, pu.Version == "" || it.Version == "", fmt.Sprintf("software %s is your %s", clip(value), it.Value))
		})
	}
	return append(dst, sm.out...)
}
