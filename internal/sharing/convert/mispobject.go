package convert

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// objAttr is an attribute of a MISP object with its value checked.
type objAttr struct {
	where, typ, value, relation string
	p                           []string
	vt                          valueType
	known                       bool
}

// templates build the pattern of an object's to_ids attributes, per
// object template. file and url objects describe one thing each, so their
// comparisons share a bracket per object type; the network templates put
// addresses, names and ports where network-traffic and domain-name hold
// them.
var templates = map[string]func(e *eventState, attrs []objAttr) []bracket{
	"file":               mergedPattern,
	"url":                mergedPattern,
	"domain-ip":          domainIPPattern,
	"ip-port":            trafficPattern,
	"network-connection": trafficPattern,
	"email":              emailPattern,
}

type pendingRef struct {
	where, src, target, relType, uuid string
	modified                          time.Time
}

func (e *eventState) object(w string, raw json.RawMessage) {
	var ob mispObject
	if !e.c.decode(w, raw, &ob) || bool(ob.Deleted) {
		return
	}
	name := ob.Name.String()
	var attrs []*mispAttribute
	var wheres []string
	for j, r := range e.c.elements(w+".Attribute", ob.Attribute) {
		aw := fmt.Sprintf("%s.Attribute[%d]", w, j)
		var a mispAttribute
		if e.c.decode(aw, r, &a) && !bool(a.Deleted) {
			attrs = append(attrs, &a)
			wheres = append(wheres, aw)
		}
	}
	build, ok := templates[name]
	if !ok {
		e.c.warn(w, name, "MISP object template %q has no STIX mapping; its attributes are converted one by one", name)
		for i, a := range attrs {
			e.attribute(wheres[i], a)
		}
		return
	}

	rawUUID := strings.ToLower(ob.UUID.String())
	u := e.itemUUID(w, "object", rawUUID, name, w)
	modified := e.timeOr(ob.Timestamp, e.modified)
	var levels, labels, targets []string
	var ids, others []objAttr
	var sg sightings
	for i, a := range attrs {
		aw := wheres[i]
		tags := e.tagNames(aw, a.Tag, a.AttributeTag)
		levels = append(levels, tlpOfTags(tags))
		for _, t := range e.galaxies(aw+".Galaxy", a.Galaxy) {
			if !contains(targets, t) {
				targets = append(targets, t)
			}
		}
		labels = append(labels, e.labelsOf(tags)...)
		x := objAttr{where: aw, typ: a.Type.String(), value: a.Value.String(), relation: strings.ToLower(a.ObjectRelation.String())}
		if a.ToIDS {
			e.readSightings(aw+".Sighting", a.Sighting, &sg)
			ids = append(ids, x)
		} else {
			others = append(others, x)
		}
	}
	level := e.level(levels...)
	first := e.timeOr(ob.FirstSeen, time.Time{})
	last := e.timeOr(ob.LastSeen, time.Time{})

	var id string
	if len(ids) > 0 {
		brackets := build(e, e.checkAttrs(ids))
		if len(brackets) == 0 {
			e.c.warn(w, name, "none of the object's to_ids attributes has a pattern mapping; object skipped")
			return
		}
		in := indicatorIn{id: "indicator--" + u, name: objectName(name, ids), description: ob.Comment.String(),
			pattern: render(brackets), patternType: "stix", modified: modified, labels: labels, tlp: level}
		in.validFrom, in.validUntil = validity(first, last, modified, sg.expires)
		if id, ok = e.indicator(w, name, in); !ok {
			return
		}
		for _, t := range targets {
			e.relationship(w, "indicates", id, t, modified, "")
		}
		e.emitSightings(sg, id, level)
	} else {
		refs := e.objectObservables(w, name, e.checkAttrs(others), level)
		if len(refs) == 0 {
			e.c.warn(w, name, "none of the object's attributes has an observable mapping; object skipped")
			return
		}
		if first.IsZero() {
			first = modified
		}
		if last.IsZero() {
			last = first
		}
		if id, ok = e.observed(w, name, "observed-data--"+u, refs, first, last, modified, labels, level); !ok {
			return
		}
	}
	e.mapUUID(rawUUID, id)
	for _, a := range attrs {
		e.mapUUID(strings.ToLower(a.UUID.String()), id)
	}
	for j, r := range e.c.elements(w+".ObjectReference", ob.ObjectReference) {
		rw := fmt.Sprintf("%s.ObjectReference[%d]", w, j)
		var ref mispReference
		if !e.c.decode(rw, r, &ref) || bool(ref.Deleted) {
			continue
		}
		e.pending = append(e.pending, pendingRef{where: rw, src: id, target: strings.ToLower(ref.ReferencedUUID.String()),
			relType: ref.RelationshipType.String(), uuid: ref.UUID.String(), modified: e.timeOr(ref.Timestamp, modified)})
	}
}

