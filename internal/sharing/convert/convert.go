// Package convert turns threat intelligence in other formats (MISP events,
// MISP feeds and CSV files of indicators) into STIX 2.1 objects for the
// sharing store.
//
// A conversion never fails as a whole because one item is bad: an item
// that cannot be read or would make an invalid object becomes a Rejection
// naming where it is and why; an item with no STIX counterpart becomes a
// Warning. Every object returned has passed stix.Validate without errors,
// so the store can take them as they are.
//
// Output is deterministic: identifiers come from the source's own UUIDs,
// or are UUIDv5 names in Namespace when the source has none, and
// timestamps come from the source, so converting the same input again
// gives byte-identical objects and a re-import stores nothing new.
// Options.Now is used only where the source has no time at all.
package convert

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/stix"
)

// Namespace is the UUIDv5 namespace of the identifiers this package makes
// up when the source gives none: CSV indicators (named by their pattern),
// relationships, sightings, and MISP items whose UUID is missing or
// invalid. It is fixed so that ids stay the same from one release to the
// next; changing it would turn every re-import into new objects.
const Namespace = "fe88130c-037e-4106-8a43-a08e5ecbc69d"

// Options configures a conversion. The zero value is usable.
type Options struct {
	// CreatedBy is the identity id set as created_by_ref on every object.
	// When empty, a MISP event's creator organisation (Orgc, else Org)
	// becomes an identity object with the organisation's UUID, and CSV
	// objects carry no created_by_ref.
	CreatedBy string
	// DefaultTLP is the TLP level ("clear", "white", "green", "amber",
	// "amber+strict", "red") marked on objects whose source carries none.
	// Empty leaves such objects unmarked, for the store's own default.
	DefaultTLP string
	// Now gives created, modified and valid_from where the source has no
	// time at all; it is called once per conversion. Nil means time.Now.
	Now func() time.Time
	// Progress, if set, is called by MISPFeed after each event file with
	// the number of files done and the total, and once with done 0 before
	// the first.
	Progress func(done, total int)
}

// Result is the outcome of a conversion.
type Result struct {
	// Objects are the STIX objects produced, each valid STIX 2.1.
	Objects []stix.Object
	// Rejected lists the items that could not be converted.
	Rejected []Rejection
	// Warnings lists items that were skipped or changed on the way,
	// such as attribute types without a STIX mapping.
	Warnings []Rejection
}

// Rejection says which item of the input was rejected or warned about
// and why.
type Rejection struct {
	Where  string // "line 12", "Event.Attribute[3]", "<uuid>.json: Event.Object[0]"
	Value  string // the offending value, shortened
	Reason string
}

// String formats the rejection on one line, for logs and the CLI.
func (r Rejection) String() string {
	if r.Value == "" {
		return r.Where + ": " + r.Reason
	}
	return fmt.Sprintf("%s: %q: %s", r.Where, r.Value, r.Reason)
}

// maxValue bounds the length of Rejection.Value: the value is there to
// help a person find the line, not to echo megabytes back.
const maxValue = 200

