package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/stix/pattern"
)

// MISPEvent converts MISP event JSON: {"Event": {...}}, the bare event
// object, a {"response": [...]} list of either (what the MISP API's
// restSearch returns), or a JSON list of events.
//
// The event becomes a report (report--<event uuid>) referring to every
// object made from it; its creator organisation (Orgc) an identity, used
// as created_by_ref unless Options.CreatedBy is set. Attributes marked
// to_ids become indicators (indicator--<attribute uuid>) with a STIX
// pattern built from the attribute type; others become cyber-observables
// grouped in an observed-data (observed-data--<attribute uuid>). MISP
// objects of the file, domain-ip, ip-port, url, email and
// network-connection templates become one indicator (or observed-data)
// each, id from the object uuid, whose pattern ANDs the to_ids
// attributes. Text and comment attributes go into the report's
// description, links into its external references. Galaxy clusters of
// threat actors, intrusion sets, malware, tools and attack patterns become
// the matching objects, with "indicates" relationships from the
// indicators they are attached to; object references become
// relationships. Sightings become sighting objects, false-positive
// sightings opinions, and expiration sightings an indicator's
// valid_until.
//
// tlp: tags become TLP 2.0 markings, the most restrictive winning: an
// event's tags apply to everything made from it, an attribute's tags can
// only make that attribute's objects more restrictive. Other tags become
// labels (the event's on the report, an attribute's on its indicator).
//
// The error is an *errs.Error with code Invalid when data is not JSON or
// not MISP data, or when the options are invalid; problems with single
// attributes, objects and events are in the Result instead.
func MISPEvent(data []byte, o Options) (Result, error) {
	c, err := newConverter(o)
	if err != nil {
		return Result{}, err
	}
	if err := c.mispDocument(data, ""); err != nil {
		return Result{}, err
	}
	return c.finish(), nil
}

// mispDocument converts the events of one JSON document; prefix, if any,
// leads every Where (a feed puts the file name there).
func (c *converter) mispDocument(data []byte, prefix string) error {
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\ufeff")))
	if !json.Valid(data) {
		var v json.RawMessage
		err := json.Unmarshal(data, &v) // for the message saying where
		return errs.Wrap(errs.Invalid, err, "convert: the MISP file is not valid JSON")
	}
	switch {
	case len(data) > 0 && data[0] == '[':
		c.eventList(prefix, "", data)
		return nil
	case len(data) == 0 || data[0] != '{':
		return errs.E(errs.Invalid, "convert: not MISP data: expected a JSON object with an Event or a response list")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return errs.Wrap(errs.Invalid, err, "convert: the MISP file cannot be read")
	}
	switch {
	case m["Event"] != nil:
		c.event(prefix+"Event", m["Event"])
	case m["response"] != nil:
		resp := bytes.TrimSpace(m["response"])
		if len(resp) == 0 || resp[0] != '[' {
			return errs.E(errs.Invalid, "convert: the response is not a list of events")
		}
		c.eventList(prefix, "response", resp)
	case looksLikeEvent(m):
		c.event(prefix+"Event", data)
	default:
		return errs.E(errs.Invalid, "convert: not a MISP event: expected {\"Event\": {...}}, an event object (with info, Attribute or Object) or {\"response\": [...]}")
	}
	return nil
}

func looksLikeEvent(m map[string]json.RawMessage) bool {
	return m["info"] != nil || m["Attribute"] != nil || m["Object"] != nil
}

// eventList converts a list whose elements are events, wrapped in
// {"Event": ...} or bare.
func (c *converter) eventList(prefix, name string, data []byte) {
	where := prefix + name
	if name == "" {
		where = strings.TrimSuffix(prefix, ": ")
		if where == "" {
			where = "the document"
		}
	}
	items := c.elements(where, data)
	if len(items) == 0 {
		c.warn(where, "", "the list holds no events")
	}
	for i, item := range items {
		where := fmt.Sprintf("%s%s[%d]", prefix, name, i)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(item, &m); err != nil {
			c.reject(where, "", "expected an event object")
			continue
		}
		if ev := m["Event"]; ev != nil {
			c.event(where+".Event", ev)
		} else {
			c.event(where, item)
		}
	}
}

