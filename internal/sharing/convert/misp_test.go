package convert_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/sharing/convert"
	"github.com/rampart-project/rampart/stix"
)

// TestXoristFeedEvent converts the feed-format event of CIRCL's Xorist
// ransomware write-up: five to_ids attributes, two links, a comment and
// a text, tagged tlp:white.
func TestXoristFeedEvent(t *testing.T) {
	t.Parallel()
	res := mustEvent(t, readShared(t, "57c4445b-c548-4654-af0b-4be3950d210f.json"), opts())
	if got, want := counts(res), map[string]int{"identity": 1, "indicator": 5, "report": 1}; !mapsEqual(got, want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	if len(res.Rejected) != 0 || len(res.Warnings) != 0 {
		t.Errorf("rejected %v, warnings %v", res.Rejected, res.Warnings)
	}
	patterns := map[string]string{
		"indicator--57c4448a-fb04-457d-87e7-4127950d210f": `[file:name = '3Z4wnG9603it23y.exe']`,
		"indicator--57c4448b-454c-4d17-90d1-4d2f950d210f": `[file:hashes.MD5 = '0749bae92ca336a02c83d126e04ec628']`,
		"indicator--57c4448a-bef0-4ba7-a071-444e950d210f": `[file:hashes.'SHA-1' = '77b0c41b7d340b8a3d903f21347bbf06aa766b5b']`,
		"indicator--57c4448b-3fa4-4d65-9ccc-4afa950d210f": `[file:hashes.'SHA-256' = 'b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68']`,
		// regkey|value: backslashes doubled, as STIX string constants need.
		"indicator--57c54b0f-27a4-458b-8e63-4455950d210f": `[windows-registry-key:key = 'Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Run' AND windows-registry-key:values[*].data = '%TEMP%\\3Z4wnG9603it23y.exe']`,
	}
	for id, want := range patterns {
		ind := find(t, res, id)
		if got := str(ind, "pattern"); got != want {
			t.Errorf("%s pattern =\n %s\nwant\n %s", id, got, want)
		}
		if str(ind, "created_by_ref") != "identity--55f6ea5e-2c60-40e5-964f-47a8950d210f" {
			t.Errorf("%s created_by_ref = %q", id, str(ind, "created_by_ref"))
		}
	}
	md5 := find(t, res, "indicator--57c4448b-454c-4d17-90d1-4d2f950d210f")
	if got := str(md5, "valid_from"); got != "2016-08-29T14:19:55.000Z" {
		t.Errorf("valid_from = %s, want the attribute timestamp 1472480395", got)
	}
	// tlp:white is TLP 2.0 CLEAR, on every object.
	for _, o := range res.Objects {
		if l, ok := stix.TLPOf(o.ObjectMarkingRefs()); !ok || l != stix.TLPClear {
			t.Errorf("%s: TLP %q, want clear", o.ID(), l)
		}
	}
	rep := find(t, res, "report--57c4445b-c548-4654-af0b-4be3950d210f")
	if str(rep, "name") != "Ransomware - Xorist" || str(rep, "published") != "2016-08-30T09:10:31.000Z" {
		t.Errorf("report name %q published %q", str(rep, "name"), str(rep, "published"))
	}
	if got := rep.Strings("object_refs"); len(got) != 6 {
		t.Errorf("report refers to %d objects, want the identity and 5 indicators: %v", len(got), got)
	}
	if d := str(rep, "description"); !strings.HasPrefix(d, "UPX packed\n\nKey: 85350044dF4AC3518D185678A9414A7F") {
		t.Errorf("description = %q, want the comment and text attributes", d)
	}
	if refs := rep.ExternalReferences(); len(refs) != 2 || refs[1].URL != "http://www.xylibox.com/2011/06/have-fun-with-trojan-ransomwin32xorist.html" {
		t.Errorf("external references = %+v, want the two links", refs)
	}
	wantLabels := []string{`circl:incident-classification="malware"`, `ms-caro-malware:malware-type="Ransom"`, `malware_classification:malware-category="Ransomware"`}
	if got := rep.Labels(); !slices.Equal(got, wantLabels) {
		t.Errorf("labels = %q, want %q (tlp:white is a marking, not a label)", got, wantLabels)
	}
}

// TestExistingEvent converts PyMISP's large test event: 9 attributes, 49
// objects (37 file, 12 domain-ip), 20 object references and 14 galaxy
// clusters of four galaxies whose uuids are partly shared.
func TestExistingEvent(t *testing.T) {
	t.Parallel()
	res := mustEvent(t, readShared(t, "mispevent_testfiles/existing_event.json"), opts())
	want := map[string]int{
		"identity": 1, "report": 1, "threat-actor": 1, "tool": 4, "malware": 9,
		// 7 domain attributes and 49 objects; text and link go to the report.
		"indicator": 56,
		// 56 indicators x 14 event clusters, and 20 object references.
		"relationship": 56*14 + 20,
	}
	if got := counts(res); !mapsEqual(got, want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	if len(res.Objects) != 876 {
		t.Errorf("%d objects, want 876", len(res.Objects))
	}
	if len(res.Rejected) != 0 {
		t.Errorf("rejected: %v", res.Rejected)
	}
	// 13 clusters share their uuid with another cluster or their galaxy;
	// Sofacy alone keeps its own.
	if n := len(res.Warnings); n != 13 {
		t.Errorf("%d warnings, want 13: %v", n, res.Warnings)
	}
	for id, want := range map[string]string{
		"indicator--5a3cd5b6-9568-4342-b2ab-4c62950d210f": `[file:name = 'Bulletin.doc' AND file:hashes.'SHA-1' = '68064fc152e23d56e541714af52651cb4ba81aaf']`,
		"indicator--5a3cd604-e11c-4de5-bbbf-c170950d210f": `[file:hashes.'SHA-1' = 'f3805382ae2e23ff1147301d131a06e00e4ff75f']`,
		"indicator--5a3ce58a-3198-4cb8-9d51-44e5950d210f": `[domain-name:value = 'servicecdp.com' AND domain-name:resolves_to_refs[*].value = '87.236.211.182']`,
		"indicator--5a3c3045-ab0c-4d38-8efe-459002de0b81": `[domain-name:value = 'movieultimate.com']`,
	} {
		if got := str(find(t, res, id), "pattern"); got != want {
			t.Errorf("%s pattern =\n %s\nwant\n %s", id, got, want)
		}
	}
	ta := find(t, res, "threat-actor--7cdff317-a673-4474-84ec-4f1754947823")
	if str(ta, "name") != "Sofacy" || !slices.Contains(ta.Strings("aliases"), "APT28") {
		t.Errorf("threat actor %s", ta.Raw())
	}
	ek := find(t, res, "malware--2147f83c-86b9-543b-bc41-997667fa86ca")
	if str(ek, "name") != "Sednit EK" || !slices.Equal(ek.Strings("malware_types"), []string{"exploit-kit"}) {
		t.Errorf("exploit kit %s", ek.Raw())
	}
	var isFamily bool
	if err := ek.Decode("is_family", &isFamily); err != nil || !isFamily {
		t.Errorf("malware is_family = %v, %v", isFamily, err)
	}
	ref := find(t, res, "relationship--5a3cdba2-2fdc-4f9a-a4eb-4dae950d210f")
	if r, _ := stix.RelationshipOf(ref); r != (stix.Relationship{Type: "communicates-with",
		SourceRef: "indicator--5a3cda96-85c4-45a1-82ea-c5ed950d210f", TargetRef: "indicator--5a3c3045-ab0c-4d38-8efe-459002de0b81"}) {
		t.Errorf("object reference became %+v", r)
	}
	indicates := 0
	for _, o := range res.Objects {
		if r, ok := stix.RelationshipOf(o); ok && r.Type == "indicates" && r.TargetRef == ta.ID() {
			indicates++
		}
	}
	if indicates != 56 {
		t.Errorf("%d indicators indicate Sofacy, want all 56", indicates)
	}
	rep := find(t, res, "report--5a3c2fcd-8328-42bb-a95e-4f4402de0b81")
	if n := len(rep.Strings("object_refs")); n != len(res.Objects)-1 {
		t.Errorf("report refers to %d objects, want every other one (%d)", n, len(res.Objects)-1)
	}
	if slices.ContainsFunc(rep.Labels(), func(l string) bool { return strings.HasPrefix(l, "misp-galaxy:") }) {
		t.Errorf("galaxy tags that became objects are still labels: %q", rep.Labels())
	}
	if !slices.Contains(rep.Labels(), `workflow:state="incomplete"`) {
		t.Errorf("labels %q lack the workflow tag", rep.Labels())
	}
}

// TestSightings converts an event whose attributes carry sightings of
// all three MISP kinds.
func TestSightings(t *testing.T) {
	t.Parallel()
	res := mustEvent(t, readShared(t, "reportlab_testfiles/sighting_1.json"), opts())
	want := map[string]int{"identity": 2, "indicator": 5, "malware": 1, "opinion": 3, "relationship": 5, "report": 1, "sighting": 2}
	if got := counts(res); !mapsEqual(got, want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	for _, o := range res.Objects {
		s, ok := stix.SightingOf(o)
		if !ok {
			continue
		}
		if s.Count != 1 || !slices.Equal(s.WhereSightedRefs, []string{"identity--5c6983c8-3af8-4304-869c-4800d6c1883c"}) {
			t.Errorf("sighting %s", o.Raw())
		}
		if s.SightingOfRef == "indicator--5b6464ca-e73c-4707-9b8a-d0350acd0835" &&
			!s.FirstSeen.Equal(time.Unix(1551253950, 0)) {
			t.Errorf("first_seen = %v, want date_sighting 1551253950", s.FirstSeen)
		}
	}
	// Type 2 is an expiration: the indicator stops being valid then.
	exp := find(t, res, "indicator--5b6464ca-e0a0-40e0-8e21-d0350acd0835")
	if got := str(exp, "valid_until"); got != "2019-02-27T07:52:48.000Z" {
		t.Errorf("valid_until = %q, want the expiration sighting's date", got)
	}
	// Type 1 is a false positive: an opinion of the reporting organisation.
	for _, o := range res.Objects {
		if o.Type() == "opinion" && (o.CreatedByRef() != "identity--5c6983c8-3af8-4304-869c-4800d6c1883c" || str(o, "opinion") != "strongly-disagree") {
			t.Errorf("opinion %s", o.Raw())
		}
	}
	gozi := find(t, res, "malware--e8cf62e5-f675-5b64-96a8-4fa106f0cea6")
	if str(gozi, "name") != "Gozi" || !slices.Contains(gozi.Strings("aliases"), "Ursnif") {
		t.Errorf("Gozi: %s", gozi.Raw())
	}
}

// TestObjectAttributeTags converts PyMISP's fragment of two objects with a
// tagged attribute and a reference between them; its uuids "a" and "b"
// are not UUIDs.
func TestObjectAttributeTags(t *testing.T) {
	t.Parallel()
	res := mustEvent(t, readShared(t, "mispevent_testfiles/event_obj_attr_tag.json"), opts())
	if got, want := counts(res), map[string]int{"indicator": 2, "relationship": 1, "report": 1}; !mapsEqual(got, want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	var file, url stix.Object
	for _, o := range res.Objects {
		switch str(o, "pattern") {
		case `[file:name = 'bar']`:
			file = o
		case `[url:value = 'https://www.circl.lu']`:
			url = o
		}
	}
	if file.ID() == "" || url.ID() == "" {
		t.Fatalf("patterns not found in\n%s", raw(res))
	}
	if !slices.Equal(file.Labels(), []string{"blah"}) {
		t.Errorf("file labels = %q, want the attribute tag", file.Labels())
	}
	for _, o := range res.Objects {
		if r, ok := stix.RelationshipOf(o); ok && (r.Type != "baz" || r.SourceRef != file.ID() || r.TargetRef != url.ID()) {
			t.Errorf("relationship %+v", r)
		}
	}
	for _, where := range []string{"Event.Object[0].uuid", "Event.Object[1].uuid"} {
		if !hasRejection(res.Warnings, where, "not a valid UUID") {
			t.Errorf("no warning at %s: %v", where, res.Warnings)
		}
	}
}

// TestResponseList converts a restSearch response holding a bare event
// with a file object whose malware-sample carries name and MD5.
func TestResponseList(t *testing.T) {
	t.Parallel()
	res := mustEvent(t, readShared(t, "mispevent_testfiles/malware_exist.json"), opts())
	ind := find(t, res, "indicator--5a4e4ffe-4cb8-48b1-bd5c-48fb950d210f")
	want := `[file:name = 'simple.json' AND file:hashes.MD5 = '7637beddacbeac59d44469b2b120b9e6' AND file:hashes.'SHA-1' = '023853a4331db8d67e44553004cf338ec1b7440e' AND file:hashes.'SHA-256' = '6ae8b0f1c7d6f3238d1fc14038018c3b4704c8cc23dac1c2bfd2c81b5a278eef']`
	if got := str(ind, "pattern"); got != want {
		t.Errorf("pattern =\n %s\nwant\n %s", got, want)
	}
	find(t, res, "report--5a4e4fdd-1eb4-4ff3-9e87-43fa950d210f")
}

// TestProposalsAndObservables: shadow attributes (proposals) are not
// converted; an attribute without to_ids becomes an observed file.
func TestProposalsAndObservables(t *testing.T) {
	t.Parallel()
	res := mustEvent(t, readShared(t, "mispevent_testfiles/shadow.json"), opts())
	od := find(t, res, "observed-data--5a4cb1c7-fa84-45fa-8d27-4822950d210f")
	refs := od.Strings("object_refs")
	if len(refs) != 1 {
		t.Fatalf("observed-data refs %v", refs)
	}
	f := find(t, res, refs[0])
	if str(f, "name") != "blah.exe" || !strings.HasPrefix(f.ID(), "file--") {
		t.Errorf("observed file %s", f.Raw())
	}
	id, err := stix.SCOID(f)
	if err != nil || id != f.ID() {
		t.Errorf("file id %s is not its deterministic id %s (%v)", f.ID(), id, err)
	}
	if got := str(find(t, res, "indicator--5a4cb2b8-7958-4323-852c-4d2a950d210f"), "pattern"); got != `[file:name = 'baz.png']` {
		t.Errorf("object pattern %s, want the accepted value, not the proposal", got)
	}
	if strings.Contains(raw(res), "blah.exe.jpg") || strings.Contains(raw(res), "baz.png.exe") {
		t.Error("a proposal was converted")
	}
}

// TestBareAndEmptyEvents: a bare event without to_ids attributes, and an
// event with no attributes at all, whose report refers to its author.
func TestBareAndEmptyEvents(t *testing.T) {
	t.Parallel()
	res := mustEvent(t, readShared(t, "misp_event.json"), opts())
	if got, want := counts(res), map[string]int{"identity": 1, "observed-data": 1, "url": 1, "report": 1}; !mapsEqual(got, want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	rep := find(t, res, "report--5758ebf5-c898-48e6-9fe9-5665c0a83866")
	if str(rep, "description") != "Locky" || str(rep, "published") != "2016-06-09T00:00:00.000Z" {
		t.Errorf("report %s", rep.Raw())
	}
	if !slices.Equal(rep.Labels(), []string{`ecsirt:malicious-code="ransomware"`, "for_intelmq_processing"}) {
		t.Errorf("labels %q", rep.Labels())
	}

	res = mustEvent(t, readShared(t, "new_misp_event.json"), opts())
	rep = find(t, res, "report--57c06bb1-625c-4d34-9b9f-4066950d210f")
	if got := rep.Strings("object_refs"); !slices.Equal(got, []string{"identity--55f6ea5e-2c60-40e5-964f-47a8950d210f"}) {
		t.Errorf("object_refs %v", got)
	}
}

// TestNotEvents: PyMISP's sighting and galaxy files are MISP JSON but not
// events.
func TestNotEvents(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"mispevent_testfiles/sighting.json", "mispevent_testfiles/galaxy.json"} {
		_, err := convert.MISPEvent(readShared(t, name), opts())
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
	for _, data := range []string{``, `nope`, `{"Event": `, `42`, `{"foo": 1}`, `{"response": {}}`} {
		_, err := convert.MISPEvent([]byte(data), opts())
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != errs.Invalid {
			t.Errorf("%q: err = %v, want invalid", data, err)
		}
	}
}

// TestDeterministic converts every shared event twice. Events carry their
// own times, so even a conversion at another time gives the same bytes
// and a re-import stores nothing new; PyMISP's object fragment has no
// time at all and is the same only for the same Options.Now.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"57c4445b-c548-4654-af0b-4be3950d210f.json", "mispevent_testfiles/existing_event.json",
		"mispevent_testfiles/event_obj_attr_tag.json", "mispevent_testfiles/malware_exist.json",
		"mispevent_testfiles/shadow.json", "misp_event.json", "new_misp_event.json", "reportlab_testfiles/sighting_1.json",
	} {
		data := readShared(t, name)
		a := mustEvent(t, data, opts())
		if b := mustEvent(t, data, opts()); raw(a) != raw(b) {
			t.Errorf("%s: two conversions differ", name)
		}
		if len(a.Objects) == 0 {
			t.Errorf("%s: no objects", name)
		}
		if name == "mispevent_testfiles/event_obj_attr_tag.json" {
			continue
		}
		later := convert.Options{Now: func() time.Time { return fixed.Add(1000 * time.Hour) }}
		if b := mustEvent(t, data, later); raw(a) != raw(b) {
			t.Errorf("%s: a conversion at another time differs", name)
		}
	}
}

// TestEventForms: the wrapped, bare and response forms of one event give
// the same objects.
func TestEventForms(t *testing.T) {
	t.Parallel()
	wrapped := readShared(t, "57c4445b-c548-4654-af0b-4be3950d210f.json")
	inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(string(wrapped)), `{"Event": `), "}")
	want := raw(mustEvent(t, wrapped, opts()))
	for name, data := range map[string]string{
		"bare":     inner,
		"response": `{"response": [` + string(wrapped) + `]}`,
		"list":     `[` + inner + `]`,
		"bom":      "\ufeff" + string(wrapped),
	} {
		if got := raw(mustEvent(t, []byte(data), opts())); got != want {
			t.Errorf("%s form converts differently", name)
		}
	}
}

func TestTLP(t *testing.T) {
	t.Parallel()
	attr := func(uuid, value string, tags ...string) map[string]any {
		var ts []map[string]string
		for _, t := range tags {
			ts = append(ts, map[string]string{"name": t})
		}
		return map[string]any{"uuid": uuid, "type": "domain", "value": value, "to_ids": true, "timestamp": "1714000000", "Tag": ts}
	}
	attrs := []any{
		attr("11111111-1111-4111-8111-111111111111", "plain.example"),
		attr("22222222-2222-4222-8222-222222222222", "red.example", "tlp:red", "kind:c2"),
		attr("33333333-3333-4333-8333-333333333333", "green.example", "TLP:GREEN"),
		attr("44444444-4444-4444-8444-444444444444", "strict.example", "tlp:amber+strict"),
	}
	level := func(res convert.Result, id string) string {
		l, _ := stix.TLPOf(find(t, res, id).ObjectMarkingRefs())
		return l
	}

	// Event tags: the most restrictive wins; attribute tags only refine.
	res := mustEvent(t, event(t, map[string]any{"Tag": []any{map[string]string{"name": "tlp:green"}, map[string]string{"name": "tlp:amber"}}, "Attribute": attrs}), opts())
	for id, want := range map[string]string{
		"indicator--11111111-1111-4111-8111-111111111111": stix.TLPAmber,
		"indicator--22222222-2222-4222-8222-222222222222": stix.TLPRed,
		"indicator--33333333-3333-4333-8333-333333333333": stix.TLPAmber,
		"indicator--44444444-4444-4444-8444-444444444444": stix.TLPAmberStrict,
		"report--5a3c2fcd-8328-42bb-a95e-4f4402de0b81":    stix.TLPAmber,
	} {
		if got := level(res, id); got != want {
			t.Errorf("%s: TLP %q, want %q", id, got, want)
		}
	}
	red := find(t, res, "indicator--22222222-2222-4222-8222-222222222222")
	if !slices.Equal(red.Labels(), []string{"kind:c2"}) {
		t.Errorf("labels %q, want the non-TLP tag", red.Labels())
	}
	if refs := red.ObjectMarkingRefs(); !slices.Equal(refs, []string{stix.TLP2RedID}) {
		t.Errorf("markings %v, want only the TLP 2.0 RED id", refs)
	}

	// No TLP in the event: the default applies where nothing else does.
	o := opts()
	o.DefaultTLP = "amber"
	res = mustEvent(t, event(t, map[string]any{"Attribute": attrs}), o)
	for id, want := range map[string]string{
		"indicator--11111111-1111-4111-8111-111111111111": stix.TLPAmber,
		"indicator--22222222-2222-4222-8222-222222222222": stix.TLPRed,
		"indicator--33333333-3333-4333-8333-333333333333": stix.TLPGreen,
	} {
		if got := level(res, id); got != want {
			t.Errorf("default amber: %s: TLP %q, want %q", id, got, want)
		}
	}
	// And no default: unmarked, for the store to decide.
	res = mustEvent(t, event(t, map[string]any{"Attribute": attrs[:1]}), opts())
	if refs := find(t, res, "indicator--11111111-1111-4111-8111-111111111111").ObjectMarkingRefs(); len(refs) != 0 {
		t.Errorf("markings %v, want none", refs)
	}
}

// TestRedTextStaysOut: text more restrictive than the event must not be
// copied into the less restrictive report.
func TestRedTextStaysOut(t *testing.T) {
	t.Parallel()
	res := mustEvent(t, event(t, map[string]any{
		"Tag": []any{map[string]string{"name": "tlp:green"}},
		"Attribute": []any{
			map[string]any{"type": "text", "value": "public note"},
			map[string]any{"type": "text", "value": "the victim is X", "Tag": []any{map[string]string{"name": "tlp:red"}}},
		},
	}), opts())
	rep := find(t, res, "report--5a3c2fcd-8328-42bb-a95e-4f4402de0b81")
	if str(rep, "description") != "public note" {
		t.Errorf("description %q", str(rep, "description"))
	}
	if !hasRejection(res.Warnings, "Event.Attribute[1]", "more restrictive") {
		t.Errorf("warnings %v", res.Warnings)
	}
}

// TestBadAttributes: one malformed or unsupported attribute costs itself,
// never the event.
func TestBadAttributes(t *testing.T) {
	t.Parallel()
	res := mustEvent(t, event(t, map[string]any{"Attribute": []any{
		map[string]any{"type": "ip-dst", "value": "999.1.2.3", "to_ids": true},
		map[string]any{"type": "btc", "value": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "to_ids": true},
		map[string]any{"type": "domain", "value": "fine.example", "to_ids": true},
		"not an object",
		map[string]any{"type": "md5", "value": "abc", "to_ids": false},
		map[string]any{"type": "other", "value": "x", "to_ids": false},
		map[string]any{"type": "domain", "value": "gone.example", "to_ids": true, "deleted": true},
		map[string]any{"value": "no type"},
	}}), opts())
	for _, r := range []struct{ where, reason string }{
		{"Event.Attribute[0]", "ip-dst: not an IP address"},
		{"Event.Attribute[3]", "expected a JSON object"},
		{"Event.Attribute[4]", "md5: not a MD5 hash (32 hexadecimal digits)"},
		{"Event.Attribute[7]", "no type"},
	} {
		if !hasRejection(res.Rejected, r.where, r.reason) {
			t.Errorf("no rejection %s %q in %v", r.where, r.reason, res.Rejected)
		}
	}
	if !hasRejection(res.Warnings, "Event.Attribute[1]", "btc has no STIX pattern mapping") ||
		!hasRejection(res.Warnings, "Event.Attribute[5]", "other has no STIX observable") {
		t.Errorf("warnings %v", res.Warnings)
	}
	if got := counts(res); got["indicator"] != 1 || strings.Contains(raw(res), "gone.example") {
		t.Errorf("counts %v; want only fine.example, the deleted attribute left out", got)
	}
	for _, r := range res.Rejected {
		if r.Where == "Event.Attribute[0]" && r.Value != "999.1.2.3" {
			t.Errorf("rejection value %q", r.Value)
		}
	}
}

func TestCreatedByOption(t *testing.T) {
	t.Parallel()
	o := opts()
	o.CreatedBy = "identity--8c8d3a62-4c5f-4f8e-9f3b-1b2c3d4e5f60"
	res := mustEvent(t, readShared(t, "57c4445b-c548-4654-af0b-4be3950d210f.json"), o)
	for _, obj := range res.Objects {
		if obj.Type() == "identity" {
			t.Errorf("identity made although CreatedBy is set: %s", obj.Raw())
		}
		if obj.CreatedByRef() != o.CreatedBy {
			t.Errorf("%s created_by_ref %q", obj.ID(), obj.CreatedByRef())
		}
	}
}

func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	for _, o := range []convert.Options{{DefaultTLP: "purple"}, {CreatedBy: "organisation--x"}, {CreatedBy: "malware--8c8d3a62-4c5f-4f8e-9f3b-1b2c3d4e5f60"}} {
		if _, err := convert.MISPEvent([]byte(`{"Event": {"info": "x"}}`), o); !errs.Is(err, errs.Invalid) {
			t.Errorf("%+v: err = %v, want invalid", o, err)
		}
		if _, err := convert.CSV(strings.NewReader("type,value\n"), o); !errs.Is(err, errs.Invalid) {
			t.Errorf("CSV %+v: err = %v, want invalid", o, err)
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
