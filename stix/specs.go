package stix

import (
	"net/netip"
	"regexp"
	"strings"
)

type class int

const (
	classSDO class = iota + 1
	classSRO
	classSCO
	classMeta
)

type kind int

const (
	kAny kind = iota
	kString
	kTimestamp
	kTimestampMillis
	kBool
	kInt
	kFloat
	kRef
	kRefs
	kStrings
	kVocab
	kVocabs
	kKillChain
	kExternalRefs
	kGranular
	kHashes
	kDict
	kObject
	kList
	kBinary
	kHex
)

type propSpec struct {
	k              kind
	target         *target
	vocab          *vocab
	hasMin, hasMax bool
	min, max       float64
	item           func(v *validator, path string, val any)
	check          func(v *validator, path string, val any)
}

type typeSpec struct {
	name     string
	class    class
	required []string
	props    map[string]propSpec
	ext      map[string]func(v *validator, path string, m map[string]any)
	check    func(v *validator, m map[string]any)
}

// target describes which object types a reference may point at.
type target struct {
	desc  string
	types []string          // allowed types, if set
	allow func(string) bool // otherwise this decides
}

func (t *target) allows(typ string) bool {
	if t.allow != nil {
		return t.allow(typ)
	}
	for _, x := range t.types {
		if x == typ {
			return true
		}
	}
	return false
}

// Object kinds of STIX 2.1.
var (
	sdoTypes = set("attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator",
		"infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note", "observed-data", "opinion",
		"report", "threat-actor", "tool", "vulnerability")
	sroTypes = set("relationship", "sighting")
	scoTypes = set("artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file",
		"ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url", "user-account",
		"windows-registry-key", "x509-certificate")
	metaTypes = set("language-content", "marking-definition", "extension-definition")
)

func set(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, x := range s {
		m[x] = true
	}
	return m
}

// IsSDO, IsSRO, IsSCO and IsMeta classify a STIX 2.1 type name. Custom
// types are none of these.
func IsSDO(typ string) bool { return sdoTypes[typ] }

// IsSRO reports whether typ is relationship or sighting.
func IsSRO(typ string) bool { return sroTypes[typ] }

// IsSCO reports whether typ is a STIX 2.1 cyber-observable type.
func IsSCO(typ string) bool { return scoTypes[typ] }

// IsMeta reports whether typ is a STIX 2.1 meta object type.
func IsMeta(typ string) bool { return metaTypes[typ] }

func to(types ...string) *target {
	d := "a " + strings.Join(types, " or a ")
	return &target{desc: d, types: types}
}

var (
	anyObject = &target{desc: "a STIX object", allow: func(t string) bool { return t != "bundle" }}
	// Relationships may join SDOs and SCOs (and custom objects), never
	// relationships, sightings, meta objects or bundles.
	sdoOrSCO = &target{desc: "an SDO or SCO", allow: func(t string) bool {
		return !sroTypes[t] && !metaTypes[t] && t != "bundle"
	}}
	sdoOnly = &target{desc: "an SDO", allow: func(t string) bool {
		return !sroTypes[t] && !metaTypes[t] && !scoTypes[t] && t != "bundle"
	}}
	scoOnly  = &target{desc: "a cyber-observable", allow: func(t string) bool { return scoTypes[t] || strings.HasPrefix(t, "x-") }}
	scoOrSRO = &target{desc: "a cyber-observable or relationship", allow: func(t string) bool {
		return scoTypes[t] || t == "relationship" || strings.HasPrefix(t, "x-")
	}}
	notBundleOrLC = &target{desc: "a STIX object other than a bundle or language-content", allow: func(t string) bool {
		return t != "bundle" && t != "language-content"
	}}
)

// Shorthands for property specifications.
var (
	pStr     = propSpec{k: kString}
	pTime    = propSpec{k: kTimestamp}
	pBool    = propSpec{k: kBool}
	pInt     = propSpec{k: kInt}
	pUint    = propSpec{k: kInt, hasMin: true}
	pStrs    = propSpec{k: kStrings}
	pKCP     = propSpec{k: kKillChain}
	pHashes  = propSpec{k: kHashes}
	pDict    = propSpec{k: kDict}
	pHex     = propSpec{k: kHex}
	pBin     = propSpec{k: kBinary}
	pObj     = propSpec{k: kObject}
	pAnyRefs = propSpec{k: kRefs, target: anyObject}
)