func shorten(s string) string {
	if len(s) <= maxValue {
		return s
	}
	cut := maxValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// epoch is the created time of objects whose source has no creation
// time but appears in many events (organisations, galaxy clusters).
// STIX requires created to stay the same in every version of an object,
// which the time of whichever event is imported first would not.
var epoch = time.Unix(0, 0).UTC()

// converter accumulates the objects of one conversion. A feed shares one
// converter across its events, so that observables and reference objects
// the events have in common come out once.
type converter struct {
	o          Options
	now        time.Time
	defaultTLP string
	res        Result
	versions   map[string]int // id + "\x00" + modified -> index in res.Objects
	tlps       map[string]string
	scos       []*object
	scoIndex   map[string]int
	scoWhere   []string
	scoValue   []string
	scoTLP     []string
}

// origin says where an observable comes from, for rejections, and the
// TLP level of the item it was found in.
type origin struct{ where, value, tlp string }

func newConverter(o Options) (*converter, error) {
	c := &converter{o: o, versions: map[string]int{}, tlps: map[string]string{}, scoIndex: map[string]int{}}
	if o.DefaultTLP != "" {
		level, ok := tlpLevel(o.DefaultTLP)
		if !ok {
			return nil, errs.E(errs.Invalid, "convert: default TLP %q is not a TLP level (clear, green, amber, amber+strict, red)", o.DefaultTLP)
		}
		c.defaultTLP = level
	}
	if o.CreatedBy != "" {
		if _, err := stix.CheckID(o.CreatedBy); err != nil || !strings.HasPrefix(o.CreatedBy, "identity--") {
			return nil, errs.E(errs.Invalid, "convert: created_by %q is not an identity id", o.CreatedBy)
		}
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	c.now = now().UTC().Truncate(time.Millisecond)
	return c, nil
}

func (c *converter) reject(where, value, format string, args ...any) {
	c.res.Rejected = append(c.res.Rejected, Rejection{where, shorten(value), fmt.Sprintf(format, args...)})
}

func (c *converter) warn(where, value, format string, args ...any) {
	c.res.Warnings = append(c.res.Warnings, Rejection{where, shorten(value), fmt.Sprintf(format, args...)})
}

// emit validates an SDO or SRO and adds it to the result. An object that
// fails validation is a rejection of the item it came from, so a bug in
// a mapping costs one item, never the invariant that every object
// returned is valid. The same version twice (same id and modified, as
// when a feed repeats an organisation) is kept once.
func (c *converter) emit(where, value string, o *object, tlp string) (string, bool) {
	obj, ok := c.build(where, value, o)
	if !ok {
		return "", false
	}
	key := obj.ID() + "\x00" + obj.ModifiedRaw()
	if i, seen := c.versions[key]; seen {
		if !bytes.Equal(c.res.Objects[i].Raw(), obj.Raw()) {
			c.warn(where, obj.ID(), "another object with this id and modified time was already produced with different content; kept the first")
		}
		return obj.ID(), true
	}
	c.versions[key] = len(c.res.Objects)
	c.res.Objects = append(c.res.Objects, obj)
	if prev, ok := c.tlps[obj.ID()]; !ok || moreRestrictive(tlp, prev) {
		c.tlps[obj.ID()] = tlp
	}
	return obj.ID(), true
}

func (c *converter) build(where, value string, o *object) (stix.Object, bool) {
	data, err := o.MarshalJSON()
	if err != nil {
		c.reject(where, value, "cannot encode the converted object: %v", err)
		return stix.Object{}, false
	}
	obj, err := stix.ParseObject(data)
	if err != nil {
		c.reject(where, value, "cannot parse the converted object: %v", err)
		return stix.Object{}, false
	}
	for _, f := range stix.Validate(obj) {
		if f.Severity == stix.Error {
			msg := f.Message
			if f.Path != "" {
				msg = f.Path + ": " + msg
			}
			c.reject(where, value, "converted %s is not valid STIX: %s", obj.Type(), msg)
			return stix.Object{}, false
		}
	}
	return obj, true
}

// sco registers a cyber-observable and returns its deterministic id. The
// same observable seen twice is merged rather than repeated: two MISP
// attributes can describe one file (a name with an MD5, the same name
// with more hashes), and an SCO has no version to tell them apart.
func (c *converter) sco(at origin, o *object) (string, bool) {
	where, value := at.where, at.value
	probe, ok := c.build(where, value, o.with("id", o.get("type").(string)+"--00000000-0000-4000-8000-000000000000"))
	if !ok {
		return "", false
	}
	id, err := stix.SCOID(probe)
	if err != nil {
		c.reject(where, value, "cannot compute the observable's id: %v", err)
		return "", false
	}
	o = o.with("id", id)
	if i, seen := c.scoIndex[id]; seen {
		c.scos[i] = c.scos[i].merge(o)
		c.scoTLP[i] = maxTLP(c.scoTLP[i], at.tlp)
		return id, true
	}
	c.scoIndex[id] = len(c.scos)
	c.scos = append(c.scos, o)
	c.scoWhere = append(c.scoWhere, where)
	c.scoValue = append(c.scoValue, value)
	c.scoTLP = append(c.scoTLP, at.tlp)
	return id, true
}

// finish appends the observables, whose content is final only once every
// item has been seen, and returns the result. An observable found under
// several TLP levels gets the most restrictive: the address of a TLP:RED
// event must not become visible because a TLP:GREEN one names it too.
func (c *converter) finish() Result {
	for i, o := range c.scos {
		o.set("object_marking_refs", markingRefs(c.scoTLP[i]))
		if obj, ok := c.build(c.scoWhere[i], c.scoValue[i], o); ok {
			c.res.Objects = append(c.res.Objects, obj)
		}
	}
	return c.res
}

// uuid5 computes an RFC 4122 name-based (SHA-1) UUID in Namespace.
func uuid5(parts ...string) string {
	ns, _ := hex.DecodeString(strings.ReplaceAll(Namespace, "-", ""))
	h := sha1.New()
	h.Write(ns)
	h.Write([]byte(strings.Join(parts, "\x1f")))
	sum := h.Sum(nil)[:16]
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	s := hex.EncodeToString(sum)
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// validUUID reports whether s is a UUID STIX accepts (RFC 4122 variant,
// version 1 to 5), and returns it in lower case.
func validUUID(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if _, err := stix.CheckID("x-probe--" + s); err != nil {
		return "", false
	}
	return s, true
}

// ts formats a time as STIX does for created and modified.
func ts(t time.Time) string { return stix.FormatTimestamp(t) }

// TLP ------------------------------------------------------------------

// tlpLevel reads a TLP level as MISP tags and people write it: "amber",
// "TLP:AMBER", "tlp: white", "amber+strict". White is TLP 1.0 for clear.
func tlpLevel(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if rest, ok := strings.CutPrefix(s, "tlp"); ok {
		s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
	}
	switch s {
	case "white", "clear":
		return stix.TLPClear, true
	case "green", "amber", "red":
		return s, true
	case "amber+strict", "amber-strict", "amber strict":
		return stix.TLPAmberStrict, true
	}
	return "", false
}

// isTLPTag reports whether a tag is in MISP's tlp namespace, levels or not
// (tlp:ex:chr), so that none of them ends up as a label.
func isTLPTag(tag string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(tag)), "tlp:")
}

func moreRestrictive(a, b string) bool {
	if b == "" {
		return a != ""
	}
	return a != "" && stix.TLPMoreRestrictive(a, b)
}

// maxTLP returns the most restrictive of the levels; "" counts as none.
func maxTLP(levels ...string) string {
	best := ""
	for _, l := range levels {
		if moreRestrictive(l, best) {
			best = l
		}
	}
	return best
}

func markingRefs(level string) []string {
	if id, ok := stix.TLPMarkingID(level); ok {
		return []string{id}
	}
	return nil
}

// JSON objects ------------------------------------------------------------

// object is a JSON object that keeps its keys in the order they were set,
// so the bytes of a converted object depend only on the input.
type object struct {
	keys []string
	vals []any
}

func newObject(typ string) *object {
	o := &object{}
	o.set("type", typ)
	return o
}

// sdo starts a STIX domain or relationship object with its common
// properties in their usual order.
func sdo(typ, id, createdBy string, created, modified time.Time) *object {
	if modified.Before(created) {
		modified = created
	}
	o := newObject(typ)
	o.set("spec_version", "2.1")
	o.set("id", id)
	if createdBy != "" {
		o.set("created_by_ref", createdBy)
	}
	o.set("created", ts(created))
	o.set("modified", ts(modified))
	return o
}

// scoObject starts a cyber-observable; its id is filled in by
// converter.sco.
func scoObject(typ string) *object {
	o := newObject(typ)
	o.set("spec_version", "2.1")
	o.set("id", "")
	return o
}

// set adds or replaces a property. Empty strings and empty lists are
// left out, since STIX forbids empty lists and an empty string says
// nothing.
func (o *object) set(k string, v any) *object {
	switch x := v.(type) {
	case string:
		if x == "" && k != "id" {
			return o
		}
	case []string:
		if len(x) == 0 {
			return o
		}
	case []any:
		if len(x) == 0 {
			return o
		}
	case map[string]string:
		if len(x) == 0 {
			return o
		}
	case nil:
		return o
	}
	for i, key := range o.keys {
		if key == k {
			o.vals[i] = v
			return o
		}
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	return o
}

func (o *object) get(k string) any {
	for i, key := range o.keys {
		if key == k {
			return o.vals[i]
		}
	}
	return nil
}

func (o *object) clone() *object {
	return &object{keys: append([]string(nil), o.keys...), vals: append([]any(nil), o.vals...)}
}

// with returns a copy with k set to v.
func (o *object) with(k string, v any) *object { return o.clone().set(k, v) }

// merge folds another description of the same observable into o: lists
// of references and hash dictionaries are united, and for anything else
// the first description wins.
func (o *object) merge(p *object) *object {
	m := o.clone()
	for i, k := range p.keys {
		switch cur := m.get(k).(type) {
		case nil:
			m.set(k, p.vals[i])
		case []string:
			if add, ok := p.vals[i].([]string); ok {
				m.set(k, union(cur, add))
			}
		case map[string]string:
			if add, ok := p.vals[i].(map[string]string); ok {
				u := make(map[string]string, len(cur)+len(add))
				for h, v := range add {
					u[h] = v
				}
				for h, v := range cur {
					u[h] = v
				}
				m.set(k, u)
			}
		}
	}
	return m
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, s := range b {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// MarshalJSON writes the object with its keys in order. HTML characters
// are not escaped: the bytes are stored and shown as STIX, not embedded
// in a page.
func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeJSON(&b, k); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := writeJSON(&b, o.vals[i]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return nil
}

// killChainPhase and externalReference are the nested objects converted
// objects carry, in STIX's property order.
type killChainPhase struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

type externalReference struct {
	SourceName  string `json:"source_name"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
}

// dedupe returns the non-empty strings of l, trimmed, in order, once each.
func dedupe(l []string) []string {
	var out []string
	for _, s := range l {
		s = strings.TrimSpace(s)
		if s != "" && !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// slug turns a free-text name into the lowercase, hyphenated form STIX
// prefers for vocabulary-like values ("Payload delivery" ->
// "payload-delivery").
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	return b.String()
}
