package convert

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// clusterKind is the STIX object a MISP galaxy's clusters become.
type clusterKind struct {
	typ          string
	malwareTypes []string
}

// clusterKindOf maps a galaxy type. The MITRE galaxies come under several
// names across MISP versions; the malware-family galaxies (banker, rat,
// ransomware ...) are malware whose galaxy says what kind.
func clusterKindOf(galaxyType string) (clusterKind, bool) {
	t := strings.ToLower(galaxyType)
	switch t {
	case "threat-actor":
		return clusterKind{typ: "threat-actor"}, true
	case "intrusion-set", "mitre-intrusion-set", "mitre-enterprise-attack-intrusion-set",
		"mitre-mobile-attack-intrusion-set", "mitre-pre-attack-intrusion-set":
		return clusterKind{typ: "intrusion-set"}, true
	case "tool", "mitre-tool", "mitre-enterprise-attack-tool", "mitre-mobile-attack-tool":
		return clusterKind{typ: "tool"}, true
	case "attack-pattern", "mitre-attack-pattern", "mitre-enterprise-attack-attack-pattern",
		"mitre-mobile-attack-attack-pattern", "mitre-pre-attack-attack-pattern":
		return clusterKind{typ: "attack-pattern"}, true
	case "malware", "mitre-malware", "mitre-enterprise-attack-malware", "mitre-mobile-attack-malware",
		"malpedia", "android", "banker", "stealer":
		return clusterKind{typ: "malware"}, true
	case "ransomware":
		return clusterKind{"malware", []string{"ransomware"}}, true
	case "rat":
		return clusterKind{"malware", []string{"remote-access-trojan"}}, true
	case "botnet":
		return clusterKind{"malware", []string{"bot"}}, true
	case "backdoor":
		return clusterKind{"malware", []string{"backdoor"}}, true
	case "exploit-kit":
		return clusterKind{"malware", []string{"exploit-kit"}}, true
	}
	return clusterKind{}, false
}

// scanClusters finds the cluster UUIDs of the event that cannot identify a
// cluster: exports of older MISP versions give several clusters of a
// galaxy the same uuid, or the galaxy's own. Such clusters get an id
// derived from galaxy type and value instead, so that two different
// clusters never share an id.
func (e *eventState) scanClusters(ev *mispEvent) {
	type scan struct {
		UUID          text `json:"uuid"`
		GalaxyCluster []struct {
			UUID  text `json:"uuid"`
			Type  text `json:"type"`
			Value text `json:"value"`
		} `json:"GalaxyCluster"`
	}
	look := func(raw json.RawMessage) {
		var gs []scan
		_ = json.Unmarshal(raw, &gs) // what does not read is reported when converting
		for _, g := range gs {
			for _, cl := range g.GalaxyCluster {
				u, ok := validUUID(cl.UUID.String())
				if !ok {
					continue
				}
				key := cl.Type.String() + "\x00" + cl.Value.String()
				if prev, seen := e.clusterSeen[u]; seen && prev != key || strings.EqualFold(u, g.UUID.String()) {
					e.badClusters[u] = true
				}
				e.clusterSeen[u] = key
			}
		}
	}
	type withGalaxy struct {
		Galaxy json.RawMessage `json:"Galaxy"`
	}
	look(ev.Galaxy)
	var attrs []withGalaxy
	_ = json.Unmarshal(ev.Attribute, &attrs)
	for _, a := range attrs {
		look(a.Galaxy)
	}
	var objs []struct {
		Attribute []withGalaxy `json:"Attribute"`
	}
	_ = json.Unmarshal(ev.Object, &objs)
	for _, o := range objs {
		for _, a := range o.Attribute {
			look(a.Galaxy)
		}
	}
}

