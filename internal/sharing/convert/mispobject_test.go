package convert_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rampart-project/rampart/stix"
)

const objUUID = "9e2c6f1a-5b3d-4c7e-8f9a-1b2c3d4e5f6a"

type oa struct {
	rel, typ, value string
	ids             bool
}

func objectEvent(t *testing.T, template string, attrs ...oa) []byte {
	t.Helper()
	var as []any
	for i, a := range attrs {
		as = append(as, map[string]any{"uuid": fmt.Sprintf("9e2c6f1a-5b3d-4c7e-8f9a-0000000000%02d", i), "object_relation": a.rel,
			"type": a.typ, "value": a.value, "to_ids": a.ids, "timestamp": "1714000000"})
	}
	return event(t, map[string]any{"Object": []any{map[string]any{"uuid": objUUID, "name": template, "timestamp": "1714000000", "Attribute": as}}})
}

// TestObjectPatterns: the to_ids attributes of an object are ANDed into
// one indicator; the others are context and left out.
func TestObjectPatterns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, template string
		attrs          []oa
		pattern        string
	}{
		{"file", "file", []oa{
			{"md5", "md5", "0749bae92ca336a02c83d126e04ec628", true}, {"filename", "filename", "x.exe", true},
			{"size-in-bytes", "size-in-bytes", "1024", true}, {"state", "text", "Malicious", false}},
			`[file:hashes.MD5 = '0749bae92ca336a02c83d126e04ec628' AND file:name = 'x.exe' AND file:size = 1024]`},
		{"domain-ip", "domain-ip", []oa{{"domain", "domain", "evil.example", true}, {"ip", "ip-dst", "198.51.100.7", true}, {"ip", "ip-dst", "198.51.100.8", true}},
			`[domain-name:value = 'evil.example' AND domain-name:resolves_to_refs[*].value = '198.51.100.7' AND domain-name:resolves_to_refs[*].value = '198.51.100.8']`},
		{"domain-ip without domain", "domain-ip", []oa{{"ip", "ip-dst", "198.51.100.7", true}},
			`[ipv4-addr:value = '198.51.100.7']`},
		{"ip-port", "ip-port", []oa{{"ip", "ip-dst", "198.51.100.7", true}, {"dst-port", "port", "443", true}, {"domain", "domain", "c2.example", true}},
			`[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443] AND [domain-name:value = 'c2.example']`},
		{"network-connection", "network-connection", []oa{
			{"ip-src", "ip-src", "10.0.0.5", true}, {"ip-dst", "ip-dst", "2001:db8::1", true}, {"src-port", "port", "51000", true},
			{"dst-port", "port", "8080", true}, {"hostname-dst", "hostname", "c2.example", true}, {"layer4-protocol", "text", "TCP", true}},
			`[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value = '10.0.0.5' AND network-traffic:src_port = 51000 AND network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = '2001:db8::1' AND network-traffic:dst_port = 8080 AND network-traffic:protocols[*] = 'tcp'] AND [domain-name:value = 'c2.example']`},
		{"url", "url", []oa{{"url", "url", "http://c2.example/gate.php", true}, {"domain", "domain", "c2.example", true}, {"resource_path", "text", "/gate.php", false}},
			`[url:value = 'http://c2.example/gate.php'] AND [domain-name:value = 'c2.example']`},
		{"email", "email", []oa{{"from", "email-src", "a@evil.example", true}, {"subject", "email-subject", "Invoice", true},
			{"to", "email-dst", "b@corp.example", true}, {"cc", "email-dst", "c@corp.example", true}, {"x-mailer", "email-x-mailer", "PHPMailer", true}},
			`[email-message:from_ref.value = 'a@evil.example' AND email-message:subject = 'Invoice' AND email-message:to_refs[*].value = 'b@corp.example' AND email-message:cc_refs[*].value = 'c@corp.example' AND email-message:additional_header_fields.'X-Mailer' = 'PHPMailer']`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustEvent(t, objectEvent(t, tc.template, tc.attrs...), opts())
			if len(res.Rejected) > 0 {
				t.Errorf("rejected %v", res.Rejected)
			}
			if got := str(find(t, res, "indicator--"+objUUID), "pattern"); got != tc.pattern {
				t.Errorf("\n got %s\nwant %s", got, tc.pattern)
			}
		})
	}
}

func TestObjectConflicts(t *testing.T) {
	t.Parallel()
	res := mustEvent(t, objectEvent(t, "file", oa{"filename", "filename", "a.exe", true}, oa{"filename", "filename", "b.exe", true},
		oa{"md5", "md5", "bad", true}, oa{"entropy", "float", "7.9", true}), opts())
	if got := str(find(t, res, "indicator--"+objUUID), "pattern"); got != `[file:name = 'a.exe']` {
		t.Errorf("pattern %s", got)
	}
	if !hasRejection(res.Warnings, "Event.Object[0].Attribute[1]", "conflicts with another value") ||
		!hasRejection(res.Rejected, "Event.Object[0].Attribute[2]", "md5: not a MD5 hash") ||
		!hasRejection(res.Warnings, "Event.Object[0].Attribute[3]", "no place in the object's pattern") {
		t.Errorf("rejected %v\nwarnings %v", res.Rejected, res.Warnings)
	}
}