// eventState is the conversion of one event.
type eventState struct {
	c         *converter
	where     string
	uuid      string
	created   time.Time
	modified  time.Time
	createdBy string
	tlp       string // from the event's own tags; "" when it has none

	refs         []string
	refSet       map[string]bool
	indicators   []string
	byUUID       map[string]string // MISP uuid -> STIX id, for object references
	pending      []pendingRef
	clusterTags  map[string]bool
	badClusters  map[string]bool
	clusterSeen  map[string]string
	relSeen      map[string]bool
	description  []string
	extRefs      []externalReference
	eventTargets []string
}

func (c *converter) event(where string, raw json.RawMessage) {
	var ev mispEvent
	if !c.decode(where, raw, &ev) {
		return
	}
	e := &eventState{c: c, where: where, refSet: map[string]bool{}, byUUID: map[string]string{},
		clusterTags: map[string]bool{}, badClusters: map[string]bool{}, clusterSeen: map[string]string{}, relSeen: map[string]bool{}}

	date, hasDate := parseTime(ev.Date.String())
	var ok bool
	if e.modified, ok = parseTime(ev.Timestamp.String()); !ok {
		e.modified = c.now
		if hasDate {
			e.modified = date
		}
	}
	e.created = e.modified
	if hasDate && date.Before(e.created) {
		e.created = date
	}
	published, ok := parseTime(ev.PublishTimestamp.String())
	if !ok {
		published = e.modified
		if hasDate {
			published = date
		}
	}

	org, hasOrg := decodeOrg(ev.Orgc)
	if !hasOrg {
		org, hasOrg = decodeOrg(ev.Org)
	}
	if u, ok := validUUID(ev.UUID.String()); ok {
		e.uuid = u
	} else {
		// Without a uuid the event is known by who wrote it, what it is
		// called and its date, which survive edits of its attributes.
		e.uuid = uuid5("misp-event", org.UUID.String(), org.Name.String(), ev.Info.String(), ev.Date.String())
		if ev.UUID.String() != "" {
			c.warn(where+".uuid", ev.UUID.String(), "not a valid UUID; the report id is derived from the event's organisation, info and date")
		}
	}

	tags := e.tagNames(where, ev.Tag, ev.EventTag)
	e.tlp = tlpOfTags(tags)
	e.scanClusters(&ev)

	switch {
	case c.o.CreatedBy != "":
		e.createdBy = c.o.CreatedBy
	case hasOrg:
		e.createdBy = e.identity(where+".Orgc", org)
	default:
		c.warn(where, ev.Info.String(), "the event has no Orgc or Org; its objects carry no created_by_ref")
	}

	e.eventTargets = e.galaxies(where+".Galaxy", ev.Galaxy)
	for i, raw := range c.elements(where+".Attribute", ev.Attribute) {
		w := fmt.Sprintf("%s.Attribute[%d]", where, i)
		var a mispAttribute
		if c.decode(w, raw, &a) {
			e.attribute(w, &a)
		}
	}
	for i, raw := range c.elements(where+".Object", ev.Object) {
		e.object(fmt.Sprintf("%s.Object[%d]", where, i), raw)
	}
	e.references()
	for _, ind := range e.indicators {
		for _, t := range e.eventTargets {
			e.relationship(e.where, "indicates", ind, t, e.modified, "")
		}
	}
	e.report(ev.Info.String(), published, tags)
}

// level is the TLP level of an item of the event: the most restrictive of
// the event's and the item's own, or the default when neither has one.
func (e *eventState) level(item ...string) string {
	l := maxTLP(append([]string{e.tlp}, item...)...)
	if l == "" {
		l = e.c.defaultTLP
	}
	return l
}

// mapUUID records the STIX id a MISP item became, for object references.
func (e *eventState) mapUUID(raw, id string) {
	if raw != "" {
		e.byUUID[raw] = id
	}
}

func (e *eventState) ref(id string) {
	if id != "" && !e.refSet[id] {
		e.refSet[id] = true
		e.refs = append(e.refs, id)
	}
}

// itemUUID returns the UUID of an attribute or object, deriving a stable
// one when MISP gives none that STIX accepts. A derived UUID is named by
// the raw uuid when there is one, so that object references written
// with it still resolve.
func (e *eventState) itemUUID(where, kind, raw string, name ...string) string {
	if u, ok := validUUID(raw); ok {
		return u
	}
	if raw != "" {
		e.c.warn(where+".uuid", raw, "not a valid UUID; a stable one is derived from it")
		return uuid5("misp-"+kind, e.uuid, raw)
	}
	return uuid5(append([]string{"misp-" + kind, e.uuid}, name...)...)
}

