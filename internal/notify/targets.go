package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
)

// targetSources are the types whose "targets" relationships concern the
// organizations in the target's sector or region.
var targetSources = []string{"malware", "campaign", "intrusion-set", "threat-actor", "attack-pattern"}

// stixSectors maps the STIX 2.1 industry-sector-ov vocabulary to the
// sector codes organizations carry (identity.Sectors, PPD-21). Values with
// no counterpart (mining, non-profit, ...) concern nobody by sector.
var stixSectors = map[string][]string{
	"agriculture":                   {"food-agriculture"},
	"aerospace":                     {"critical-manufacturing", "defense-industrial-base"},
	"automotive":                    {"critical-manufacturing"},
	"chemical":                      {"chemical"},
	"commercial":                    {"commercial-facilities"},
	"communications":                {"communications"},
	"construction":                  {"commercial-facilities"},
	"defense":                       {"defense-industrial-base"},
	"education":                     {"government-facilities"}, // education facilities are a subsector of government facilities
	"energy":                        {"energy"},
	"entertainment":                 {"commercial-facilities"},
	"financial-services":            {"financial-services"},
	"government":                    {"government-facilities"},
	"government-emergency-services": {"emergency-services"},
	"government-local":              {"government-facilities"},
	"government-national":           {"government-facilities"},
	"government-public-services":    {"government-facilities"},
	"government-regional":           {"government-facilities"},
	"healthcare":                    {"healthcare-public-health"},
	"hospitality-leisure":           {"commercial-facilities"},
	"infrastructure":                {"transportation", "communications", "energy", "water", "dams"},
	"dams":                          {"dams"},
	"nuclear":                       {"nuclear"},
	"water":                         {"water"},
	"insurance":                     {"financial-services"},
	"manufacturing":                 {"critical-manufacturing"},
	"pharmaceuticals":               {"healthcare-public-health"},
	"retail":                        {"commercial-facilities"},
	"technology":                    {"information-technology"},
	"telecommunications":            {"communications"},
	"transportation":                {"transportation"},
	"utilities":                     {"energy", "water"},
}

// orgSectorsFor returns the organization sector codes a STIX sector names:
// the vocabulary's mapping, or the value itself when it already is one of
// Rampart's codes (election-infrastructure, water, ...).
func orgSectorsFor(v string) []string {
	v = strings.ToLower(strings.TrimSpace(v))
	if s, ok := stixSectors[v]; ok {
		return s
	}
	for _, s := range identity.Sectors {
		if s.Code == v {
			return []string{v}
		}
	}
	return nil
}

// usStates are the state FIPS codes with their USPS codes and names, for
// location objects that name a state as "US-VA", "VA" or "Virginia".
const usStates = `01 AL Alabama|02 AK Alaska|04 AZ Arizona|05 AR Arkansas|06 CA California|08 CO Colorado|09 CT Connecticut|10 DE Delaware|11 DC District of Columbia|12 FL Florida|13 GA Georgia|15 HI Hawaii|16 ID Idaho|17 IL Illinois|18 IN Indiana|19 IA Iowa|20 KS Kansas|21 KY Kentucky|22 LA Louisiana|23 ME Maine|24 MD Maryland|25 MA Massachusetts|26 MI Michigan|27 MN Minnesota|28 MS Mississippi|29 MO Missouri|30 MT Montana|31 NE Nebraska|32 NV Nevada|33 NH New Hampshire|34 NJ New Jersey|35 NM New Mexico|36 NY New York|37 NC North Carolina|38 ND North Dakota|39 OH Ohio|40 OK Oklahoma|41 OR Oregon|42 PA Pennsylvania|44 RI Rhode Island|45 SC South Carolina|46 SD South Dakota|47 TN Tennessee|48 TX Texas|49 UT Utah|50 VT Vermont|51 VA Virginia|53 WA Washington|54 WV West Virginia|55 WI Wisconsin|56 WY Wyoming|60 AS American Samoa|66 GU Guam|69 MP Northern Mariana Islands|72 PR Puerto Rico|78 VI U.S. Virgin Islands`

// stateNames returns, per state FIPS code, the lower-case names a
// location's administrative_area may use for it: the code itself, fips:SS,
// the USPS code with and without "US-", the name, and the names of the
// instance's state organizations with that code (so a demo state such as
// "State of Meridian", FIPS 52, is "meridian" too).
func stateNames(orgs []identity.Organization) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(usStates, "|") {
		fips, rest, _ := strings.Cut(line, " ")
		usps, name, _ := strings.Cut(rest, " ")
		out[fips] = append(out[fips], strings.ToLower(usps), "us-"+strings.ToLower(usps), strings.ToLower(name))
	}
	for _, o := range orgs {
		if o.Kind == identity.KindState && o.StateFIPS != "" {
			n := strings.ToLower(o.Name)
			out[o.StateFIPS] = append(out[o.StateFIPS], n, strings.TrimPrefix(strings.TrimPrefix(n, "state of "), "commonwealth of "))
		}
	}
	for fips := range out {
		out[fips] = append(out[fips], fips, "fips:"+fips)
	}
	return out
}

