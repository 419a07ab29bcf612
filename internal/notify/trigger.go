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

// subject is one stored version as the triggers read it.
type subject struct {
	Seq        int64
	ItemID     string
	StixID     string
	Type       string
	TLP        access.TLP
	Item       access.Item
	Body       []byte
	ValidUntil int64 // microseconds; 0 = no end
	Revoked    bool
}

// fields are the properties of a STIX object the triggers use. Custom
// properties are Rampart's (x_rampart_*) and CISA's KEV fields as the KEV
// import writes them.
type fields struct {
	Name               string              `json:"name"`
	Pattern            string              `json:"pattern"`
	Labels             []string            `json:"labels"`
	Confidence         *int                `json:"confidence"`
	ExternalReferences []externalReference `json:"external_references"`
	Affected           *Affected           `json:"x_rampart_affected"`
	AffectedUncertain  bool                `json:"x_rampart_affected_uncertain"`
	CVSSVector         string              `json:"x_rampart_cvss_vector"`
	CVSSScore          *float64            `json:"x_rampart_cvss_score"`
	KEVDateAdded       string              `json:"x_cisa_kev_date_added"`
	KEVRequiredAction  string              `json:"x_cisa_kev_required_action"`
	KEVDueDate         string              `json:"x_cisa_kev_due_date"`
	Sectors            []string            `json:"x_rampart_sectors"`
	Regions            []string            `json:"x_rampart_regions"`
	ObservedDataRefs   []string            `json:"observed_data_refs"`
	SightingOfRef      string              `json:"sighting_of_ref"`
	NoticeSeverity     Severity            `json:"x_rampart_severity"`
}

type externalReference struct {
	SourceName  string `json:"source_name"`
	ExternalID  string `json:"external_id,omitempty"`
	URL         string `json:"url,omitempty"`
	Description string `json:"description,omitempty"`
}

// candidate is one organization an object concerns, before the access
// decision.
type candidate struct {
	OrgID     string
	Kind      string // Reason*
	Key       string // the reason without its wording: kind and inventory entry
	Reason    string
	Uncertain bool
	// For vulnerabilities: the CVE id that merges sources, and the KEV
	// facts.
	CVE, Action, Due string
}

// targetingTypes are the object types matched by sector and region.
var targetingTypes = []string{"malware", "campaign", "intrusion-set", "report", "incident", "threat-actor"}

// evaluate returns the organizations one version concerns according to m,
// with the object's title and severity. orgs is needed for targeting
// (sectors and regions are the organization profile's, not inventory).
//
// The rules, one per kind of object:
//   - indicator (and any cyber-observable): each comparison the pattern
//     needs to match, as stix_observables holds it, matched against the
//     inventory; an indicator that is revoked or past valid_until matches
//     nothing.
//   - vulnerability: the affected products it carries
//     (x_rampart_affected, in the notify.Affected form the KEV and CVE
//     imports write) matched with MatchSoftware.
//   - malware, campaign, intrusion-set, report, incident, threat-actor:
//     STIX has no standard targeting field, so a label or an
//     x_rampart_sectors entry equal to one of the organization's sectors
//     or flags (election, water, ...), or an x_rampart_regions entry equal
//     to "fips:SS" (its state) or "fips:SSCCC" (its county).
//   - sighting: the cyber-observables of its observed-data that hit the
//     inventory (something seen in the organization's networks).
func evaluate(ctx context.Context, q db.Querier, s subject, m *Matcher, orgs []identity.Organization, now time.Time) ([]candidate, string, Severity, error) {
	var f fields
	if err := json.Unmarshal(s.Body, &f); err != nil {
		return nil, "", "", nil // not an object the triggers can read; nothing to tell
	}
	title := objectTitle(s.Type, f)
	if s.Revoked || (s.ValidUntil != 0 && s.ValidUntil <= db.Micros(now)) {
		return nil, title, "", nil
	}
	var out []candidate
	switch {
	case s.Type == "vulnerability":
		if f.Affected != nil {
			a := *f.Affected
			if a.ID == "" {
				a.ID = cveOf(f)
			}
			cve := ""
			if id := strings.ToUpper(cveOf(f)); strings.HasPrefix(id, "CVE-") {
				cve = id
			}
			for _, h := range m.MatchSoftware(a) {
				reason := h.Reason
				if f.AffectedUncertain {
					reason += " — a possible match: the source names the product, not its vulnerable versions"
				}
				out = append(out, candidate{OrgID: h.OrgID, Kind: ReasonVulnerability, Key: reasonKey(ReasonVulnerability, h.Item),
					Reason: reason, Uncertain: h.Uncertain || f.AffectedUncertain, CVE: cve, Action: f.KEVRequiredAction, Due: f.KEVDueDate})
			}
		}
	case s.Type == NoticeType:
		cands, err := noticeCandidates(ctx, q, s.StixID)
		if err != nil {
			return nil, "", "", err
		}
		sev := f.NoticeSeverity
		if sev.Rank() == 0 {
			sev = SeverityMedium
		}
		return cands, clip("notice: " + f.Name), sev, nil
	case slices.Contains(targetingTypes, s.Type):
		out = append(out, targeting(f, orgs)...)
	case s.Type == "sighting":
		obs, err := sightingObservables(ctx, q, f.ObservedDataRefs)
		if err != nil {
			return nil, "", "", err
		}
		for _, o := range obs {
			for _, h := range m.Match(o) {
				out = append(out, candidate{OrgID: h.OrgID, Kind: ReasonSighting, Key: reasonKey(ReasonSighting, h.Item),
					Reason: "a sighting was reported of " + o.Type + " " + o.Value + ": " + h.Reason})
			}
		}
	default:
		obs, err := versionObservables(ctx, q, s.Seq)
		if err != nil {
			return nil, "", "", err
		}
		kind, field := ReasonObservable, "value"
		if s.Type == "indicator" {
			kind, field = ReasonIndicator, "pattern "+clip(f.Pattern)
		}
		for _, o := range obs {
			for _, h := range m.Match(o) {
				out = append(out, candidate{OrgID: h.OrgID, Kind: kind, Key: reasonKey(kind, h.Item),
					Reason: "its " + field + ": " + h.Reason})
			}
		}
	}
	return dedupe(out), title, severityOf(s.Type, f, anyCertain(out)), nil
}