func (e *eventState) timeOr(s text, def time.Time) time.Time {
	if t, ok := parseTime(s.String()); ok {
		return t
	}
	return def
}

// tagNames reads the names of a Tag list and of an EventTag or
// AttributeTag list.
func (e *eventState) tagNames(where string, lists ...json.RawMessage) []string {
	var names []string
	for i, raw := range lists {
		field := ".Tag"
		if i > 0 {
			field = ".EventTag"
		}
		for j, r := range e.c.elements(where+field, raw) {
			var t mispTag
			if e.c.decode(fmt.Sprintf("%s%s[%d]", where, field, j), r, &t) {
				names = append(names, t.name())
			}
		}
	}
	return dedupe(names)
}

func tlpOfTags(tags []string) string {
	best := ""
	for _, t := range tags {
		if l, ok := tlpLevel(t); ok && isTLPTag(t) {
			best = maxTLP(best, l)
		}
	}
	return best
}

// labelsOf returns the tags that become labels: not TLP, and not the tag
// of a galaxy cluster that became an object of its own.
func (e *eventState) labelsOf(tags []string) []string {
	var out []string
	for _, t := range tags {
		if !isTLPTag(t) && !e.clusterTags[t] {
			out = append(out, t)
		}
	}
	return out
}

func (e *eventState) identity(where string, org mispOrg) string {
	name := org.Name.String()
	u, ok := validUUID(org.UUID.String())
	if !ok {
		u = uuid5("misp-organisation", strings.ToLower(name))
	}
	if name == "" {
		name = "MISP organisation " + u
	}
	level := e.level()
	o := sdo("identity", "identity--"+u, "", epoch, e.modified).
		set("name", name).set("identity_class", "organization").set("object_marking_refs", markingRefs(level))
	id, ok := e.c.emit(where, name, o, level)
	if !ok {
		return ""
	}
	e.ref(id)
	return id
}

// attribute converts one attribute, standing alone or in an object whose
// template has no mapping.
func (e *eventState) attribute(w string, a *mispAttribute) {
	if a.Deleted {
		return
	}
	typ, value := a.Type.String(), a.Value.String()
	if typ == "" {
		e.c.reject(w, value, "the attribute has no type")
		return
	}
	rawUUID := strings.ToLower(a.UUID.String())
	u := e.itemUUID(w, "attribute", rawUUID, typ, value)
	modified := e.timeOr(a.Timestamp, e.modified)
	tags := e.tagNames(w, a.Tag, a.AttributeTag)
	level := e.level(tlpOfTags(tags))
	targets := e.galaxies(w+".Galaxy", a.Galaxy)
	labels := e.labelsOf(tags)

	switch {
	case typ == "text" || typ == "comment":
		e.note(w, value, level)
		return
	case typ == "link" && !bool(a.ToIDS):
		e.link(w, value, a.Comment.String(), level)
		return
	case typ == "vulnerability":
		if id, ok := e.vulnerability(w, u, a, modified, level, labels); ok {
			e.mapUUID(rawUUID, id)
		}
		return
	}

	first := e.timeOr(a.FirstSeen, time.Time{})
	last := e.timeOr(a.LastSeen, time.Time{})
	if !a.ToIDS {
		vt, ok := valueTypes[typ]
		if !ok || vt.observe == nil {
			e.c.warn(w, value, "MISP type %s has no STIX observable; skipped (set to_ids to make it an indicator)", typ)
			return
		}
		p, err := vt.parse(value)
		if err != nil {
			e.c.reject(w, value, "%s: %v", typ, err)
			return
		}
		refs, ok := vt.observe(e.c, origin{w, value, level}, p)
		if !ok {
			return
		}
		if first.IsZero() {
			first = modified
		}
		if last.IsZero() {
			last = first
		}
		if id, ok := e.observed(w, value, "observed-data--"+u, refs, first, last, modified, labels, level); ok {
			e.mapUUID(rawUUID, id)
		}
		if len(e.c.elements(w+".Sighting", a.Sighting)) > 0 {
			e.c.warn(w+".Sighting", value, "sightings of an attribute without to_ids are left out: STIX sights indicators")
		}
		return
	}

	in := indicatorIn{id: "indicator--" + u, name: value, description: a.Comment.String(), patternType: "stix",
		category: a.Category.String(), modified: modified, labels: labels, tlp: level}
	if pt, ok := ruleTypes[typ]; ok {
		if err := checkRule(value); err != nil {
			e.c.reject(w, value, "%s: %v", typ, err)
			return
		}
		in.pattern, in.patternType, in.name = value, pt, typ+" rule"
	} else {
		vt, ok := valueTypes[typ]
		if !ok {
			e.c.warn(w, value, "MISP type %s has no STIX pattern mapping; skipped", typ)
			return
		}
		p, err := vt.parse(value)
		if err != nil {
			e.c.reject(w, value, "%s: %v", typ, err)
			return
		}
		in.pattern = render(vt.pattern(p))
	}
	var sg sightings
	e.readSightings(w+".Sighting", a.Sighting, &sg)
	in.validFrom, in.validUntil = validity(first, last, modified, sg.expires)
	id, ok := e.indicator(w, value, in)
	if !ok {
		return
	}
	e.mapUUID(rawUUID, id)
	for _, t := range targets {
		e.relationship(w, "indicates", id, t, modified, "")
	}
	e.emitSightings(sg, id, level)
}

