package stix

// A vocab is a STIX vocabulary. Values outside an open vocabulary are
// allowed but SHOULD NOT be used (a warning); values outside a closed one
// (an enumeration) MUST NOT be used (an error).
type vocab struct {
	name   string
	closed bool
	values map[string]bool
}

func newVocab(name string, closed bool, values ...string) *vocab {
	v := &vocab{name: name, closed: closed, values: make(map[string]bool, len(values))}
	for _, s := range values {
		v.values[s] = true
	}
	return v
}

// The vocabularies of STIX 2.1 section 10 and the enumerations of the
// object definitions.
var (
	vAttackMotivation = newVocab("attack-motivation-ov", false, "accidental", "coercion", "dominance", "ideology", "notoriety",
		"organizational-gain", "personal-gain", "personal-satisfaction", "revenge", "unpredictable")
	vAttackResourceLevel = newVocab("attack-resource-level-ov", false, "individual", "club", "contest", "team", "organization", "government")
	vGroupingContext     = newVocab("grouping-context-ov", false, "suspicious-activity", "malware-analysis", "unspecified")
	vIdentityClass       = newVocab("identity-class-ov", false, "individual", "group", "system", "organization", "class", "unknown")
	vImplementationLang  = newVocab("implementation-language-ov", false, "applescript", "bash", "c", "c++", "c#", "go", "java",
		"javascript", "lua", "objective-c", "perl", "php", "powershell", "python", "ruby", "scala", "swift", "typescript",
		"visual-basic", "x86-32", "x86-64")
	vIndicatorType = newVocab("indicator-type-ov", false, "anomalous-activity", "anonymization", "benign", "compromised",
		"malicious-activity", "attribution", "unknown")
	// The specification's list, plus the spellings the OASIS schema uses
	// ("emergency-services", "dams", ...), so neither draws a warning.
	vIndustrySector = newVocab("industry-sector-ov", false, "agriculture", "aerospace", "automotive", "chemical", "commercial",
		"communications", "construction", "defense", "education", "energy", "engineering", "entertainment", "financial-services",
		"government", "government-emergency-services", "emergency-services", "government-local", "government-national",
		"government-public-services", "government-regional", "healthcare", "hospitality-leisure", "infrastructure",
		"infrastructure-dams", "dams", "infrastructure-nuclear", "nuclear", "infrastructure-water", "water", "insurance",
		"manufacturing", "mining", "non-profit", "pharmaceuticals", "retail", "technology", "telecommunications",
		"transportation", "utilities")
	vInfrastructureType = newVocab("infrastructure-type-ov", false, "amplification", "anonymization", "botnet",
		"command-and-control", "control-system", "exfiltration", "firewall", "hosting-malware", "hosting-target-lists",
		"phishing", "reconnaissance", "routers-switches", "staging", "workstation", "unknown")
	vMalwareResult       = newVocab("malware-result-ov", false, "malicious", "suspicious", "benign", "unknown")
	vMalwareCapabilities = newVocab("malware-capabilities-ov", false, "accesses-remote-machines", "anti-debugging",
		"anti-disassembly", "anti-emulation", "anti-memory-forensics", "anti-sandbox", "anti-vm", "captures-input-peripherals",
		"captures-output-peripherals", "captures-system-state-data", "cleans-traces-of-infection", "commits-fraud",
		"communicates-with-c2", "compromises-data-availability", "compromises-data-integrity",
		"compromises-system-availability", "controls-local-machine", "degrades-security-software",
		"degrades-system-updates", "determines-c2-server", "emails-spam", "escalates-privileges", "evades-av",
		"exfiltrates-data", "fingerprints-host", "hides-artifacts", "hides-executing-code", "infects-files",
		"infects-remote-machines", "installs-other-components", "persists-after-system-reboot", "prevents-artifact-access",
		"prevents-artifact-deletion", "probes-network-environment", "self-modifies", "steals-authentication-credentials",
		"violates-system-operational-integrity")
	vMalwareType = newVocab("malware-type-ov", false, "adware", "backdoor", "bot", "bootkit", "ddos", "downloader", "dropper",
		"exploit-kit", "keylogger", "ransomware", "remote-access-trojan", "resource-exploitation", "rogue-security-software",
		"rootkit", "screen-capture", "spyware", "trojan", "unknown", "virus", "webshell", "wiper", "worm")
	vPatternType           = newVocab("pattern-type-ov", false, "stix", "pcre", "sigma", "snort", "suricata", "yara")
	vProcessorArchitecture = newVocab("processor-architecture-ov", false, "alpha", "arm", "ia-64", "mips", "powerpc", "sparc", "x86", "x86-64")
	vRegion                = newVocab("region-ov", false, "africa", "eastern-africa", "middle-africa", "northern-africa",
		"southern-africa", "western-africa", "americas", "caribbean", "central-america", "latin-america-caribbean",
		"northern-america", "south-america", "asia", "central-asia", "eastern-asia", "southern-asia", "south-eastern-asia",
		"western-asia", "europe", "eastern-europe", "northern-europe", "southern-europe", "western-europe", "oceania",
		"antarctica", "australia-new-zealand", "melanesia", "micronesia", "polynesia")
	vReportType = newVocab("report-type-ov", false, "attack-pattern", "campaign", "identity", "indicator", "intrusion-set",
		"malware", "observed-data", "threat-actor", "threat-report", "tool", "vulnerability")
	vThreatActorType = newVocab("threat-actor-type-ov", false, "activist", "competitor", "crime-syndicate", "criminal", "hacker",
		"insider-accidental", "insider-disgruntled", "nation-state", "sensationalist", "spy", "terrorist", "unknown")
	vThreatActorRole = newVocab("threat-actor-role-ov", false, "agent", "director", "independent", "infrastructure-architect",
		"infrastructure-operator", "malware-author", "sponsor")
	vThreatActorSophistication = newVocab("threat-actor-sophistication-ov", false, "none", "minimal", "intermediate", "advanced",
		"expert", "innovator", "strategic")
	vToolType = newVocab("tool-type-ov", false, "denial-of-service", "exploitation", "information-gathering",
		"network-capture", "credential-exploitation", "remote-access", "vulnerability-scanning", "unknown")
	vAccountType = newVocab("account-type-ov", false, "facebook", "ldap", "nis", "openid", "radius", "skype", "tacacs",
		"twitter", "unix", "windows-local", "windows-domain")
	vWindowsPEBinaryType = newVocab("windows-pebinary-type-ov", false, "dll", "exe", "sys")

	eOpinion             = newVocab("opinion-enum", true, "strongly-disagree", "disagree", "neutral", "agree", "strongly-agree")
	eEncryptionAlgorithm = newVocab("encryption-algorithm-enum", true, "AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated")
	eExtensionType       = newVocab("extension-type-enum", true, "new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension")
	eSocketAddressFamily = newVocab("network-socket-address-family-enum", true, "AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK",
		"AF_NETBIOS", "AF_INET6", "AF_IRDA", "AF_BTH")
	eSocketType            = newVocab("network-socket-type-enum", true, "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET")
	eWindowsIntegrityLevel = newVocab("windows-integrity-level-enum", true, "low", "medium", "high", "system")
	eWindowsRegistryData   = newVocab("windows-registry-datatype-enum", true, "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN", "REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD", "REG_INVALID_TYPE")
	eWindowsServiceStart   = newVocab("windows-service-start-type-enum", true, "SERVICE_AUTO_START", "SERVICE_BOOT_START", "SERVICE_DEMAND_START", "SERVICE_DISABLED", "SERVICE_SYSTEM_ALERT")
	eWindowsServiceType    = newVocab("windows-service-type-enum", true, "SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER", "SERVICE_WIN32_OWN_PROCESS", "SERVICE_WIN32_SHARE_PROCESS")
	eWindowsServiceStatus  = newVocab("windows-service-status-enum", true, "SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING", "SERVICE_PAUSED", "SERVICE_RUNNING", "SERVICE_START_PENDING", "SERVICE_STOP_PENDING", "SERVICE_STOPPED")
	eTLPLevel              = newVocab("TLP 1.0 level", true, "white", "green", "amber", "red")
	vRelationshipType      = newVocab("relationship types of section 4 and 5", false, "derived-from", "duplicate-of", "related-to",
		"delivers", "targets", "uses", "attributed-to", "originates-from", "investigates", "mitigates", "remediates",
		"indicates", "based-on", "communicates-with", "consists-of", "controls", "has", "hosts", "owns", "authored-by",
		"beacons-to", "exfiltrate-to", "downloads", "drops", "exploits", "variant-of", "characterizes", "analysis-of",
		"static-analysis-of", "dynamic-analysis-of", "impersonates", "compromises", "located-at")
)