// galaxies converts a Galaxy list and returns the ids of the objects its
// clusters became.
func (e *eventState) galaxies(w string, raw json.RawMessage) []string {
	var ids []string
	for i, r := range e.c.elements(w, raw) {
		gw := fmt.Sprintf("%s[%d]", w, i)
		var g mispGalaxy
		if !e.c.decode(gw, r, &g) {
			continue
		}
		for j, cr := range e.c.elements(gw+".GalaxyCluster", g.GalaxyCluster) {
			cw := fmt.Sprintf("%s.GalaxyCluster[%d]", gw, j)
			var cl mispCluster
			if !e.c.decode(cw, cr, &cl) {
				continue
			}
			if id, ok := e.cluster(cw, g, cl); ok && !contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

var techniqueSuffix = regexp.MustCompile(`^(.+?) - ((?:T|TA|S|G|M)\d{4}(?:\.\d{3})?)$`)

// cluster converts one galaxy cluster. Clusters describe public
// knowledge shared by many events, so they carry no created_by_ref; they
// are marked at the event's level, since a private galaxy can be as
// sensitive as the event.
func (e *eventState) cluster(cw string, g mispGalaxy, cl mispCluster) (string, bool) {
	typ := cl.Type.String()
	if typ == "" {
		typ = g.Type.String()
	}
	name := cl.Value.String()
	kind, ok := clusterKindOf(typ)
	if !ok {
		e.c.warn(cw, name, "galaxy %s has no STIX mapping; its tag stays a label", typ)
		return "", false
	}
	if name == "" {
		e.c.reject(cw, "", "the galaxy cluster has no value")
		return "", false
	}
	u, valid := validUUID(cl.UUID.String())
	if !valid || e.badClusters[u] {
		if cl.UUID.String() != "" {
			e.c.warn(cw, name, "the cluster's uuid %s does not identify it (shared with other clusters or its galaxy, or invalid); its id is derived from galaxy and value", cl.UUID.String())
		}
		u = uuid5("misp-galaxy-cluster", strings.ToLower(typ), name)
	}
	for _, tag := range []string{cl.TagName.String(), fmt.Sprintf("misp-galaxy:%s=%q", typ, name)} {
		if tag != "" {
			e.clusterTags[tag] = true
		}
	}

	var refs []externalReference
	if kind.typ == "attack-pattern" {
		extID := ""
		if ids := metaStrings(cl.Meta["external_id"]); len(ids) > 0 {
			extID = ids[0]
		}
		if m := techniqueSuffix.FindStringSubmatch(name); m != nil {
			name = m[1]
			if extID == "" {
				extID = m[2]
			}
		}
		if extID != "" {
			refs = append(refs, externalReference{SourceName: "mitre-attack", ExternalID: extID})
		}
	}
	for _, r := range metaStrings(cl.Meta["refs"]) {
		if u, err := checkURL(r); err == nil {
			refs = append(refs, refFromURL(u, ""))
		}
	}
	var aliases []string
	for _, s := range metaStrings(cl.Meta["synonyms"]) {
		if s != name {
			aliases = append(aliases, s)
		}
	}

	level := e.level()
	o := sdo(kind.typ, kind.typ+"--"+u, "", epoch, e.modified).set("name", name).set("description", cl.Description.String())
	if kind.typ == "malware" {
		o.set("malware_types", kind.malwareTypes).set("is_family", true)
	}
	o.set("aliases", aliases)
	if kind.typ == "attack-pattern" || kind.typ == "malware" || kind.typ == "tool" {
		if phases := killChain(metaStrings(cl.Meta["kill_chain"])); len(phases) > 0 {
			o.set("kill_chain_phases", phases)
		}
	}
	if len(refs) > 0 {
		o.set("external_references", refs)
	}
	o.set("object_marking_refs", markingRefs(level))
	id, ok := e.c.emit(cw, name, o, level)
	if ok {
		e.ref(id)
	}
	return id, ok
}

// killChain reads MISP's "chain:phase" and "chain:matrix:phase" entries.
func killChain(entries []string) []killChainPhase {
	var out []killChainPhase
	for _, s := range entries {
		chain, _, _ := strings.Cut(s, ":")
		phase := s[strings.LastIndexByte(s, ':')+1:]
		p := killChainPhase{slug(chain), slug(phase)}
		if p.KillChainName != "" && p.PhaseName != "" && strings.Contains(s, ":") && !containsPhase(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func containsPhase(l []killChainPhase, p killChainPhase) bool {
	for _, x := range l {
		if x == p {
			return true
		}
	}
	return false
}

// Sightings ---------------------------------------------------------------

// sightingGroup gathers the sightings of one kind by one organisation:
// STIX counts them in one object rather than one per MISP sighting.
type sightingGroup struct {
	where         string
	org           mispOrg
	hasOrg        bool
	falsePositive bool
	first, last   time.Time
	count         int
	sources       []string
}

type sightings struct {
	groups  []*sightingGroup
	expires time.Time // earliest expiration sighting
}

// readSightings reads MISP sightings: type 0 is a sighting, 1 a false
// positive, 2 an expiration.
func (e *eventState) readSightings(w string, raw json.RawMessage, out *sightings) {
	for i, r := range e.c.elements(w, raw) {
		sw := fmt.Sprintf("%s[%d]", w, i)
		var s mispSighting
		if !e.c.decode(sw, r, &s) {
			continue
		}
		at := e.timeOr(s.DateSighting, e.modified)
		fp := false
		switch s.Type.String() {
		case "", "0":
		case "1":
			fp = true
		case "2":
			if out.expires.IsZero() || at.Before(out.expires) {
				out.expires = at
			}
			continue
		default:
			e.c.warn(sw, s.Type.String(), "unknown sighting type; skipped")
			continue
		}
		org, hasOrg := decodeOrg(s.Organisation)
		var g *sightingGroup
		for _, x := range out.groups {
			if x.falsePositive == fp && x.hasOrg == hasOrg && orgKey(x.org) == orgKey(org) {
				g = x
			}
		}
		if g == nil {
			g = &sightingGroup{where: sw, org: org, hasOrg: hasOrg, falsePositive: fp, first: at, last: at}
			out.groups = append(out.groups, g)
		}
		g.count++
		if at.Before(g.first) {
			g.first = at
		}
		if at.After(g.last) {
			g.last = at
		}
		if src := s.Source.String(); src != "" && !contains(g.sources, src) {
			g.sources = append(g.sources, src)
		}
	}
}

func orgKey(o mispOrg) string {
	if u, ok := validUUID(o.UUID.String()); ok {
		return u
	}
	return strings.ToLower(o.Name.String())
}

// emitSightings turns the groups into sightings of the indicator, and
// false positives into opinions strongly disagreeing with it, authored by
// the organisation that reported them. The first and last sighting are
// created and modified, so more sightings make a newer version.
func (e *eventState) emitSightings(sg sightings, indicator, level string) {
	for _, g := range sg.groups {
		orgID := ""
		if g.hasOrg {
			orgID = e.identity(g.where+".Organisation", g.org)
		}
		var o *object
		if g.falsePositive {
			by := orgID
			if by == "" {
				by = e.createdBy
			}
			o = sdo("opinion", "opinion--"+uuid5("misp-false-positive", indicator, orgKey(g.org)), by, g.first, g.last).
				set("explanation", fmt.Sprintf("Reported as a false positive %d time(s) in MISP.", g.count))
			if name := g.org.Name.String(); name != "" {
				o.set("authors", []string{name})
			}
			o.set("opinion", "strongly-disagree").set("object_refs", []string{indicator})
		} else {
			o = sdo("sighting", "sighting--"+uuid5("misp-sighting", indicator, orgKey(g.org)), e.createdBy, g.first, g.last)
			if len(g.sources) > 0 {
				o.set("description", "Sources: "+strings.Join(g.sources, ", "))
			}
			o.set("first_seen", ts(g.first)).set("last_seen", ts(g.last)).set("count", g.count).
				set("sighting_of_ref", indicator)
			if orgID != "" {
				o.set("where_sighted_refs", []string{orgID})
			}
		}
		o.set("object_marking_refs", markingRefs(level))
		if id, ok := e.c.emit(g.where, indicator, o, level); ok {
			e.ref(id)
		}
	}
}