// objectName names an object's indicator after its template and first
// value, which is how MISP shows objects.
func objectName(template string, attrs []objAttr) string {
	for _, x := range attrs {
		if x.value != "" {
			return template + ": " + shorten(x.value)
		}
	}
	return template
}

// checkAttrs checks the values of an object's attributes; a malformed one
// is rejected and left out. An attribute type the package does not know
// is read as text, for the templates that place it by its relation.
func (e *eventState) checkAttrs(attrs []objAttr) []objAttr {
	var out []objAttr
	for _, x := range attrs {
		if vt, ok := valueTypes[x.typ]; ok {
			p, err := vt.parse(x.value)
			if err != nil {
				e.c.reject(x.where, x.value, "%s: %v", x.typ, err)
				continue
			}
			x.p, x.vt, x.known = p, vt, true
		} else {
			v, err := checkText(x.value)
			if err != nil {
				e.c.reject(x.where, x.value, "%s: %v", x.typ, err)
				continue
			}
			x.p = []string{v}
		}
		out = append(out, x)
	}
	return out
}

func (e *eventState) leftOut(x objAttr) {
	e.c.warn(x.where, x.value, "attribute %s (%s) has no place in the object's pattern; left out", x.relation, x.typ)
}

// add appends a comparison unless the bracket already compares the same
// single-valued property with another value: the conjunction could never
// match, so the first value is kept and the second reported.
func (e *eventState) add(b *bracket, c comparison, x objAttr) {
	if !strings.Contains(c.path, "[*]") {
		for _, have := range *b {
			if have.path == c.path && have.lit != c.lit {
				e.c.warn(x.where, x.value, "conflicts with another value of the object for %s; left out of the pattern", c.path)
				return
			}
		}
	}
	*b = append(*b, c)
}

func mergedPattern(e *eventState, attrs []objAttr) []bracket {
	var out []bracket
	for _, x := range attrs {
		if !x.known {
			e.leftOut(x)
			continue
		}
		for _, b := range x.vt.pattern(x.p) {
			i := 0
			for i < len(out) && out[i].objectType() != b.objectType() {
				i++
			}
			if i == len(out) {
				out = append(out, nil)
			}
			for _, c := range b {
				e.add(&out[i], c, x)
			}
		}
	}
	return out
}

func domainIPPattern(e *eventState, attrs []objAttr) []bracket {
	var b bracket
	var ips []string
	for _, x := range attrs {
		switch x.typ {
		case "domain", "hostname":
			e.add(&b, eq("domain-name:value", x.p[0]), x)
		case "domain|ip":
			e.add(&b, eq("domain-name:value", x.p[0]), x)
			ips = append(ips, x.p[1])
		case "ip-dst", "ip-src":
			ips = append(ips, x.p[0])
		default:
			e.leftOut(x)
		}
	}
	if len(b) > 0 {
		for _, ip := range ips {
			b = append(b, ipComparison("domain-name:resolves_to_refs[*].value", ip))
		}
		return []bracket{b}
	}
	var out []bracket
	for _, ip := range ips {
		out = append(out, bracket{ipComparison(ipVersion(ip)+"-addr:value", ip)})
	}
	return out
}