// TestObjectObservables: an object without to_ids attributes is one
// observed-data, a file object one file with all its hashes.
func TestObjectObservables(t *testing.T) {
	t.Parallel()
	res := mustEvent(t, objectEvent(t, "file", oa{"filename", "filename", "x.exe", false},
		oa{"md5", "md5", "0749bae92ca336a02c83d126e04ec628", false}, oa{"sha1", "sha1", "77b0c41b7d340b8a3d903f21347bbf06aa766b5b", false}), opts())
	od := find(t, res, "observed-data--"+objUUID)
	refs := od.Strings("object_refs")
	if len(refs) != 1 {
		t.Fatalf("refs %v", refs)
	}
	var hashes map[string]string
	f := find(t, res, refs[0])
	if err := f.Decode("hashes", &hashes); err != nil || hashes["MD5"] != "0749bae92ca336a02c83d126e04ec628" || hashes["SHA-1"] == "" || str(f, "name") != "x.exe" {
		t.Errorf("file %s (%v)", f.Raw(), err)
	}
}

// TestUnknownTemplate: attributes of a template without mapping are
// converted one by one.
func TestUnknownTemplate(t *testing.T) {
	t.Parallel()
	res := mustEvent(t, objectEvent(t, "virustotal-report", oa{"permalink", "link", "https://www.virustotal.com/x", false},
		oa{"detection-ratio", "text", "3/60", false}, oa{"c2", "domain", "evil.example", true}), opts())
	if !hasRejection(res.Warnings, "Event.Object[0]", `template "virustotal-report" has no STIX mapping`) {
		t.Errorf("warnings %v", res.Warnings)
	}
	if got := str(find(t, res, "indicator--9e2c6f1a-5b3d-4c7e-8f9a-000000000002"), "pattern"); got != `[domain-name:value = 'evil.example']` {
		t.Errorf("pattern %s", got)
	}
	rep := find(t, res, "report--5a3c2fcd-8328-42bb-a95e-4f4402de0b81")
	if refs := rep.ExternalReferences(); len(refs) != 1 || refs[0].SourceName != "www.virustotal.com" {
		t.Errorf("external references %+v", refs)
	}
}

// TestAttributeGalaxy: a cluster on one attribute indicates from that
// attribute's indicator only; an attack pattern carries its ATT&CK id.
func TestAttributeGalaxy(t *testing.T) {
	t.Parallel()
	galaxy := []any{map[string]any{"uuid": "c4e851fa-775f-11e7-8163-b774922098cd", "type": "mitre-attack-pattern", "name": "Attack Pattern",
		"GalaxyCluster": []any{map[string]any{"uuid": "2e34237d-8574-43f6-aace-ae2915de8597", "type": "mitre-attack-pattern",
			"value": "Spearphishing Attachment - T1193", "tag_name": `misp-galaxy:mitre-attack-pattern="Spearphishing Attachment - T1193"`,
			"meta": map[string]any{"kill_chain": []string{"mitre-attack:enterprise-attack:initial-access"}, "refs": "https://attack.mitre.org/techniques/T1193"}}}}}
	res := mustEvent(t, event(t, map[string]any{"Attribute": []any{
		map[string]any{"uuid": "11111111-1111-4111-8111-111111111111", "type": "filename", "value": "invoice.doc", "to_ids": true, "Galaxy": galaxy,
			"Tag": []any{map[string]string{"name": `misp-galaxy:mitre-attack-pattern="Spearphishing Attachment - T1193"`}}},
		map[string]any{"uuid": "22222222-2222-4222-8222-222222222222", "type": "domain", "value": "other.example", "to_ids": true},
	}}), opts())
	ap := find(t, res, "attack-pattern--2e34237d-8574-43f6-aace-ae2915de8597")
	if str(ap, "name") != "Spearphishing Attachment" {
		t.Errorf("name %q", str(ap, "name"))
	}
	refs := ap.ExternalReferences()
	if len(refs) != 2 || refs[0].SourceName != "mitre-attack" || refs[0].ExternalID != "T1193" {
		t.Errorf("external references %+v", refs)
	}
	var phases []stix.KillChainPhase
	if err := ap.Decode("kill_chain_phases", &phases); err != nil || !slices.Equal(phases, []stix.KillChainPhase{{KillChainName: "mitre-attack", PhaseName: "initial-access"}}) {
		t.Errorf("kill chain %v (%v)", phases, err)
	}
	var rels []stix.Relationship
	for _, o := range res.Objects {
		if r, ok := stix.RelationshipOf(o); ok {
			rels = append(rels, r)
		}
	}
	want := []stix.Relationship{{Type: "indicates", SourceRef: "indicator--11111111-1111-4111-8111-111111111111", TargetRef: ap.ID()}}
	if !slices.Equal(rels, want) {
		t.Errorf("relationships %+v, want %+v", rels, want)
	}
	if l := find(t, res, "indicator--11111111-1111-4111-8111-111111111111").Labels(); len(l) != 0 {
		t.Errorf("the cluster's tag stayed a label: %q", l)
	}
}
