package main

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/stix"
)

// The corpus is what a state's sharing community accumulates: bundles
// from its members, mostly indicators (addresses, domains, URLs, file
// hashes), with the relationships, sightings and malware around them, and
// updated versions of earlier indicators. Each bundle has one submitter and
// one sharing setting, as a TAXII add or an import does, so rows the
// reader may not see come in runs, not one in a few: the access predicate
// has to skip them in the query.

// tlpClass is a sharing setting of a bundle: the level, whether the
// objects carry it as a marking (else the collection's default, GREEN,
// applies) and the audience.
type tlpClass struct {
	name   string
	weight int // in percent of bundles
	tlp    access.TLP
	marked bool
	// audience is the submission's grants; nil means the collection's.
	audience func(c *corpus, submitter int) []access.Grant
}

var tlpClasses = []tlpClass{
	{"clear", 18, access.Clear, true, nil},
	{"green", 27, access.Green, true, nil},
	{"green-default", 28, access.Green, false, nil},
	{"amber-community", 10, access.Amber, true, func(c *corpus, _ int) []access.Grant {
		return []access.Grant{{Kind: access.GrantCommunity, ID: c.w.Community}}
	}},
	// TLP:AMBER to one organization: mostly the utility outside the
	// community, sometimes one other member. Every other reader must have
	// these rows filtered out.
	{"amber-org", 10, access.Amber, true, func(c *corpus, s int) []access.Grant {
		return []access.Grant{{Kind: access.GrantOrg, ID: c.otherOrg(s)}}
	}},
	{"amber-strict", 3, access.AmberStrict, true, func(c *corpus, s int) []access.Grant {
		return []access.Grant{{Kind: access.GrantOrg, ID: c.otherOrg(s)}}
	}},
	// TLP:RED to one analyst of another member, or to nobody but the
	// submitter.
	{"red", 4, access.Red, true, func(c *corpus, s int) []access.Grant {
		if c.rng.IntN(2) == 0 {
			return nil
		}
		return []access.Grant{{Kind: access.GrantUser, ID: c.w.Members[c.otherMember(s)].UserID}}
	}},
}

// bundle is one submission.
type bundle struct {
	submitter int
	class     *tlpClass
	grants    []access.Grant
	objs      []stix.Object
}

// knownIndicator is enough to write a later version of an indicator: its
// values derive from the id, so a version changes only what updates change.
type knownIndicator struct {
	id                [16]byte
	created, modified int64 // microseconds
}

type corpus struct {
	w          *world
	rng        *rand.Rand
	maxBundle  int
	indicators [][]knownIndicator // by submitter
	malware    []string
	identities []string
	introduced []bool // the submitter's identity object has been sent
	epoch      time.Time
	versions   int // objects that are a later version of one sent before
}