// relFields are the parts of a relationship, and of its target, that
// targeting reads.
type relFields struct {
	RelationshipType   string   `json:"relationship_type"`
	SourceRef          string   `json:"source_ref"`
	TargetRef          string   `json:"target_ref"`
	Name               string   `json:"name"`
	Sectors            []string `json:"sectors"`
	IdentityClass      string   `json:"identity_class"`
	Region             string   `json:"region"`
	Country            string   `json:"country"`
	AdministrativeArea string   `json:"administrative_area"`
}

func refType(id string) string { t, _, _ := strings.Cut(id, "--"); return t }

// targets evaluates a "targets" relationship: from a malware, campaign,
// intrusion set, threat actor or attack pattern to an identity (a class
// or organization, by its sectors) or a location (its administrative
// area naming the organization's state, or the country US or the region
// northern-america for every organization with a state). Each organization
// is judged on the source and target versions it may see (the latest one
// access.Policy.CanSee allows it, as sharing's Latest would give it): if
// either is hidden from it, or the visible target does not name its sector
// or region, it is not told. The caller checks that it may see the
// relationship itself.
//
// The cost is O(versions + matching organizations), not O(organizations):
// the event's targetIndex finds the organizations any version of the
// target could concern, and visibility is decided once per principal
// class (see visibility) rather than once per organization.
func (m *Module) targets(ctx context.Context, q db.Querier, s subject, orgs []identity.Organization, principals *orgPrincipals, now time.Time) ([]candidate, string, Severity, error) {
	var rel relFields
	if json.Unmarshal(s.Body, &rel) != nil || rel.RelationshipType != "targets" || !slices.Contains(targetSources, refType(rel.SourceRef)) {
		return nil, "", "", nil
	}
	tt := refType(rel.TargetRef)
	if tt != "identity" && tt != "location" {
		return nil, "", "", nil
	}
	title := clip("relationship: " + rel.SourceRef + " targets " + rel.TargetRef)
	if s.Revoked || (s.ValidUntil != 0 && s.ValidUntil <= db.Micros(now)) {
		return nil, title, "", nil
	}
	src, err := objectVersions(ctx, q, rel.SourceRef)
	if err != nil {
		return nil, "", "", err
	}
	tgt, err := objectVersions(ctx, q, rel.TargetRef)
	if err != nil {
		return nil, "", "", err
	}
	if len(src) == 0 || len(tgt) == 0 {
		return nil, title, SeverityMedium, nil
	}
	if err := principals.preload(ctx, q, orgs); err != nil {
		return nil, "", "", err
	}
	out, title := matchTargets(principals.index(orgs), m.k.Access, principals.by, rel, src, tgt, title)
	return out, title, SeverityMedium, nil
}

// objVersion is one version of a relationship's source or target, with
// what the access decision reads.
type objVersion struct {
	Item    access.Item
	Type    string
	Revoked bool
	Fields  relFields
}

