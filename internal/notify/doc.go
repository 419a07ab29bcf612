// Package notify holds what each organization tells Rampart about itself —
// its inventory — the matcher that says which organizations a piece of
// threat intelligence concerns, and the notifications module (Module) that
// tells them: triggers on every stored object and inventory change
// (trigger.go, module.go), STIX targets relationships (targets.go),
// coordinator notices to a selection of organizations (notice.go,
// notice_pages.go), severity (severity.go), the KEV and CVE imports
// (kev.go; a KEV entry and a CVE record of one CVE merge into one
// notification per software entry), the inbox and its API, stream and pages
// (notification.go, api.go, stream.go, pages.go; a new version that no
// longer concerns an organization withdraws its notification), the
// settings page for preferences and escalation, delivery by e-mail and
// webhook with the flood rule (delivery.go) and escalation (escalation.go).
// Every process refreshes its matcher on every inventory change, through a
// core NATS subscription besides the durable consumer. docs/architecture.md
// states the rules.
//
// # Inventory
//
// An inventory entry is an Item: a kind, a value and, for software, a
// version. Kinds: cidr (IPv4 and IPv6 networks), asn, domain (which covers
// its subdomains), email-domain (exactly that domain), url (absolute http or
// https), cpe (CPE 2.3 formatted strings) and purl (package URLs). Normalize
// is the one place that validates and canonicalises an entry, so the store,
// the importers and the matcher agree on what "the same entry" is: a bare
// address becomes a /32 or /128, host bits are cleared (with a warning),
// IPv4-mapped IPv6 networks become IPv4, names are lower case without a
// trailing dot, a CPE or purl carries its version both in the value and in
// Version. Names must be ASCII (their xn-- form): golang.org/x/net/idna is
// not a dependency of this module, and a half-right IDNA mapping would make
// look-alike names match.
//
// ParseCSV and ParseJSON read inventory files and reject bad lines one by
// one with the line number and reason, keeping the good ones. The Store keeps
// inventories in inventory_items; only the organization's members and the
// instance's coordinators may read one (CanView, on every read path), and
// every write is audited and announces itself with a
// notify.inventory.changed event in the same transaction.
//
// Inventories are edited through GET, POST /api/v1/orgs/{org}/inventory
// and DELETE /api/v1/orgs/{org}/inventory/{id} (inventory_api.go) and the
// pages /inventory and /orgs/{org}/inventory (inventory_pages.go, marked
// TLP:AMBER+STRICT). A POST takes one entry as JSON or a whole file (text/csv
// for ParseCSV, an array or {"items"} document for ParseJSON; ?replace=true
// to make it the whole inventory, refused unless every line is valid) and
// answers the accepted count and every rejected line. Whoever CanView
// refuses gets 404, so a path does not reveal that an organization exists;
// writers are the organization's org admins and coordinators, as for its
// other settings, since the inventory decides what the organization is
// told; analysts and viewers read it.
//
// # Matching observables
//
// The Matcher answers Match(observable) from memory. It is built from every
// organization's inventory (Store.LoadMatcher) and updated as inventories
// change (Store.RefreshOrg on each notify.inventory.changed event). It
// keeps an immutable base index plus a small delta index of additions and
// a tombstone bitmap of removals, both rebuilt on every update, and folds
// them into a new base once they exceed about 6·√n entries (n the entries
// in all; at least 1,024, at most 65,536), which keeps an update at O(√n)
// amortised. Readers load the current snapshot through an atomic pointer
// and never wait for writers; writers build the next snapshot aside and
// publish it. Entries are packed (24 bytes, one pointer), and the indexes
// hold int32 entry numbers, so the national world of 3.4 million entries
// fits in under 500 MiB.
//
// Networks: all addresses live in one 128-bit space in which the IPv4
// address a.b.c.d is ::ffff:a.b.c.d, so an IPv4-mapped IPv6 observable and
// its IPv4 form match the same entries. Networks inside ::ffff:0:0/96 are
// kept as 32-bit keys, the others as 128-bit keys, each in an array sorted
// by (first address, prefix length). Inventory networks form a laminar
// family (two networks are nested or disjoint), so each element also keeps
// the index of the nearest earlier element that contains it. The networks
// containing an address are then found by one binary search (the last
// element starting at or before it; for IPv4 narrowed first by a table of
// the top 16 bits) and a walk up those parent links; the networks inside a
// network are the contiguous run of elements that start within it. An
// address costs O(log n + depth); a network observable also O(hits). A
// network observable (ipv4-addr:value ISSUBSET '203.0.113.0/24', or a CIDR
// value) hits every inventory network that overlaps it: those containing
// it, equal to it, or inside it.
//
// Names: one hash map from a name to the entries keyed by it (domains,
// e-mail domains and URL hosts). A domain observable looks up itself and
// each parent at label boundaries, so example.com never matches
// badexample.com; only domain entries cover subdomains. A URL matches by its
// host (as a domain, or as an address when the host is an IP literal) and
// URL entries of the same host, naming a prefix match when the URL lies under
// the entry's path; an e-mail address matches by its domain; an autonomous
// system by number.
//
// # Matching software
//
// MatchSoftware takes a vulnerability's affected products in the forms
// sources publish them — NVD CPE match criteria with version ranges, CVE
// JSON 5 affected[] entries with versions[] and defaultStatus, and package
// URLs with vers ranges — and returns the organizations whose software falls
// in them. Candidates are found by (part, vendor, product) or by package
// (type, namespace, name); a criterion with wildcards in vendor or product
// is checked against every software entry. An entry without a version that
// names an affected product is reported as Uncertain.
//
// CPE names follow NISTIR 7695 (formatted-string binding, with its quoting)
// and NISTIR 7696 (name matching): in a criterion * is ANY, - is NA, and *
// and runs of ? may stand at either end of a value (a run of n ? stands for
// at most n characters). Inventory CPEs are names, not patterns: they may
// not contain wildcards inside a value.
//
// Versions are compared as described at CompareVersions: numeric segments as
// numbers, known pre-release words (dev, alpha, beta, rc, ...) before the
// release, other words after it, trailing zero segments insignificant; and
// by Semantic Versioning 2.0.0 precedence when the version type (CVE JSON 5
// versionType, or the purl type) says semver.
package notify
