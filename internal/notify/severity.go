package notify

import (
	"math"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
)

// severityOf is the rule that ranks a notification:
//
//   - vulnerability: from its CVSS base score (x_rampart_cvss_score, else
//     computed from the CVSS 3.x vector x_rampart_cvss_vector) with the
//     CVSS bands — 9.0 and up critical, 7.0 high, 4.0 medium, below low; no
//     score is medium. Being in CISA's Known Exploited Vulnerabilities
//     catalog (x_cisa_kev_date_added) makes it at least high: it is being
//     exploited now. A match that is only possible (certain false: the
//     inventory gives no version, or KEV names a product but no versions)
//     is one step lower, but never below high for KEV.
//   - indicator, sighting and cyber-observable: high — something hostile
//     touches the organization's own address space or names — critical
//     when the producer's confidence is 90 or more, medium below 50, low
//     below 20. No confidence counts as high.
//   - malware, campaign and the other targeting objects: medium; they name
//     a sector or region, not this organization.
func severityOf(typ string, f fields, certain bool) Severity {
	switch typ {
	case "vulnerability":
		sev := SeverityMedium
		score := -1.0
		if f.CVSSScore != nil {
			score = *f.CVSSScore
		} else if f.CVSSVector != "" {
			if s, err := CVSS3BaseScore(f.CVSSVector); err == nil {
				score = s
			}
		}
		if score >= 0 {
			sev = cvssBand(score)
		}
		if !certain {
			sev = lower(sev)
		}
		if f.KEVDateAdded != "" && sev.Rank() < SeverityHigh.Rank() {
			sev = SeverityHigh
		}
		return sev
	case "malware", "campaign", "intrusion-set", "report", "incident", "threat-actor":
		return SeverityMedium
	}
	if f.Confidence == nil {
		return SeverityHigh
	}
	switch c := *f.Confidence; {
	case c >= 90:
		return SeverityCritical
	case c < 20:
		return SeverityLow
	case c < 50:
		return SeverityMedium
	}
	return SeverityHigh
}

func cvssBand(score float64) Severity {
	switch {
	case score >= 9:
		return SeverityCritical
	case score >= 7:
		return SeverityHigh
	case score >= 4:
		return SeverityMedium
	}
	return SeverityLow
}

func lower(s Severity) Severity {
	switch s {
	case SeverityCritical:
		return SeverityHigh
	case SeverityHigh:
		return SeverityMedium
	}
	return SeverityLow
}

// CVSS3BaseScore computes the base score of a CVSS 3.0 or 3.1 vector
// ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" is 9.8) with the
// specification's formulas. github.com/pandatix/go-cvss, the library the
// architecture names, does not resolve through the module proxy here, and
// the base formula is all severity needs. Temporal and environmental
// metrics in the vector are ignored.
func CVSS3BaseScore(vector string) (float64, error) {
	parts := strings.Split(strings.TrimSpace(vector), "/")
	if len(parts) < 9 || (parts[0] != "CVSS:3.1" && parts[0] != "CVSS:3.0") {
		return 0, errs.E(errs.Invalid, "cvss: %q is not a CVSS 3.x vector.", clip(vector))
	}
	m := map[string]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, ":")
		if !ok {
			return 0, errs.E(errs.Invalid, "cvss: %q is not metric:value.", clip(p))
		}
		if _, dup := m[k]; dup {
			return 0, errs.E(errs.Invalid, "cvss: metric %s is given twice.", k)
		}
		m[k] = v
	}
	weights := map[string]map[string]float64{
		"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
		"AC": {"L": 0.77, "H": 0.44},
		"UI": {"N": 0.85, "R": 0.62},
		"C":  {"H": 0.56, "L": 0.22, "N": 0},
		"I":  {"H": 0.56, "L": 0.22, "N": 0},
		"A":  {"H": 0.56, "L": 0.22, "N": 0},
	}
	w := map[string]float64{}
	for k, table := range weights {
		v, ok := table[m[k]]
		if !ok {
			return 0, errs.E(errs.Invalid, "cvss: metric %s has no valid value.", k)
		}
		w[k] = v
	}
	scope := m["S"]
	if scope != "U" && scope != "C" {
		return 0, errs.E(errs.Invalid, "cvss: metric S has no valid value.")
	}
	pr := map[string]float64{"N": 0.85, "L": 0.62, "H": 0.27}
	if scope == "C" {
		pr = map[string]float64{"N": 0.85, "L": 0.68, "H": 0.5}
	}
	prw, ok := pr[m["PR"]]
	if !ok {
		return 0, errs.E(errs.Invalid, "cvss: metric PR has no valid value.")
	}
	iss := 1 - (1-w["C"])*(1-w["I"])*(1-w["A"])
	impact := 6.42 * iss
	if scope == "C" {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	if impact <= 0 {
		return 0, nil
	}
	exploit := 8.22 * w["AV"] * w["AC"] * prw * w["UI"]
	if scope == "U" {
		return roundUp(math.Min(impact+exploit, 10)), nil
	}
	return roundUp(math.Min(1.08*(impact+exploit), 10)), nil
}

// roundUp is CVSS 3.1's Roundup: the smallest number with one decimal at
// or above x, computed on integers so that 4.000001 does not become 4.1
// through floating-point error.
func roundUp(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// severityLabel is how e-mail and pages show a severity.
func severityLabel(s Severity) string { return strings.ToUpper(string(s)) }