func ref(t *target) propSpec  { return propSpec{k: kRef, target: t} }
func refs(t *target) propSpec { return propSpec{k: kRefs, target: t} }
func ov(voc *vocab) propSpec  { return propSpec{k: kVocab, vocab: voc} }
func ovs(voc *vocab) propSpec { return propSpec{k: kVocabs, vocab: voc} }
func rng(k kind, lo, hi float64) propSpec {
	return propSpec{k: k, hasMin: true, min: lo, hasMax: true, max: hi}
}

var sdoCommon = map[string]propSpec{
	"created_by_ref":      ref(to("identity")),
	"created":             {k: kTimestampMillis},
	"modified":            {k: kTimestampMillis},
	"revoked":             pBool,
	"labels":              pStrs,
	"confidence":          rng(kInt, 0, 100),
	"lang":                pStr,
	"external_references": {k: kExternalRefs},
	"object_marking_refs": refs(to("marking-definition")),
	"granular_markings":   {k: kGranular},
}

var scoCommon = map[string]propSpec{
	"object_marking_refs": refs(to("marking-definition")),
	"granular_markings":   {k: kGranular},
	"defanged":            pBool,
}

func commonProps(c class) map[string]propSpec {
	if c == classSCO {
		return scoCommon
	}
	return sdoCommon
}

// customSpec is the specification of a type STIX does not define: common
// properties only, classed as an SCO when it has no created property.
func customSpec(m map[string]any) *typeSpec {
	if _, ok := m["created"]; !ok {
		if _, ok := m["modified"]; !ok {
			return &typeSpec{class: classSCO, required: []string{"type", "id"}}
		}
	}
	return &typeSpec{class: classSDO, required: []string{"type", "spec_version", "id", "created", "modified"}}
}

func sdo(name string, required []string, props map[string]propSpec, check func(*validator, map[string]any)) *typeSpec {
	return &typeSpec{name: name, class: classSDO, required: append([]string{"created", "modified"}, required...), props: props, check: check}
}

func sco(name string, required []string, props map[string]propSpec, check func(*validator, map[string]any)) *typeSpec {
	return &typeSpec{name: name, class: classSCO, required: required, props: props, check: check}
}

var specs = map[string]*typeSpec{}