// validity gives an indicator's valid_from (first_seen, else the item's
// time) and valid_until (last_seen, or an earlier expiration sighting).
func validity(first, last, modified, expires time.Time) (from, until time.Time) {
	from = first
	if from.IsZero() {
		from = modified
	}
	until = last
	if !expires.IsZero() && (until.IsZero() || expires.Before(until)) {
		until = expires
	}
	return from, until
}

// indicatorIn holds what an indicator is made of.
type indicatorIn struct {
	id, name, description  string
	pattern, patternType   string
	category               string
	modified               time.Time
	validFrom, validUntil  time.Time
	labels, indicatorTypes []string
	confidence             int
	hasConfidence          bool
	tlp, createdBy         string
}

// indicator builds and emits an indicator. Every STIX pattern is parsed
// before it is written, so a mapping that produced a bad one shows up as
// a rejection naming the value rather than as an invalid object.
func (c *converter) indicator(w, value string, in indicatorIn) (string, bool) {
	if in.patternType == "stix" {
		if _, err := pattern.Parse(in.pattern); err != nil {
			c.reject(w, value, "the pattern built for this value does not parse: %v", err)
			return "", false
		}
	}
	if !in.validUntil.IsZero() && !in.validUntil.After(in.validFrom) {
		c.warn(w, value, "the end of validity (%s) is not after its start (%s); valid_until left out", ts(in.validUntil), ts(in.validFrom))
		in.validUntil = time.Time{}
	}
	o := sdo("indicator", in.id, in.createdBy, in.modified, in.modified)
	o.set("name", in.name).set("description", in.description).set("indicator_types", in.indicatorTypes)
	o.set("pattern", in.pattern).set("pattern_type", in.patternType)
	if in.patternType == "stix" {
		o.set("pattern_version", "2.1")
	}
	o.set("valid_from", ts(in.validFrom))
	if !in.validUntil.IsZero() {
		o.set("valid_until", ts(in.validUntil))
	}
	if phase := slug(in.category); phase != "" {
		// The MISP category says where in an attack the value was seen;
		// a kill chain of its own keeps that without inventing a mapping
		// to another one.
		o.set("kill_chain_phases", []killChainPhase{{"misp-category", phase}})
	}
	if in.hasConfidence {
		o.set("confidence", in.confidence)
	}
	o.set("labels", dedupe(in.labels)).set("object_marking_refs", markingRefs(in.tlp))
	return c.emit(w, value, o, in.tlp)
}

func (e *eventState) indicator(w, value string, in indicatorIn) (string, bool) {
	in.createdBy = e.createdBy
	id, ok := e.c.indicator(w, value, in)
	if ok {
		e.ref(id)
		e.indicators = append(e.indicators, id)
	}
	return id, ok
}