func anyCertain(cs []candidate) bool {
	for _, c := range cs {
		if !c.Uncertain {
			return true
		}
	}
	return false
}

// dedupe keeps the first candidate of each (organization, key).
func dedupe(cs []candidate) []candidate {
	seen := map[[2]string]bool{}
	out := cs[:0]
	for _, c := range cs {
		k := [2]string{c.OrgID, c.Key}
		if !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	return out
}

func reasonKey(kind string, it Item) string {
	return kind + ":" + string(it.Kind) + ":" + it.Value + "@" + it.Version
}

func cveOf(f fields) string {
	for _, r := range f.ExternalReferences {
		if strings.EqualFold(r.SourceName, "cve") && r.ExternalID != "" {
			return r.ExternalID
		}
	}
	return f.Name
}

func objectTitle(typ string, f fields) string {
	switch {
	case f.Name != "":
		return clip(typ + ": " + f.Name)
	case f.Pattern != "":
		return clip(typ + ": " + f.Pattern)
	}
	return typ
}

func targeting(f fields, orgs []identity.Organization) []candidate {
	var out []candidate
	named := append(slices.Clone(f.Labels), f.Sectors...)
	for _, o := range orgs {
		for _, n := range named {
			n = strings.ToLower(strings.TrimSpace(n))
			field := "label"
			if slices.Contains(f.Sectors, n) {
				field = "x_rampart_sectors"
			}
			if n != "" && (slices.Contains(o.Sectors, n) || slices.Contains(o.Flags, n)) {
				out = append(out, candidate{OrgID: o.ID, Kind: ReasonTargeting, Key: ReasonTargeting + ":sector:" + n,
					Reason: fmt.Sprintf("its %s %q names your sector %s", field, n, n)})
			}
		}
		for _, r := range f.Regions {
			r = strings.ToLower(strings.TrimSpace(r))
			if o.StateFIPS == "" {
				continue
			}
			switch r {
			case "fips:" + o.StateFIPS:
				out = append(out, candidate{OrgID: o.ID, Kind: ReasonTargeting, Key: ReasonTargeting + ":region:" + r,
					Reason: fmt.Sprintf("its x_rampart_regions %q names your state (FIPS %s)", r, o.StateFIPS)})
			case "fips:" + o.StateFIPS + o.CountyFIPS:
				if o.CountyFIPS != "" {
					out = append(out, candidate{OrgID: o.ID, Kind: ReasonTargeting, Key: ReasonTargeting + ":region:" + r,
						Reason: fmt.Sprintf("its x_rampart_regions %q names your county (FIPS %s%s)", r, o.StateFIPS, o.CountyFIPS)})
				}
			}
		}
	}
	return out
}

// versionObservables reads what stix_observables holds for one version:
// the comparisons an indicator needs, or a cyber-observable's values.
func versionObservables(ctx context.Context, q db.Querier, seq int64) ([]Observable, error) {
	rows, err := q.QueryContext(ctx, `SELECT type, op, value FROM stix_observables WHERE version_seq = $1`, seq)
	if err != nil {
		return nil, fmt.Errorf("notify: observables: %w", err)
	}
	return scanObservables(rows)
}

// sightingObservables reads the cyber-observables the observed-data of a
// sighting refers to, in any stored version. The observed-data's
// object_refs come from their bodies: stix_refs is keyed by what a
// reference points at, not by where it comes from (decision 25).
func sightingObservables(ctx context.Context, q db.Querier, refs []string) ([]Observable, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	var a access.Args
	rows, err := q.QueryContext(ctx, `SELECT body FROM stix_versions WHERE stix_id IN (`+a.List(refs)+`)`, a.Values...)
	if err != nil {
		return nil, fmt.Errorf("notify: sighting observed-data: %w", err)
	}
	var scos []string
	for rows.Next() {
		var body []byte
		if err := rows.Scan(sharing.StoredJSON(&body)); err != nil {
			rows.Close()
			return nil, fmt.Errorf("notify: sighting observed-data: %w", err)
		}
		var od struct {
			ObjectRefs []string `json:"object_refs"`
		}
		if json.Unmarshal(body, &od) == nil {
			scos = append(scos, od.ObjectRefs...)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notify: sighting observed-data: %w", err)
	}
	if len(scos) == 0 {
		return nil, nil
	}
	slices.Sort(scos)
	scos = slices.Compact(scos)
	var b access.Args
	rows, err = q.QueryContext(ctx, `SELECT DISTINCT o.type, o.op, o.value FROM stix_versions sco
		JOIN stix_observables o ON o.version_seq = sco.seq
		WHERE sco.stix_id IN (`+b.List(scos)+`)`, b.Values...)
	if err != nil {
		return nil, fmt.Errorf("notify: sighting observables: %w", err)
	}
	return scanObservables(rows)
}

func scanObservables(rows *sql.Rows) ([]Observable, error) {
	defer rows.Close()
	var out []Observable
	for rows.Next() {
		var o Observable
		if err := rows.Scan(&o.Type, &o.Op, &o.Value); err != nil {
			return nil, fmt.Errorf("notify: observables: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