func newCorpus(w *world, seed uint64, maxBundle int) *corpus {
	c := &corpus{
		w: w, rng: rand.New(rand.NewPCG(seed, 0x7a3ee)), maxBundle: maxBundle,
		indicators: make([][]knownIndicator, len(w.Members)),
		introduced: make([]bool, len(w.Members)),
		// Fixed, so two builds with one seed are the same objects.
		epoch: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for range w.Members {
		c.identities = append(c.identities, "identity--"+c.uuid())
	}
	return c
}

// next returns the next bundle of at most remaining objects.
func (c *corpus) next(remaining int) (bundle, error) {
	// Bundle sizes are log-uniform: many small adds from analysts and
	// automation, some feed dumps of thousands.
	size := int(math.Exp(c.rng.Float64() * math.Log(float64(c.maxBundle))))
	size = max(1, min(size, remaining))
	b := bundle{submitter: c.submitter(), class: c.class()}
	if b.class.audience != nil {
		b.grants = b.class.audience(c, b.submitter)
	}
	var sb strings.Builder
	for len(b.objs) < size {
		sb.Reset()
		if !c.introduced[b.submitter] {
			c.introduced[b.submitter] = true
			c.identity(&sb, b.submitter)
		} else {
			c.object(&sb, b)
		}
		obj, err := stix.ParseObject([]byte(sb.String()))
		if err != nil {
			return b, fmt.Errorf("corpus: %w\n%s", err, sb.String())
		}
		b.objs = append(b.objs, obj)
	}
	return b, nil
}

// submitter is weighted: the state shares the most, then the larger
// counties.
func (c *corpus) submitter() int {
	weights := []int{30, 16, 12, 10, 9, 8, 7, 8}
	n := c.rng.IntN(100)
	for i, wt := range weights[:len(c.w.Members)] {
		if n < wt {
			return i
		}
		n -= wt
	}
	return 0
}

func (c *corpus) class() *tlpClass {
	n := c.rng.IntN(100)
	for i := range tlpClasses {
		if n < tlpClasses[i].weight {
			return &tlpClasses[i]
		}
		n -= tlpClasses[i].weight
	}
	return &tlpClasses[0]
}

func (c *corpus) otherMember(s int) int {
	o := c.rng.IntN(len(c.w.Members) - 1)
	if o >= s {
		o++
	}
	return o
}

func (c *corpus) otherOrg(s int) string {
	if c.rng.IntN(10) < 7 {
		return c.w.Outsider
	}
	return c.w.Members[c.otherMember(s)].Org
}

func (c *corpus) object(sb *strings.Builder, b bundle) {
	n := c.rng.IntN(100)
	known := c.indicators[b.submitter]
	switch {
	case n < 2 || len(known) == 0 && n < 14:
		c.malwareObject(sb, b)
	case n < 10 && len(known) > 0 && len(c.malware) > 0:
		c.relationship(sb, b)
	case n < 14 && len(known) > 0:
		c.sighting(sb, b)
	case n < 24 && len(known) > 0:
		// A later version of an earlier indicator: a changed confidence,
		// description or validity, as feeds re-publish.
		k := &known[c.rng.IntN(len(known))]
		k.modified += 1000 + c.rng.Int64N(int64(30*24*time.Hour/time.Microsecond))
		c.versions++
		c.indicator(sb, b, *k)
	default:
		k := knownIndicator{created: c.timestamp()}
		copy(k.id[:], c.randomBytes(16))
		k.modified = k.created
		c.indicators[b.submitter] = append(known, k)
		c.indicator(sb, b, k)
	}
}

// timestamp is a creation time in the year after the epoch.
func (c *corpus) timestamp() int64 {
	return c.epoch.UnixMicro() + c.rng.Int64N(int64(365*24*time.Hour/time.Microsecond))
}

func stixTime(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000Z")
}

func (c *corpus) randomBytes(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], c.rng.Uint64())
		copy(b[i:], w[:])
	}
	return b
}

func (c *corpus) uuid() string { return uuidOf(c.randomBytes(16)) }