// trafficPattern serves ip-port and network-connection. The side of an
// address, name or port comes from its relation (ip-src, src-port,
// hostname-dst) or else from its type; a host name without a side, or
// beside an address on the same side, gets a bracket of its own.
func trafficPattern(e *eventState, attrs []objAttr) []bracket {
	type end struct{ ip, host, port string }
	var ends [2]end // src, dst
	var protocols []string
	var extra []bracket
	side := func(rel string, def int) int {
		switch {
		case strings.Contains(rel, "src"):
			return 0
		case strings.Contains(rel, "dst"):
			return 1
		}
		return def
	}
	set := func(field *string, v string, x objAttr) {
		if *field != "" && *field != v {
			e.c.warn(x.where, x.value, "conflicts with another value of the object; left out of the pattern")
			return
		}
		*field = v
	}
	for _, x := range attrs {
		switch {
		case x.typ == "ip-src" || x.typ == "ip-dst":
			def := 1
			if x.typ == "ip-src" {
				def = 0
			}
			set(&ends[side(x.relation, def)].ip, x.p[0], x)
		case x.typ == "ip-src|port" || x.typ == "ip-dst|port":
			s := 1
			if x.typ == "ip-src|port" {
				s = 0
			}
			set(&ends[s].ip, x.p[0], x)
			set(&ends[s].port, x.p[1], x)
		case x.typ == "port":
			set(&ends[side(x.relation, 1)].port, x.p[0], x)
		case x.typ == "hostname" || x.typ == "domain":
			if s := side(x.relation, -1); s >= 0 {
				set(&ends[s].host, x.p[0], x)
			} else {
				extra = append(extra, bracket{eq("domain-name:value", x.p[0])})
			}
		case strings.HasPrefix(x.relation, "layer") && strings.HasSuffix(x.relation, "-protocol"):
			if p := strings.ToLower(x.p[0]); !contains(protocols, p) {
				protocols = append(protocols, p)
			}
		default:
			e.leftOut(x)
		}
	}
	var b bracket
	for i, name := range []string{"src", "dst"} {
		ref, end := "network-traffic:"+name+"_ref", ends[i]
		switch {
		case end.ip != "":
			b = append(b, ipComparisons(ref, end.ip)...)
			if end.host != "" {
				extra = append(extra, bracket{eq("domain-name:value", end.host)})
			}
		case end.host != "":
			b = append(b, eq(ref+".type", "domain-name"), eq(ref+".value", end.host))
		}
		if end.port != "" {
			b = append(b, eqInt("network-traffic:"+name+"_port", end.port))
		}
	}
	for _, p := range protocols {
		b = append(b, eq("network-traffic:protocols[*]", p))
	}
	var out []bracket
	if len(b) > 0 {
		out = append(out, b)
	}
	return append(out, extra...)
}

// emailPaths places the email template's attributes by relation.
var emailPaths = map[string]string{
	"from":              "email-message:from_ref.value",
	"from-display-name": "email-message:from_ref.display_name",
	"to":                "email-message:to_refs[*].value",
	"to-display-name":   "email-message:to_refs[*].display_name",
	"cc":                "email-message:cc_refs[*].value",
	"bcc":               "email-message:bcc_refs[*].value",
	"subject":           "email-message:subject",
	"message-id":        "email-message:message_id",
	"reply-to":          "email-message:additional_header_fields.'Reply-To'",
	"return-path":       "email-message:additional_header_fields.'Return-Path'",
	"x-mailer":          "email-message:additional_header_fields.'X-Mailer'",
	"user-agent":        "email-message:additional_header_fields.'User-Agent'",
	"attachment":        "email-message:body_multipart[*].body_raw_ref.name",
	"email-body":        "email-message:body",
}

