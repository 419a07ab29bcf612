package notify

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/stix"
)

// tlpClear is the OASIS TLP 2.0 CLEAR marking definition: the KEV catalog
// and CVE records are public.
const tlpClear = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"

// KEVCatalog is CISA's Known Exploited Vulnerabilities catalog as its JSON
// feed publishes it.
type KEVCatalog struct {
	Title           string     `json:"title"`
	CatalogVersion  string     `json:"catalogVersion"`
	DateReleased    string     `json:"dateReleased"`
	Vulnerabilities []KEVEntry `json:"vulnerabilities"`
}

// KEVEntry is one vulnerability of the catalog.
type KEVEntry struct {
	CVEID                      string   `json:"cveID"`
	VendorProject              string   `json:"vendorProject"`
	Product                    string   `json:"product"`
	VulnerabilityName          string   `json:"vulnerabilityName"`
	DateAdded                  string   `json:"dateAdded"`
	ShortDescription           string   `json:"shortDescription"`
	RequiredAction             string   `json:"requiredAction"`
	DueDate                    string   `json:"dueDate"`
	KnownRansomwareCampaignUse string   `json:"knownRansomwareCampaignUse"`
	Notes                      string   `json:"notes"`
	CWEs                       []string `json:"cwes"`
}

var cveID = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// ParseKEV reads the catalog. Entries without a valid CVE id or dateAdded
// are reported in the error list and left out; the rest are returned.
func ParseKEV(r io.Reader) (KEVCatalog, []error, error) {
	var c KEVCatalog
	dec := json.NewDecoder(io.LimitReader(r, 256<<20))
	if err := dec.Decode(&c); err != nil {
		return c, nil, errs.E(errs.Invalid, "kev: not a KEV catalog: %v", err)
	}
	var bad []error
	good := c.Vulnerabilities[:0]
	for i, v := range c.Vulnerabilities {
		if !cveID.MatchString(v.CVEID) {
			bad = append(bad, fmt.Errorf("vulnerabilities[%d]: cveID %q is not a CVE id", i, clip(v.CVEID)))
			continue
		}
		if _, err := time.Parse(time.DateOnly, v.DateAdded); err != nil {
			bad = append(bad, fmt.Errorf("vulnerabilities[%d] (%s): dateAdded %q is not a date", i, v.CVEID, clip(v.DateAdded)))
			continue
		}
		good = append(good, v)
	}
	c.Vulnerabilities = good
	return c, bad, nil
}