func (e *eventState) observed(w, value, id string, refs []string, first, last, modified time.Time, labels []string, level string) (string, bool) {
	if last.Before(first) {
		last = first
	}
	o := sdo("observed-data", id, e.createdBy, modified, modified).
		set("first_observed", ts(first)).set("last_observed", ts(last)).set("number_observed", 1).
		set("object_refs", refs).set("labels", dedupe(labels)).set("object_marking_refs", markingRefs(level))
	id, ok := e.c.emit(w, value, o, level)
	if ok {
		e.ref(id)
		for _, r := range refs {
			e.ref(r)
		}
	}
	return id, ok
}

// note keeps the text of a text or comment attribute for the report's
// description, unless the attribute is more restrictive than the report,
// whose marking would then understate it.
func (e *eventState) note(w, value, level string) {
	if value == "" {
		return
	}
	if level != e.level() {
		e.c.warn(w, value, "text more restrictive than its event is left out of the report description")
		return
	}
	e.description = append(e.description, value)
}

// link keeps a link attribute without to_ids as an external reference of
// the report: in MISP it points at analysis, not at something to detect.
func (e *eventState) link(w, value, comment, level string) {
	u, err := checkURL(value)
	if err != nil {
		e.c.reject(w, value, "link: %v", err)
		return
	}
	if level != e.level() {
		e.c.warn(w, value, "link more restrictive than its event is left out of the report's external references")
		return
	}
	e.extRefs = append(e.extRefs, refFromURL(u, comment))
}

// refFromURL makes an external reference named after the site it points
// to, which is how a reader tells references apart.
func refFromURL(u, description string) externalReference {
	source := "reference"
	if p, err := url.Parse(u); err == nil && p.Hostname() != "" {
		source = strings.ToLower(p.Hostname())
	}
	return externalReference{SourceName: source, URL: u, Description: description}
}

var cveRe = regexp.MustCompile(`^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$`)

func (e *eventState) vulnerability(w, u string, a *mispAttribute, modified time.Time, level string, labels []string) (string, bool) {
	name, err := checkText(a.Value.String())
	if err != nil {
		e.c.reject(w, a.Value.String(), "vulnerability: %v", err)
		return "", false
	}
	o := sdo("vulnerability", "vulnerability--"+u, e.createdBy, modified, modified).
		set("name", name).set("description", a.Comment.String())
	if cve := strings.ToUpper(name); cveRe.MatchString(cve) {
		o.set("external_references", []externalReference{{SourceName: "cve", ExternalID: cve}})
	}
	o.set("labels", dedupe(labels)).set("object_marking_refs", markingRefs(level))
	id, ok := e.c.emit(w, name, o, level)
	if ok {
		e.ref(id)
	}
	return id, ok
}

// relationship emits a relationship once per event, marked as the more
// restrictive of its two ends: it tells about both.
func (e *eventState) relationship(w, relType, src, dst string, modified time.Time, id string) {
	if id == "" {
		id = "relationship--" + uuid5("relationship", src, relType, dst)
	}
	if e.relSeen[id] {
		return
	}
	e.relSeen[id] = true
	level := maxTLP(e.c.tlps[src], e.c.tlps[dst], e.level())
	o := sdo("relationship", id, e.createdBy, modified, modified).
		set("relationship_type", relType).set("source_ref", src).set("target_ref", dst).
		set("object_marking_refs", markingRefs(level))
	if id, ok := e.c.emit(w, relType, o, level); ok {
		e.ref(id)
	}
}

func (e *eventState) report(info string, published time.Time, tags []string) {
	refs := e.refs
	if len(refs) == 0 {
		if e.createdBy == "" {
			e.c.warn(e.where, info, "the event has nothing to convert; no report made")
			return
		}
		// A report must refer to something; its author is what there is.
		refs = []string{e.createdBy}
	}
	name := info
	if name == "" {
		name = "MISP event " + e.uuid
	}
	level := e.level()
	o := sdo("report", "report--"+e.uuid, e.createdBy, e.created, e.modified).
		set("name", name).set("description", strings.Join(e.description, "\n\n")).
		set("report_types", []string{"threat-report"}).set("published", ts(published)).
		set("object_refs", refs).set("labels", e.labelsOf(tags))
	if len(e.extRefs) > 0 {
		o.set("external_references", e.extRefs)
	}
	o.set("object_marking_refs", markingRefs(level))
	e.c.emit(e.where, name, o, level)
}