func emailPattern(e *eventState, attrs []objAttr) []bracket {
	var b bracket
	for _, x := range attrs {
		path, ok := emailPaths[x.relation]
		switch {
		case ok:
			e.add(&b, eq(path, x.p[0]), x)
		case x.known && len(x.vt.pattern(x.p)) == 1 && x.vt.pattern(x.p)[0].objectType() == "email-message":
			for _, c := range x.vt.pattern(x.p)[0] {
				e.add(&b, c, x)
			}
		default:
			e.leftOut(x)
		}
	}
	if len(b) == 0 {
		return nil
	}
	return []bracket{b}
}

// objectObservables registers the observables of an object without
// to_ids attributes. A file object is one file and a domain-ip object one
// name with its addresses; other templates give an observable per
// attribute.
func (e *eventState) objectObservables(w, template string, attrs []objAttr, level string) []string {
	switch template {
	case "file":
		f := scoObject("file")
		hashes := map[string]string{}
		var names []string
		for _, x := range attrs {
			switch {
			case x.typ == "filename":
				names = append(names, x.p[0])
			case strings.HasPrefix(x.typ, "filename|") || x.typ == "malware-sample":
				if algo, ok := hashAlgos[strings.TrimPrefix(x.typ, "filename|")]; ok || x.typ == "malware-sample" {
					if !ok {
						algo = hashAlgos["md5"]
					}
					names = append(names, x.p[0])
					hashes[algo.key] = x.p[1]
				}
			case x.typ == "size-in-bytes":
				f.set("size", atoi(x.p[0]))
			case x.typ == "mime-type":
				f.set("mime_type", x.p[0])
			default:
				if algo, ok := hashAlgos[x.typ]; ok {
					hashes[algo.key] = x.p[0]
				}
			}
		}
		if len(names) > 0 {
			f.set("name", names[0])
		}
		f.set("hashes", hashes)
		if len(names) == 0 && len(hashes) == 0 {
			return nil
		}
		id, ok := e.c.sco(origin{w, template, level}, f)
		if !ok {
			return nil
		}
		return []string{id}
	case "domain-ip":
		var ips []string
		var domain string
		for _, x := range attrs {
			switch x.typ {
			case "ip-dst", "ip-src":
				if id, ok := e.c.ipSCO(origin{x.where, x.value, level}, x.p[0]); ok {
					ips = append(ips, id)
				}
			case "domain", "hostname":
				if domain == "" {
					domain = x.p[0]
				}
			}
		}
		refs := ips
		if domain != "" {
			d := scoObject("domain-name").set("value", domain).set("resolves_to_refs", ips)
			if id, ok := e.c.sco(origin{w, domain, level}, d); ok {
				refs = append([]string{id}, ips...)
			}
		}
		return refs
	}
	var refs []string
	for _, x := range attrs {
		if !x.known || x.vt.observe == nil {
			e.c.warn(x.where, x.value, "MISP type %s has no STIX observable; left out", x.typ)
			continue
		}
		if ids, ok := x.vt.observe(e.c, origin{x.where, x.value, level}, x.p); ok {
			refs = union(refs, ids)
		}
	}
	return refs
}

// references turns the object references of the event into
// relationships, once every attribute and object has its STIX id.
func (e *eventState) references() {
	for _, r := range e.pending {
		dst, ok := e.byUUID[r.target]
		if !ok {
			e.c.warn(r.where, r.target, "the referenced MISP item was not converted; relationship left out")
			continue
		}
		if dst == r.src {
			continue
		}
		relType := slug(r.relType)
		if relType == "" {
			relType = "related-to"
		}
		id := ""
		if u, ok := validUUID(r.uuid); ok {
			id = "relationship--" + u
		}
		e.relationship(r.where, relType, r.src, dst, r.modified, id)
	}
}