func init() {
	named := map[string]*typeSpec{
		"attack-pattern": sdo("attack-pattern", []string{"name"}, map[string]propSpec{
			"name": pStr, "description": pStr, "aliases": pStrs, "kill_chain_phases": pKCP,
		}, nil),
		"campaign": sdo("campaign", []string{"name"}, map[string]propSpec{
			"name": pStr, "description": pStr, "aliases": pStrs, "first_seen": pTime, "last_seen": pTime, "objective": pStr,
		}, order("first_seen", "last_seen", false)),
		"course-of-action": sdo("course-of-action", []string{"name"}, map[string]propSpec{
			"name": pStr, "description": pStr,
		}, nil),
		"grouping": sdo("grouping", []string{"context", "object_refs"}, map[string]propSpec{
			"name": pStr, "description": pStr, "context": ov(vGroupingContext), "object_refs": pAnyRefs,
		}, nil),
		"identity": sdo("identity", []string{"name"}, map[string]propSpec{
			"name": pStr, "description": pStr, "roles": pStrs, "identity_class": ov(vIdentityClass),
			"sectors": ovs(vIndustrySector), "contact_information": pStr,
		}, nil),
		"incident": sdo("incident", []string{"name"}, map[string]propSpec{
			"name": pStr, "description": pStr, "kill_chain_phases": pKCP,
		}, nil),
		"indicator": sdo("indicator", []string{"pattern", "pattern_type", "valid_from"}, map[string]propSpec{
			"name": pStr, "description": pStr, "indicator_types": ovs(vIndicatorType), "pattern": pStr,
			"pattern_type": ov(vPatternType), "pattern_version": pStr, "valid_from": pTime, "valid_until": pTime,
			"kill_chain_phases": pKCP,
		}, func(v *validator, m map[string]any) {
			order("valid_from", "valid_until", true)(v, m)
			v.checkPattern(m)
		}),
		"infrastructure": sdo("infrastructure", []string{"name"}, map[string]propSpec{
			"name": pStr, "description": pStr, "infrastructure_types": ovs(vInfrastructureType), "aliases": pStrs,
			"kill_chain_phases": pKCP, "first_seen": pTime, "last_seen": pTime,
		}, order("first_seen", "last_seen", false)),
		"intrusion-set": sdo("intrusion-set", []string{"name"}, map[string]propSpec{
			"name": pStr, "description": pStr, "aliases": pStrs, "first_seen": pTime, "last_seen": pTime, "goals": pStrs,
			"resource_level": ov(vAttackResourceLevel), "primary_motivation": ov(vAttackMotivation),
			"secondary_motivations": ovs(vAttackMotivation),
		}, order("first_seen", "last_seen", false)),
		"location": sdo("location", nil, map[string]propSpec{
			"name": pStr, "description": pStr, "latitude": rng(kFloat, -90, 90), "longitude": rng(kFloat, -180, 180),
			"precision": {k: kFloat, hasMin: true}, "region": ov(vRegion), "country": pStr, "administrative_area": pStr,
			"city": pStr, "street_address": pStr, "postal_code": pStr,
		}, checkLocation),
		"malware": sdo("malware", []string{"is_family"}, map[string]propSpec{
			"name": pStr, "description": pStr, "malware_types": ovs(vMalwareType), "is_family": pBool, "aliases": pStrs,
			"kill_chain_phases": pKCP, "first_seen": pTime, "last_seen": pTime,
			"operating_system_refs": refs(to("software")), "architecture_execution_envs": ovs(vProcessorArchitecture),
			"implementation_languages": ovs(vImplementationLang), "capabilities": ovs(vMalwareCapabilities),
			"sample_refs": refs(to("file", "artifact")),
		}, func(v *validator, m map[string]any) {
			order("first_seen", "last_seen", false)(v, m)
			if m["is_family"] == true {
				if _, ok := m["name"]; !ok {
					v.errf("name", "a malware family (is_family true) must have a name")
				}
			}
		}),
		"malware-analysis": sdo("malware-analysis", []string{"product"}, map[string]propSpec{
			"product": pStr, "version": pStr, "host_vm_ref": ref(to("software")), "operating_system_ref": ref(to("software")),
			"installed_software_refs": refs(to("software")), "configuration_version": pStr, "modules": pStrs,
			"analysis_engine_version": pStr, "analysis_definition_version": pStr, "submitted": pTime,
			"analysis_started": pTime, "analysis_ended": pTime, "result_name": pStr, "result": ov(vMalwareResult),
			"analysis_sco_refs": refs(scoOnly), "sample_ref": ref(to("file", "network-traffic", "artifact")),
		}, func(v *validator, m map[string]any) {
			order("analysis_started", "analysis_ended", false)(v, m)
			if !has(m, "result") && !has(m, "analysis_sco_refs") {
				v.errf("", "a malware-analysis must have result or analysis_sco_refs (or both)")
			}
		}),
		"note": sdo("note", []string{"content", "object_refs"}, map[string]propSpec{
			"abstract": pStr, "content": pStr, "authors": pStrs, "object_refs": pAnyRefs,
		}, nil),
		"observed-data": sdo("observed-data", []string{"first_observed", "last_observed", "number_observed"}, map[string]propSpec{
			"first_observed": pTime, "last_observed": pTime, "number_observed": rng(kInt, 1, 999999999),
			"objects": pDict, "object_refs": refs(scoOrSRO),
		}, func(v *validator, m map[string]any) {
			order("first_observed", "last_observed", false)(v, m)
			o, r := has(m, "objects"), has(m, "object_refs")
			switch {
			case o && r:
				v.errf("objects", "observed-data must not have both objects and object_refs")
			case !o && !r:
				v.errf("object_refs", "observed-data must have object_refs (or the deprecated objects)")
			case o:
				v.warnf("objects", "objects is deprecated in STIX 2.1; use object_refs to SCOs in the bundle")
			}
		}),
		"opinion": sdo("opinion", []string{"opinion", "object_refs"}, map[string]propSpec{
			"explanation": pStr, "authors": pStrs, "opinion": ov(eOpinion), "object_refs": pAnyRefs,
		}, nil),
		"report": sdo("report", []string{"name", "published", "object_refs"}, map[string]propSpec{
			"name": pStr, "description": pStr, "report_types": ovs(vReportType), "published": pTime, "object_refs": pAnyRefs,
		}, nil),
		"threat-actor": sdo("threat-actor", []string{"name"}, map[string]propSpec{
			"name": pStr, "description": pStr, "threat_actor_types": ovs(vThreatActorType), "aliases": pStrs,
			"first_seen": pTime, "last_seen": pTime, "roles": ovs(vThreatActorRole), "goals": pStrs,
			"sophistication": ov(vThreatActorSophistication), "resource_level": ov(vAttackResourceLevel),
			"primary_motivation": ov(vAttackMotivation), "secondary_motivations": ovs(vAttackMotivation),
			"personal_motivations": ovs(vAttackMotivation),
		}, order("first_seen", "last_seen", false)),
		"tool": sdo("tool", []string{"name"}, map[string]propSpec{
			"name": pStr, "description": pStr, "tool_types": ovs(vToolType), "aliases": pStrs, "kill_chain_phases": pKCP,
			"tool_version": pStr,
		}, nil),
		"vulnerability": sdo("vulnerability", []string{"name"}, map[string]propSpec{
			"name": pStr, "description": pStr,
		}, nil),

		"relationship": {name: "relationship", class: classSRO,
			required: []string{"created", "modified", "relationship_type", "source_ref", "target_ref"},
			props: map[string]propSpec{
				"relationship_type": {k: kString, check: checkRelationshipType}, "description": pStr,
				"source_ref": ref(sdoOrSCO), "target_ref": ref(sdoOrSCO), "start_time": pTime, "stop_time": pTime,
			}, check: order("start_time", "stop_time", true)},
		"sighting": {name: "sighting", class: classSRO, required: []string{"created", "modified", "sighting_of_ref"},
			props: map[string]propSpec{
				"description": pStr, "first_seen": pTime, "last_seen": pTime, "count": rng(kInt, 0, 999999999),
				"sighting_of_ref": ref(sdoOnly), "observed_data_refs": refs(to("observed-data")),
				"where_sighted_refs": refs(to("identity", "location")), "summary": pBool,
			}, check: order("first_seen", "last_seen", false)},

		"artifact": sco("artifact", nil, map[string]propSpec{
			"mime_type": pStr, "payload_bin": pBin, "url": pStr, "hashes": pHashes,
			"encryption_algorithm": ov(eEncryptionAlgorithm), "decryption_key": pStr,
		}, func(v *validator, m map[string]any) {
			p, u := has(m, "payload_bin"), has(m, "url")
			switch {
			case p && u:
				v.errf("url", "an artifact has payload_bin or url, not both")
			case !p && !u:
				v.errf("payload_bin", "an artifact needs payload_bin or url")
			case u && !has(m, "hashes"):
				v.errf("hashes", "an artifact given by url must have hashes")
			}
			if has(m, "decryption_key") && !has(m, "encryption_algorithm") {
				v.errf("decryption_key", "decryption_key requires encryption_algorithm")
			}
		}),
		"autonomous-system": sco("autonomous-system", []string{"number"}, map[string]propSpec{
			"number": pUint, "name": pStr, "rir": pStr,
		}, nil),
		"directory": sco("directory", []string{"path"}, map[string]propSpec{
			"path": pStr, "path_enc": pStr, "ctime": pTime, "mtime": pTime, "atime": pTime,
			"contains_refs": refs(to("file", "directory")),
		}, nil),
		"domain-name": sco("domain-name", []string{"value"}, map[string]propSpec{
			"value": pStr, "resolves_to_refs": refs(to("ipv4-addr", "ipv6-addr", "domain-name")),
		}, nil),
		"email-addr": sco("email-addr", []string{"value"}, map[string]propSpec{
			"value": pStr, "display_name": pStr, "belongs_to_ref": ref(to("user-account")),
		}, nil),
		"email-message": sco("email-message", []string{"is_multipart"}, map[string]propSpec{
			"is_multipart": pBool, "date": pTime, "content_type": pStr, "from_ref": ref(to("email-addr")),
			"sender_ref": ref(to("email-addr")), "to_refs": refs(to("email-addr")), "cc_refs": refs(to("email-addr")),
			"bcc_refs": refs(to("email-addr")), "message_id": pStr, "subject": pStr, "received_lines": pStrs,
			"additional_header_fields": pDict, "body": pStr, "raw_email_ref": ref(to("artifact")),
			"body_multipart": {k: kList, item: mimePart},
		}, func(v *validator, m map[string]any) {
			if m["is_multipart"] == true && has(m, "body") {
				v.errf("body", "a multipart message (is_multipart true) carries its body in body_multipart, not body")
			}
			if m["is_multipart"] == false && has(m, "body_multipart") {
				v.errf("body_multipart", "body_multipart is only for multipart messages (is_multipart true)")
			}
		}),
		"file": sco("file", nil, map[string]propSpec{
			"hashes": pHashes, "size": pUint, "name": pStr, "name_enc": pStr, "magic_number_hex": pHex,
			"mime_type": pStr, "ctime": pTime, "mtime": pTime, "atime": pTime,
			"parent_directory_ref": ref(to("directory")), "contains_refs": refs(scoOnly), "content_ref": ref(to("artifact")),
		}, func(v *validator, m map[string]any) {
			if !has(m, "hashes") && !has(m, "name") {
				v.errf("", "a file must have hashes or name")
			}
		}),
		"ipv4-addr": sco("ipv4-addr", []string{"value"}, map[string]propSpec{
			"value": {k: kString, check: checkIPv4}, "resolves_to_refs": refs(to("mac-addr")),
			"belongs_to_refs": refs(to("autonomous-system")),
		}, nil),
		"ipv6-addr": sco("ipv6-addr", []string{"value"}, map[string]propSpec{
			"value": {k: kString, check: checkIPv6}, "resolves_to_refs": refs(to("mac-addr")),
			"belongs_to_refs": refs(to("autonomous-system")),
		}, nil),
		"mac-addr": sco("mac-addr", []string{"value"}, map[string]propSpec{
			"value": {k: kString, check: checkMAC},
		}, nil),
		"mutex": sco("mutex", []string{"name"}, map[string]propSpec{"name": pStr}, nil),
		"network-traffic": sco("network-traffic", []string{"protocols"}, map[string]propSpec{
			"start": pTime, "end": pTime, "is_active": pBool,
			"src_ref":  ref(to("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name")),
			"dst_ref":  ref(to("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name")),
			"src_port": rng(kInt, 0, 65535), "dst_port": rng(kInt, 0, 65535), "protocols": pStrs,
			"src_byte_count": pUint, "dst_byte_count": pUint, "src_packets": pUint, "dst_packets": pUint,
			"ipfix": pDict, "src_payload_ref": ref(to("artifact")), "dst_payload_ref": ref(to("artifact")),
			"encapsulates_refs": refs(to("network-traffic")), "encapsulated_by_ref": ref(to("network-traffic")),
		}, func(v *validator, m map[string]any) {
			order("start", "end", false)(v, m)
			if !has(m, "src_ref") && !has(m, "dst_ref") {
				v.errf("", "network-traffic must have src_ref or dst_ref")
			}
			if m["is_active"] == true && has(m, "end") {
				v.errf("end", "active traffic (is_active true) must not have an end")
			}
		}),
		"process": sco("process", nil, map[string]propSpec{
			"is_hidden": pBool, "pid": pInt, "created_time": pTime, "cwd": pStr, "command_line": pStr,
			"environment_variables": pDict, "opened_connection_refs": refs(to("network-traffic")),
			"creator_user_ref": ref(to("user-account")), "image_ref": ref(to("file")), "parent_ref": ref(to("process")),
			"child_refs": refs(to("process")),
		}, atLeastOne),
		"software": sco("software", []string{"name"}, map[string]propSpec{
			"name": pStr, "cpe": pStr, "swid": pStr, "languages": pStrs, "vendor": pStr, "version": pStr,
		}, nil),
		"url": sco("url", []string{"value"}, map[string]propSpec{"value": pStr}, nil),
		"user-account": sco("user-account", nil, map[string]propSpec{
			"user_id": pStr, "credential": pStr, "account_login": pStr, "account_type": ov(vAccountType),
			"display_name": pStr, "is_service_account": pBool, "is_privileged": pBool, "can_escalate_privs": pBool,
			"is_disabled": pBool, "account_created": pTime, "account_expires": pTime, "credential_last_changed": pTime,
			"account_first_login": pTime, "account_last_login": pTime,
		}, atLeastOne),
		"windows-registry-key": sco("windows-registry-key", nil, map[string]propSpec{
			"key": pStr, "values": {k: kList, item: registryValue}, "modified_time": pTime,
			"creator_user_ref": ref(to("user-account")), "number_of_subkeys": pUint,
		}, atLeastOne),
		"x509-certificate": sco("x509-certificate", nil, map[string]propSpec{
			"is_self_signed": pBool, "hashes": pHashes, "version": pStr, "serial_number": pStr,
			"signature_algorithm": pStr, "issuer": pStr, "validity_not_before": pTime, "validity_not_after": pTime,
			"subject": pStr, "subject_public_key_algorithm": pStr, "subject_public_key_modulus": pStr,
			"subject_public_key_exponent": pUint, "x509_v3_extensions": pObj,
		}, func(v *validator, m map[string]any) {
			atLeastOne(v, m)
			order("validity_not_before", "validity_not_after", false)(v, m)
		}),

		"language-content": {name: "language-content", class: classMeta,
			required: []string{"created", "modified", "object_ref", "contents"},
			props: map[string]propSpec{
				"object_ref": ref(notBundleOrLC), "object_modified": {k: kTimestampMillis}, "contents": pDict,
			}},
		"marking-definition": {name: "marking-definition", class: classMeta, required: []string{"created"},
			props: map[string]propSpec{
				"name": pStr, "definition_type": pStr, "definition": pObj,
			}, check: checkMarkingDefinition},
		"extension-definition": {name: "extension-definition", class: classMeta,
			required: []string{"created", "modified", "created_by_ref", "name", "schema", "version", "extension_types"},
			props: map[string]propSpec{
				"name": pStr, "description": pStr, "schema": pStr, "version": pStr,
				"extension_types": {k: kVocabs, vocab: eExtensionType}, "extension_properties": pStrs,
			}, check: func(v *validator, m map[string]any) {
				if !has(m, "extension_properties") {
					return
				}
				for _, t := range v.listOrNil(m["extension_types"]) {
					if t == "toplevel-property-extension" {
						return
					}
				}
				v.errf("extension_properties", "extension_properties is only allowed with a toplevel-property-extension")
			}},
	}
	for k, s := range named {
		specs[k] = s
	}
	specs["file"].ext = fileExtensions
	specs["network-traffic"].ext = networkExtensions
	specs["process"].ext = processExtensions
	specs["user-account"].ext = map[string]func(*validator, string, map[string]any){
		"unix-account-ext": func(v *validator, p string, m map[string]any) {
			v.props(p, m, map[string]propSpec{"gid": pInt, "groups": pStrs, "home_dir": pStr, "shell": pStr})
		},
	}
}