// KEVProducts turns a KEV entry's vendorProject and product, which are
// names for people, into the products MatchSoftware looks up by CPE vendor
// and product. The rule, and why it is uncertain: CPE vendor names are
// lower case with the words joined by _ or run together
// ("palo_alto_networks" or "paloaltonetworks"), so both spellings and the
// first word alone are tried; a product may list several ("Connect
// Secure, Policy Secure, and ZTA Gateways"), so it is split at commas and
// "and", and parenthesised abbreviations are dropped. KEV gives no
// versions, so every match is a possible one (Hit.Uncertain): the
// organization runs the product, not necessarily a vulnerable version.
func KEVProducts(vendor, product string) []Product {
	var vendors, products []string
	add := func(list *[]string, s string) {
		s = strings.Trim(strings.ToLower(strings.TrimSpace(s)), ".,;")
		if s == "" || s == "n/a" || s == "multiple products" {
			return
		}
		for _, v := range []string{strings.Join(strings.Fields(s), "_"), strings.Join(strings.Fields(s), "")} {
			if !contains(*list, v) {
				*list = append(*list, v)
			}
		}
	}
	add(&vendors, vendor)
	if f := strings.Fields(vendor); len(f) > 1 {
		add(&vendors, f[0])
	}
	paren := regexp.MustCompile(`\([^)]*\)`)
	p := paren.ReplaceAllString(product, "")
	add(&products, p)
	for _, part := range regexp.MustCompile(`,|\band\b`).Split(p, -1) {
		add(&products, part)
	}
	var out []Product
	for _, v := range vendors {
		for _, pr := range products {
			out = append(out, Product{Vendor: v, Product: pr, DefaultStatus: "affected"})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// uuid5 is an RFC 9562 name-based (SHA-1) UUID in Rampart's namespace, so
// importing the same catalog twice gives the same STIX ids.
func uuid5(name string) string {
	ns := []byte{0x6f, 0x2d, 0x3a, 0x51, 0x4e, 0x0b, 0x4c, 0x8e, 0x9d, 0x6b, 0x21, 0x58, 0x3a, 0x0c, 0x7e, 0x44}
	h := sha1.New()
	h.Write(ns)
	h.Write([]byte(name))
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func stixTime(date string) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, date); err != nil {
			if t, err = time.Parse("2006-01-02T15:04:05", date); err != nil {
				return "2000-01-01T00:00:00.000Z"
			}
		}
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// KEVObject is the STIX vulnerability of a KEV entry: a deterministic id
// per CVE, TLP:CLEAR, the CVE as external reference, the catalog's fields
// as x_cisa_kev_* properties, and the affected products (KEVProducts) in
// x_rampart_affected, marked uncertain.
func KEVObject(v KEVEntry) (stix.Object, error) {
	ts := stixTime(v.DateAdded)
	desc := v.ShortDescription
	if desc == "" {
		desc = v.VulnerabilityName
	}
	obj := map[string]any{
		"type": "vulnerability", "spec_version": "2.1", "id": "vulnerability--" + uuid5("kev/"+v.CVEID),
		"created": ts, "modified": ts, "name": v.CVEID, "description": desc,
		"external_references": []externalReference{{SourceName: "cve", ExternalID: v.CVEID, URL: "https://www.cve.org/CVERecord?id=" + v.CVEID},
			{SourceName: "cisa-kev", URL: "https://www.cisa.gov/known-exploited-vulnerabilities-catalog", Description: v.VulnerabilityName}},
		"object_marking_refs":                      []string{tlpClear},
		"x_cisa_kev_vendor_project":                v.VendorProject,
		"x_cisa_kev_product":                       v.Product,
		"x_cisa_kev_vulnerability_name":            v.VulnerabilityName,
		"x_cisa_kev_date_added":                    v.DateAdded,
		"x_cisa_kev_due_date":                      v.DueDate,
		"x_cisa_kev_required_action":               v.RequiredAction,
		"x_cisa_kev_known_ransomware_campaign_use": v.KnownRansomwareCampaignUse,
		"x_rampart_affected":                       Affected{ID: v.CVEID, Products: KEVProducts(v.VendorProject, v.Product)},
		"x_rampart_affected_uncertain":             true,
	}
	if len(v.CWEs) > 0 {
		obj["x_cisa_kev_cwes"] = v.CWEs
	}
	return marshalObject(obj)
}

func marshalObject(obj map[string]any) (stix.Object, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return stix.Object{}, fmt.Errorf("notify: marshal object: %w", err)
	}
	return stix.ParseObject(b)
}

// CVERecord is the part of a CVE JSON 5 record the import reads.
type CVERecord struct {
	DataType    string `json:"dataType"`
	CVEMetadata struct {
		CVEID         string `json:"cveId"`
		State         string `json:"state"`
		DatePublished string `json:"datePublished"`
		DateUpdated   string `json:"dateUpdated"`
	} `json:"cveMetadata"`
	Containers struct {
		CNA cveContainer   `json:"cna"`
		ADP []cveContainer `json:"adp"`
	} `json:"containers"`
}

type cveContainer struct {
	Title        string    `json:"title"`
	Descriptions []cveText `json:"descriptions"`
	Affected     []Product `json:"affected"`
	Metrics      []struct {
		V40 *cveCVSS `json:"cvssV4_0"`
		V31 *cveCVSS `json:"cvssV3_1"`
		V30 *cveCVSS `json:"cvssV3_0"`
	} `json:"metrics"`
	References []struct {
		URL  string `json:"url"`
		Name string `json:"name"`
	} `json:"references"`
}

type cveText struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
}

type cveCVSS struct {
	BaseScore    float64 `json:"baseScore"`
	VectorString string  `json:"vectorString"`
}

// ParseCVERecord reads one CVE JSON 5 record. A rejected record, or one
// without a valid CVE id, is an error: it says nothing to match.
func ParseCVERecord(data []byte) (CVERecord, error) {
	var rec CVERecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, errs.E(errs.Invalid, "cve: not a CVE JSON 5 record: %v", err)
	}
	if rec.DataType != "" && rec.DataType != "CVE_RECORD" {
		return rec, errs.E(errs.Invalid, "cve: dataType %q is not CVE_RECORD.", clip(rec.DataType))
	}
	if !cveID.MatchString(rec.CVEMetadata.CVEID) {
		return rec, errs.E(errs.Invalid, "cve: cveId %q is not a CVE id.", clip(rec.CVEMetadata.CVEID))
	}
	if strings.EqualFold(rec.CVEMetadata.State, "REJECTED") {
		return rec, errs.E(errs.Invalid, "cve: %s is rejected.", rec.CVEMetadata.CVEID)
	}
	return rec, nil
}