func uuidOf(b []byte) string {
	u := [16]byte(b[:16])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// common writes the properties every SDO and SRO here has.
func (c *corpus) common(sb *strings.Builder, b bundle, typ, id string, created, modified int64) {
	fmt.Fprintf(sb, `{"type":%q,"spec_version":"2.1","id":"%s--%s","created":%q,"modified":%q,"created_by_ref":%q`,
		typ, typ, id, stixTime(created), stixTime(modified), c.identities[b.submitter])
	if b.class.marked {
		mid, _ := stix.TLPMarkingID(string(b.class.tlp))
		fmt.Fprintf(sb, `,"object_marking_refs":[%q]`, mid)
	}
}

func (c *corpus) identity(sb *strings.Builder, s int) {
	m := c.w.Members[s]
	created := c.epoch.UnixMicro()
	fmt.Fprintf(sb, `{"type":"identity","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":%q,"identity_class":"organization","sectors":["government-regional"],"object_marking_refs":[%q]}`,
		c.identities[s], stixTime(created), stixTime(created), m.Name, stix.TLP2ClearID)
}

var (
	tlds        = []string{"com", "net", "org", "info", "biz", "ru", "top", "xyz", "io", "cn"}
	words       = []string{"secure", "login", "update", "cdn", "mail", "portal", "account", "verify", "office", "cloud", "vote", "county", "payroll", "invoice", "sync", "api"}
	killChain   = []string{"reconnaissance", "weaponization", "delivery", "exploitation", "installation", "command-and-control", "actions-on-objectives"}
	malwareKind = []string{"backdoor", "ransomware", "remote-access-trojan", "downloader", "dropper", "keylogger", "bot"}
	campaigns   = []string{"phishing wave targeting county clerks", "credential harvesting against election offices",
		"ransomware staging observed on municipal networks", "scanning of exposed VPN appliances", "watering hole on a regional news site"}
)

// indicator writes a version of k. The pattern, name and kind derive from
// the id, so every version of an indicator detects the same thing.
func (c *corpus) indicator(sb *strings.Builder, b bundle, k knownIndicator) {
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(k.id[:8]), binary.LittleEndian.Uint64(k.id[8:])))
	id := uuidOf(k.id[:])
	c.common(sb, b, "indicator", id, k.created, k.modified)
	var pattern, name, kind string
	domain := func() string {
		return fmt.Sprintf("%s-%s%d.%s", words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(1000), tlds[r.IntN(len(tlds))])
	}
	ip := func() string {
		return fmt.Sprintf("%d.%d.%d.%d", 11+r.IntN(180), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	}
	hexN := func(n int) string {
		buf := make([]byte, n/2)
		for i := range buf {
			buf[i] = byte(r.UintN(256))
		}
		return hex.EncodeToString(buf)
	}
	switch n := r.IntN(100); {
	case n < 35:
		v := ip()
		pattern, name, kind = fmt.Sprintf("[ipv4-addr:value = '%s']", v), "C2 address "+v, "malicious-activity"
	case n < 60:
		v := domain()
		pattern, name, kind = fmt.Sprintf("[domain-name:value = '%s']", v), "Malicious domain "+v, "malicious-activity"
	case n < 75:
		v := fmt.Sprintf("https://%s/%s/%s.php?id=%d", domain(), words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(100000))
		pattern, name, kind = fmt.Sprintf("[url:value = '%s']", v), "Phishing URL on "+strings.SplitN(v[8:], "/", 2)[0], "attribution"
	case n < 87:
		v := hexN(64)
		pattern, name, kind = fmt.Sprintf("[file:hashes.'SHA-256' = '%s']", v), "Malicious file "+v[:12], "malicious-activity"
	case n < 95:
		md5, sha1 := hexN(32), hexN(40)
		pattern = fmt.Sprintf("[file:hashes.MD5 = '%s' OR file:hashes.'SHA-1' = '%s']", md5, sha1)
		name, kind = "Dropper "+md5[:12], "malicious-activity"
	default:
		a, d := ip(), domain()
		pattern = fmt.Sprintf("[ipv4-addr:value = '%s'] OR [domain-name:value = '%s']", a, d)
		name, kind = "Infrastructure "+d, "compromised"
	}
	validUntil := ""
	if r.IntN(2) == 0 {
		validUntil = fmt.Sprintf(`,"valid_until":%q`, stixTime(k.modified+int64(90*24*time.Hour/time.Microsecond)))
	}
	fmt.Fprintf(sb, `,"name":%q,"description":"Observed in %s; reported by %s.","indicator_types":[%q],"pattern":%q,"pattern_type":"stix","pattern_version":"2.1","valid_from":%q%s,"confidence":%d,"labels":["%s"]`,
		name, campaigns[r.IntN(len(campaigns))], c.w.Members[b.submitter].Name, kind, pattern, stixTime(k.created), validUntil,
		c.rng.IntN(101), words[r.IntN(len(words))])
	if r.IntN(3) == 0 {
		fmt.Fprintf(sb, `,"kill_chain_phases":[{"kill_chain_name":"lockheed-martin-cyber-kill-chain","phase_name":%q}]`, killChain[r.IntN(len(killChain))])
	}
	if r.IntN(5) == 0 {
		fmt.Fprintf(sb, `,"external_references":[{"source_name":"examplia-soc","external_id":"EX-%d","url":"https://soc.examplia.example/tickets/%d"}]`, r.IntN(1e6), r.IntN(1e6))
	}
	sb.WriteString("}")
}

func (c *corpus) malwareObject(sb *strings.Builder, b bundle) {
	id := c.uuid()
	t := c.timestamp()
	c.common(sb, b, "malware", id, t, t)
	fmt.Fprintf(sb, `,"name":"Family-%d","is_family":true,"malware_types":[%q],"description":"A malware family seen in %s."}`,
		len(c.malware), malwareKind[c.rng.IntN(len(malwareKind))], campaigns[c.rng.IntN(len(campaigns))])
	c.malware = append(c.malware, "malware--"+id)
}

func (c *corpus) relationship(sb *strings.Builder, b bundle) {
	known := c.indicators[b.submitter]
	k := known[c.rng.IntN(len(known))]
	t := c.timestamp()
	c.common(sb, b, "relationship", c.uuid(), t, t)
	fmt.Fprintf(sb, `,"relationship_type":"indicates","source_ref":"indicator--%s","target_ref":%q}`,
		uuidOf(k.id[:]), c.malware[c.rng.IntN(len(c.malware))])
}

func (c *corpus) sighting(sb *strings.Builder, b bundle) {
	known := c.indicators[b.submitter]
	k := known[c.rng.IntN(len(known))]
	t := c.timestamp()
	c.common(sb, b, "sighting", c.uuid(), t, t)
	first := t - c.rng.Int64N(int64(7*24*time.Hour/time.Microsecond))
	fmt.Fprintf(sb, `,"sighting_of_ref":"indicator--%s","count":%d,"first_seen":%q,"last_seen":%q,"where_sighted_refs":[%q]}`,
		uuidOf(k.id[:]), 1+c.rng.IntN(40), stixTime(first), stixTime(t), c.identities[b.submitter])
}