func has(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// order returns a check that b is not before a (strictly after when
// strict), both timestamps being present and valid.
func order(a, b string, strict bool) func(*validator, map[string]any) {
	return func(v *validator, m map[string]any) {
		as, ok1 := m[a].(string)
		bs, ok2 := m[b].(string)
		if !ok1 || !ok2 {
			return
		}
		at, ok1 := parseTimestampValue(as)
		bt, ok2 := parseTimestampValue(bs)
		if !ok1 || !ok2 {
			return
		}
		if bt.Before(at) || strict && bt.Equal(at) {
			rel := "before"
			if strict {
				rel = "at or before"
			}
			v.errf(b, "%s (%s) is %s %s (%s)", b, bs, rel, a, as)
		}
	}
}

func atLeastOne(v *validator, m map[string]any) {
	for k := range m {
		switch k {
		case "type", "id", "spec_version", "object_marking_refs", "granular_markings", "defanged":
		default:
			return
		}
	}
	v.errf("", "a %s must have at least one property besides the common ones", v.specType())
}

func checkLocation(v *validator, m map[string]any) {
	lat, lon := has(m, "latitude"), has(m, "longitude")
	if lat != lon {
		v.errf("latitude", "latitude and longitude must be given together")
	}
	if !has(m, "region") && !has(m, "country") && !(lat && lon) {
		v.errf("", "a location needs region, country, or latitude and longitude")
	}
	if has(m, "precision") && !(lat && lon) {
		v.errf("precision", "precision requires latitude and longitude")
	}
	if c, ok := m["country"].(string); ok && (len(c) != 2 || strings.ToUpper(c) != c) {
		v.warnf("country", "%q should be an ISO 3166-1 alpha-2 code such as \"US\"", c)
	}
}

var relTypeRe = regexp.MustCompile(`^[a-z0-9-]+$`)

func checkRelationshipType(v *validator, path string, val any) {
	s, ok := val.(string)
	if !ok {
		return
	}
	if !relTypeRe.MatchString(s) {
		v.errf(path, "%q may only contain a-z, 0-9 and hyphens", s)
		return
	}
	if !vRelationshipType.values[s] {
		v.warnf(path, "%q is not a relationship type the specification defines; use a defined one where one fits", s)
	}
}

func checkIPv4(v *validator, path string, val any) {
	s, _ := val.(string)
	if s == "" {
		return
	}
	addr, bits, cidr := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is4() {
		v.errf(path, "%q is not an IPv4 address or CIDR block", s)
		return
	}
	if cidr {
		if _, err := netip.ParsePrefix(s); err != nil || bits == "" {
			v.errf(path, "%q is not a valid IPv4 CIDR block", s)
		}
	}
}

func checkIPv6(v *validator, path string, val any) {
	s, _ := val.(string)
	if s == "" {
		return
	}
	addr, _, cidr := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() || a.Zone() != "" {
		v.errf(path, "%q is not an IPv6 address or CIDR block", s)
		return
	}
	if cidr {
		if _, err := netip.ParsePrefix(s); err != nil {
			v.errf(path, "%q is not a valid IPv6 CIDR block", s)
		}
	}
}

var macRe = regexp.MustCompile(`^([0-9a-f]{2}:){5}[0-9a-f]{2}$`)

func checkMAC(v *validator, path string, val any) {
	s, _ := val.(string)
	if !macRe.MatchString(s) {
		v.errf(path, "%q is not a MAC address in the required form (six lowercase hex pairs joined by colons)", s)
	}
}

func mimePart(v *validator, path string, val any) {
	m, ok := val.(map[string]any)
	if !ok {
		v.errf(path, "a MIME part must be an object, not %s", jsonType(val))
		return
	}
	b, r := has(m, "body"), has(m, "body_raw_ref")
	if b == r {
		v.errf(path, "a MIME part must have exactly one of body and body_raw_ref")
	}
	v.props(path, m, map[string]propSpec{
		"body": pStr, "body_raw_ref": ref(to("artifact", "file")), "content_type": pStr, "content_disposition": pStr,
	})
}

func registryValue(v *validator, path string, val any) {
	m, ok := val.(map[string]any)
	if !ok {
		v.errf(path, "a registry value must be an object, not %s", jsonType(val))
		return
	}
	if len(m) == 0 {
		v.errf(path, "a registry value needs name, data or data_type")
	}
	v.props(path, m, map[string]propSpec{"name": pStr, "data": pStr, "data_type": ov(eWindowsRegistryData)})
}

// props checks the listed properties of a nested object when present.
func (v *validator) props(path string, m map[string]any, ps map[string]propSpec) {
	for _, k := range sortedKeys(m) {
		if p, ok := ps[k]; ok {
			v.prop(join(path, k), m[k], p)
		}
	}
}

func (v *validator) require(path string, m map[string]any, names ...string) {
	for _, n := range names {
		if !has(m, n) {
			v.errf(join(path, n), "required property %s is missing", n)
		}
	}
}

type extCheck = func(*validator, string, map[string]any)

var fileExtensions = map[string]extCheck{
	"archive-ext": func(v *validator, p string, m map[string]any) {
		v.require(p, m, "contains_refs")
		v.props(p, m, map[string]propSpec{"contains_refs": refs(to("file", "directory")), "comment": pStr})
	},
	"ntfs-ext": func(v *validator, p string, m map[string]any) {
		v.props(p, m, map[string]propSpec{"sid": pStr, "alternate_data_streams": {k: kList}})
	},
	"pdf-ext": func(v *validator, p string, m map[string]any) {
		v.props(p, m, map[string]propSpec{"version": pStr, "is_optimized": pBool, "document_info_dict": pDict, "pdfid0": pStr, "pdfid1": pStr})
	},
	"raster-image-ext": func(v *validator, p string, m map[string]any) {
		v.props(p, m, map[string]propSpec{"image_height": pInt, "image_width": pInt, "bits_per_pixel": pInt, "exif_tags": pDict})
	},
	"windows-pebinary-ext": func(v *validator, p string, m map[string]any) {
		v.require(p, m, "pe_type")
		v.props(p, m, map[string]propSpec{"pe_type": ov(vWindowsPEBinaryType), "imphash": pStr, "machine_hex": pHex,
			"number_of_sections": pUint, "time_date_stamp": pTime, "pointer_to_symbol_table_hex": pHex,
			"number_of_symbols": pUint, "size_of_optional_header": pUint, "characteristics_hex": pHex,
			"file_header_hashes": pHashes, "optional_header": pObj, "sections": {k: kList}})
	},
}

var networkExtensions = map[string]extCheck{
	"http-request-ext": func(v *validator, p string, m map[string]any) {
		v.require(p, m, "request_method", "request_value")
		v.props(p, m, map[string]propSpec{"request_method": pStr, "request_value": pStr, "request_version": pStr,
			"request_header": pDict, "message_body_length": pUint, "message_body_data_ref": ref(to("artifact"))})
	},
	"icmp-ext": func(v *validator, p string, m map[string]any) {
		v.require(p, m, "icmp_type_hex", "icmp_code_hex")
		v.props(p, m, map[string]propSpec{"icmp_type_hex": pHex, "icmp_code_hex": pHex})
	},
	"socket-ext": func(v *validator, p string, m map[string]any) {
		v.require(p, m, "address_family")
		v.props(p, m, map[string]propSpec{"address_family": ov(eSocketAddressFamily), "is_blocking": pBool,
			"is_listening": pBool, "options": pDict, "socket_type": ov(eSocketType), "socket_descriptor": pUint,
			"socket_handle": pInt})
	},
	"tcp-ext": func(v *validator, p string, m map[string]any) {
		v.props(p, m, map[string]propSpec{"src_flags_hex": pHex, "dst_flags_hex": pHex})
	},
}

var processExtensions = map[string]extCheck{
	"windows-process-ext": func(v *validator, p string, m map[string]any) {
		v.props(p, m, map[string]propSpec{"aslr_enabled": pBool, "dep_enabled": pBool, "priority": pStr,
			"owner_sid": pStr, "window_title": pStr, "startup_info": pDict, "integrity_level": ov(eWindowsIntegrityLevel)})
	},
	"windows-service-ext": func(v *validator, p string, m map[string]any) {
		v.props(p, m, map[string]propSpec{"service_name": pStr, "descriptions": pStrs, "display_name": pStr,
			"group_name": pStr, "start_type": ov(eWindowsServiceStart), "service_dll_refs": refs(to("file")),
			"service_type": ov(eWindowsServiceType), "service_status": ov(eWindowsServiceStatus)})
	},
}

// checkMarkingDefinition applies the rules for marking definitions: a
// definition_type and definition unless an extension defines the
// marking, the statement and TLP 1.0 forms, and the fixed TLP 1.0 ids.
func checkMarkingDefinition(v *validator, m map[string]any) {
	dt, hasDT := m["definition_type"].(string)
	def, hasDef := m["definition"].(map[string]any)
	if !has(m, "extensions") {
		if !has(m, "definition_type") {
			v.errf("definition_type", "a marking definition without extensions must have definition_type")
		}
		if !has(m, "definition") {
			v.errf("definition", "a marking definition without extensions must have definition")
		}
	}
	if has(m, "modified") {
		v.warnf("modified", "marking definitions are not versioned; modified is not a marking-definition property")
	}
	if !hasDT || !hasDef {
		return
	}
	switch dt {
	case "statement":
		if s, ok := def["statement"].(string); !ok || s == "" {
			v.errf("definition.statement", "a statement marking must have a statement string")
		}
	case "tlp":
		level, _ := def["tlp"].(string)
		v.vocabValue("definition.tlp", def["tlp"], eTLPLevel)
		id, _ := m["id"].(string)
		if want, ok := tlp1ByLevel[level]; ok && id != want {
			v.errf("id", "TLP 1.0 markings must use the predefined id %s for %s, not a new one", want, strings.ToUpper(level))
		}
		if c, _ := m["created"].(string); ok(tlp1ByLevel, level) && c != "2017-01-20T00:00:00.000Z" {
			v.errf("created", "the predefined TLP 1.0 marking definitions have created 2017-01-20T00:00:00.000Z")
		}
	default:
		v.warnf("definition_type", "%q is not a definition type STIX 2.1 defines (statement, tlp); new marking types should use an extension", dt)
	}
}

func ok(m map[string]string, k string) bool { _, found := m[k]; return found }