// CVEObject is the STIX vulnerability of a CVE record: a deterministic id
// per CVE (not the KEV object's: the two are different sources' views and
// both may be stored), TLP:CLEAR, the record's references, its CVSS base
// score and vector (4.0, else 3.1, else 3.0), and its affected[] (the CNA's and the ADPs', with
// their CPEs) in x_rampart_affected for MatchSoftware.
func CVEObject(rec CVERecord) (stix.Object, error) {
	id := rec.CVEMetadata.CVEID
	created := stixTime(rec.CVEMetadata.DatePublished)
	modified := stixTime(rec.CVEMetadata.DateUpdated)
	if rec.CVEMetadata.DateUpdated == "" || modified < created {
		modified = created
	}
	refs := []externalReference{{SourceName: "cve", ExternalID: id, URL: "https://www.cve.org/CVERecord?id=" + id}}
	affected := Affected{ID: id}
	var score *float64
	vector := ""
	desc := ""
	for i, c := range append([]cveContainer{rec.Containers.CNA}, rec.Containers.ADP...) {
		for _, d := range c.Descriptions {
			if desc == "" && strings.HasPrefix(d.Lang, "en") {
				desc = d.Value
			}
		}
		affected.Products = append(affected.Products, c.Affected...)
		if i == 0 {
			for _, r := range c.References {
				if len(refs) < 20 && r.URL != "" {
					refs = append(refs, externalReference{SourceName: "cve-reference", URL: r.URL, Description: r.Name})
				}
			}
		}
	}
	// The newest CVSS version any container scores wins (as NVD's primary
	// metric does), the CNA's before an ADP's within a version. A CVSS 4.0
	// score is taken as the record states it: its computation is a table of
	// macro vectors that nobody should copy by hand.
	containers := append([]cveContainer{rec.Containers.CNA}, rec.Containers.ADP...)
	for version := 0; version < 3 && score == nil; version++ {
		for _, c := range containers {
			for _, m := range c.Metrics {
				if v := [...]*cveCVSS{m.V40, m.V31, m.V30}[version]; v != nil && score == nil {
					s := v.BaseScore
					score, vector = &s, v.VectorString
				}
			}
		}
	}
	obj := map[string]any{
		"type": "vulnerability", "spec_version": "2.1", "id": "vulnerability--" + uuid5("cve/"+id),
		"created": created, "modified": modified, "name": id, "external_references": refs,
		"object_marking_refs": []string{tlpClear}, "x_rampart_affected": affected,
	}
	if desc != "" {
		obj["description"] = desc
	}
	if score != nil {
		obj["x_rampart_cvss_score"] = *score
		if vector != "" {
			obj["x_rampart_cvss_vector"] = vector
		}
	}
	return marshalObject(obj)
}