// objectVersions returns every version of stixID, newest first (by
// modified, then seq, as sharing orders them).
func objectVersions(ctx context.Context, q db.Querier, stixID string) ([]objVersion, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, type, tlp, owner_org, created_by, body, revoked FROM stix_versions WHERE stix_id = $1
		ORDER BY modified DESC, seq DESC`, stixID)
	if err != nil {
		return nil, fmt.Errorf("notify: versions of %s: %w", stixID, err)
	}
	defer rows.Close()
	var out []objVersion
	for rows.Next() {
		var v objVersion
		var tlp string
		var body []byte
		var revoked int
		if err := rows.Scan(&v.Item.ID, &v.Type, &tlp, &v.Item.OwnerOrg, &v.Item.CreatedBy, sharing.StoredJSON(&body), &revoked); err != nil {
			return nil, fmt.Errorf("notify: versions of %s: %w", stixID, err)
		}
		v.Item.TLP, v.Revoked = access.TLP(tlp), revoked != 0
		_ = json.Unmarshal(body, &v.Fields)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notify: versions of %s: %w", stixID, err)
	}
	rows.Close()
	for i := range out {
		if out[i].Item.Audience, err = access.Audience(ctx, q, out[i].Item.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// targetIndex finds the organizations a target could concern without
// looking at every organization. It is built once per event.
type targetIndex struct {
	orgs      []identity.Organization
	byCode    map[string][]int32 // sector or flag code: organizations that carry it
	byState   map[string][]int32 // state FIPS: its organizations
	withState []int32            // every organization with a state
	states    map[string][]string
	areas     map[string][]string // a lower-case name of a state: its FIPS codes
}

func newTargetIndex(orgs []identity.Organization) *targetIndex {
	x := &targetIndex{orgs: orgs, byCode: map[string][]int32{}, byState: map[string][]int32{}, states: stateNames(orgs), areas: map[string][]string{}}
	for i, o := range orgs {
		seen := map[string]bool{}
		for _, c := range append(append([]string(nil), o.Sectors...), o.Flags...) {
			if !seen[c] {
				seen[c] = true
				x.byCode[c] = append(x.byCode[c], int32(i))
			}
		}
		if o.StateFIPS != "" {
			x.byState[o.StateFIPS] = append(x.byState[o.StateFIPS], int32(i))
			x.withState = append(x.withState, int32(i))
		}
	}
	for fips, names := range x.states {
		for _, n := range names {
			if !slices.Contains(x.areas[n], fips) {
				x.areas[n] = append(x.areas[n], fips)
			}
		}
	}
	return x
}

// candidates adds to set the organizations target t could concern: a
// superset of those targetMatch accepts, which remains the judge.
func (x *targetIndex) candidates(typ string, t relFields, set map[int32]bool) {
	add := func(ids []int32) {
		for _, i := range ids {
			set[i] = true
		}
	}
	if typ == "identity" {
		if t.IdentityClass != "class" && t.IdentityClass != "organization" {
			return
		}
		for _, sec := range t.Sectors {
			for _, code := range orgSectorsFor(sec) {
				add(x.byCode[code])
			}
		}
		return
	}
	area := strings.ToLower(strings.TrimSpace(t.AdministrativeArea))
	switch {
	case area != "":
		for _, fips := range x.areas[area] {
			add(x.byState[fips])
		}
	case strings.EqualFold(t.Country, "US") || (t.Country == "" && strings.EqualFold(t.Region, "northern-america")):
		add(x.withState)
	}
}

// visibility is which version of the source and of the target a
// principal may see (an index into the versions, -1 for none).
type visibility struct{ src, tgt int }

// named returns the organizations the access decision may treat apart
// from others of their communities: owners and organization grantees of
// any version, and the organization of a user a version names (an
// organization principal's user is "notify:" and its id).
func named(vs ...[]objVersion) map[string]bool {
	out := map[string]bool{}
	for _, list := range vs {
		for _, v := range list {
			out[v.Item.OwnerOrg] = true
			if org, ok := strings.CutPrefix(v.Item.CreatedBy, "notify:"); ok {
				out[org] = true
			}
			for _, g := range v.Item.Audience {
				switch g.Kind {
				case access.GrantOrg:
					out[g.ID] = true
				case access.GrantUser:
					if org, ok := strings.CutPrefix(g.ID, "notify:"); ok {
						out[org] = true
					}
				}
			}
		}
	}
	return out
}

// matchTargets judges the candidate organizations of a targets
// relationship. CanSee reads a principal's organization id only to
// compare it with an owner or a grantee, and its user id only for those
// it names; so organizations that no version names and that share their
// communities share every decision, and one of them decides for all (its
// principal class, keyed by its communities). A named organization is
// decided on its own.
func matchTargets(x *targetIndex, pol access.Policy, principals map[string]access.Principal, rel relFields, src, tgt []objVersion, title string) ([]candidate, string) {
	tt := refType(rel.TargetRef)
	set := map[int32]bool{}
	for _, v := range tgt {
		x.candidates(tt, v.Fields, set)
	}
	idx := make([]int32, 0, len(set))
	for i := range set {
		idx = append(idx, i)
	}
	slices.Sort(idx) // the organizations' order, as before
	special := named(src, tgt)
	classes := map[string]visibility{}
	first := func(p access.Principal, vs []objVersion) int {
		for i, v := range vs {
			if pol.CanSee(p, v.Item) {
				return i
			}
		}
		return -1
	}
	type reasonKey struct {
		vis visibility
		why string
	}
	reasons := map[reasonKey]string{}
	var out []candidate
	var key strings.Builder
	for _, i := range idx {
		o := x.orgs[i]
		p, ok := principals[o.ID]
		if !ok {
			continue // no principal, no decision: never told
		}
		key.Reset()
		if special[o.ID] {
			key.WriteString("\x01" + o.ID) // no community id starts with \x01
		} else {
			for _, c := range p.Communities {
				key.WriteString(c)
				key.WriteByte(0)
			}
		}
		k := key.String()
		vis, ok := classes[k]
		if !ok {
			vis = visibility{first(p, src), first(p, tgt)}
			classes[k] = vis
		}
		if vis.src < 0 || vis.tgt < 0 || src[vis.src].Revoked || tgt[vis.tgt].Revoked {
			continue
		}
		sv, t := src[vis.src], tgt[vis.tgt].Fields
		srcName := firstNonEmpty(sv.Fields.Name, rel.SourceRef)
		title = clip(sv.Type + ": " + srcName + " targets " + firstNonEmpty(t.Name, rel.TargetRef))
		if c, ok := targetMatch(o, tt, t, x.states); ok {
			// Tens of thousands of organizations share a few reasons.
			rk := reasonKey{vis, c.Reason}
			why, ok := reasons[rk]
			if !ok {
				why = fmt.Sprintf("a targets relationship from %s %q to %s %q: %s", sv.Type, srcName, tt, firstNonEmpty(t.Name, rel.TargetRef), c.Reason)
				reasons[rk] = why
			}
			c.Reason = why
			out = append(out, c)
		}
	}
	return out, title
}

// targetMatch says whether a target identity or location concerns o.
func targetMatch(o identity.Organization, typ string, t relFields, states map[string][]string) (candidate, bool) {
	c := candidate{OrgID: o.ID, Kind: ReasonTargeting}
	if typ == "identity" {
		if t.IdentityClass != "class" && t.IdentityClass != "organization" {
			return c, false
		}
		for _, sec := range t.Sectors {
			for _, code := range orgSectorsFor(sec) {
				if slices.Contains(o.Sectors, code) || slices.Contains(o.Flags, code) {
					c.Key = ReasonTargeting + ":sector:" + code
					c.Reason = fmt.Sprintf("its sectors %q names your sector %s", sec, code)
					return c, true
				}
			}
		}
		return c, false
	}
	if o.StateFIPS == "" {
		return c, false
	}
	area := strings.ToLower(strings.TrimSpace(t.AdministrativeArea))
	if area != "" && slices.Contains(states[o.StateFIPS], area) {
		c.Key = ReasonTargeting + ":region:fips:" + o.StateFIPS
		c.Reason = fmt.Sprintf("its administrative_area %q names your state (FIPS %s)", t.AdministrativeArea, o.StateFIPS)
		return c, true
	}
	if area == "" && strings.EqualFold(t.Country, "US") {
		c.Key = ReasonTargeting + ":region:country:us"
		c.Reason = fmt.Sprintf("its country %q is yours", t.Country)
		return c, true
	}
	if area == "" && t.Country == "" && strings.EqualFold(t.Region, "northern-america") {
		c.Key = ReasonTargeting + ":region:northern-america"
		c.Reason = fmt.Sprintf("its region %q is yours", t.Region)
		return c, true
	}
	return c, false
}

// targetingRelationships returns the latest version of each "targets"
// relationship that refers to stixID as its source or target: when a
// source or target arrives after its relationship, the relationship is
// evaluated again.
func targetingRelationships(ctx context.Context, tx *sql.Tx, stixID string) ([]subject, error) {
	rows, err := tx.QueryContext(ctx, `SELECT v.seq, v.id, v.stix_id, v.tlp, v.owner_org, v.created_by, v.body, v.valid_until, v.revoked
		FROM stix_refs r JOIN stix_versions v ON v.seq = r.version_seq
		WHERE r.ref_key IN ($1, $2) AND v.type = 'relationship'
		ORDER BY v.stix_id, v.modified DESC, v.seq DESC`, db.Key64("source_ref", stixID), db.Key64("target_ref", stixID))
	if err != nil {
		return nil, fmt.Errorf("notify: targeting relationships: %w", err)
	}
	defer rows.Close()
	var out []subject
	for rows.Next() {
		var s subject
		var tlp string
		var revoked int
		if err := rows.Scan(&s.Seq, &s.ItemID, &s.StixID, &tlp, &s.Item.OwnerOrg, &s.Item.CreatedBy, sharing.StoredJSON(&s.Body), &s.ValidUntil, &revoked); err != nil {
			return nil, fmt.Errorf("notify: targeting relationships: %w", err)
		}
		if len(out) > 0 && out[len(out)-1].StixID == s.StixID {
			continue
		}
		// A key stands for its (property, id) but for one in 2^64 others.
		var rel relFields
		if json.Unmarshal(s.Body, &rel) != nil || rel.SourceRef != stixID && rel.TargetRef != stixID {
			continue
		}
		s.Type, s.TLP, s.Revoked = "relationship", access.TLP(tlp), revoked != 0
		s.Item.ID, s.Item.TLP = s.ItemID, s.TLP
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notify: targeting relationships: %w", err)
	}
	rows.Close()
	for i := range out {
		aud, err := access.Audience(ctx, tx, out[i].ItemID)
		if err != nil {
			return nil, err
		}
		out[i].Item.Audience = aud
	}
	return out, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
