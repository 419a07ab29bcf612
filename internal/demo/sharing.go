package demo

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

// The demo's TAXII collections, by alias.
const (
	CollectionSLTT      = "meridian-sltt"
	CollectionNational  = "national-advisories"
	CollectionInbox     = "submissions"
	collectionsAPIRoot  = sharing.DefaultAPIRoot
	demoIndicatorID     = "indicator--3b3c2f0e-8d55-4a63-9f8e-6a1f0d2c7b01"
	demoVulnerabilityID = "vulnerability--7f1f6a2e-1c3d-4b0e-9e5a-2d9c8b7a6f02"
)

type demoCollection struct {
	alias, title, description, owner string
	community                        string // name; "" = all members
	read, write, anonymous           bool
	tlp                              access.TLP
}

var demoCollections = []demoCollection{
	{CollectionSLTT, "Meridian SLTT sharing", "Read and write: indicators, defensive measures and incidents among Meridian's state, local, tribal and territorial entities.",
		"meridian", "Meridian SLTT", true, true, false, access.Green},
	{CollectionNational, "National advisories", "Read-only: advisories, vulnerabilities and defensive measures published by the national coordinator.",
		"ncc", "", true, false, false, access.Clear},
	{CollectionInbox, "Submission inbox", "Write-only: any member may submit indicators and incidents to the national coordinator; submissions are anonymous, as in AIS.",
		"ncc", "", false, true, true, access.Amber},
}

// ensureSharing creates the demo collections and a few shared objects.
func ensureSharing(ctx context.Context, d *db.DB, s *identity.Store, orgIDs map[string]string) error {
	store := sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{})
	for _, dc := range demoCollections {
		if _, err := store.Collection(ctx, collectionsAPIRoot, dc.alias); err == nil {
			continue
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		c := sharing.Collection{Alias: dc.alias, Title: dc.title, Description: dc.description, OwnerOrg: orgIDs[dc.owner],
			AudienceKind: string(access.GrantCommunity), AudienceID: access.AllMembers,
			CanRead: dc.read, CanWrite: dc.write, Anonymous: dc.anonymous, DefaultTLP: dc.tlp}
		if dc.community != "" {
			cm, err := s.Community(ctx, dc.community, access.Principal{Coordinator: true})
			if err != nil {
				return err
			}
			c.AudienceID = cm.ID
		}
		if err := write(ctx, d, "collection.create", "collection", func(tx *sql.Tx) (string, error) {
			return c.ID, store.CreateCollection(ctx, tx, &c)
		}); err != nil {
			return fmt.Errorf("demo: collection %s: %w", dc.alias, err)
		}
	}
	if err := ensureDemoObjects(ctx, store, s, orgIDs); err != nil {
		return err
	}
	return ensureNotice(ctx, d, s, store, orgIDs)
}

// ensureDemoObjects shares a national advisory (a vulnerability and its
// mitigation), a state indicator and an intrusion set targeting the
// state, so the sharing and notification pages have something to show. Stored again, they are unchanged.
func ensureDemoObjects(ctx context.Context, store *sharing.Store, s *identity.Store, orgIDs map[string]string) error {
	national, err := store.Collection(ctx, collectionsAPIRoot, CollectionNational)
	if err != nil {
		return err
	}
	sltt, err := store.Collection(ctx, collectionsAPIRoot, CollectionSLTT)
	if err != nil {
		return err
	}
	clear, _ := stix.TLPMarkingID(stix.TLPClear)
	green, _ := stix.TLPMarkingID(stix.TLPGreen)
	advisory := []string{
		`{"type":"vulnerability","spec_version":"2.1","id":"` + demoVulnerabilityID + `","created":"2026-11-30T14:00:00.000Z","modified":"2026-11-30T14:00:00.000Z",
"name":"CVE-2024-3400","description":"Command injection in the GlobalProtect feature of PAN-OS lets an unauthenticated attacker run code as root on the firewall. Exploited in the wild; on the KEV catalog.",
"external_references":[{"source_name":"cve","external_id":"CVE-2024-3400"}],"object_marking_refs":["` + clear + `"]}`,
		`{"type":"course-of-action","spec_version":"2.1","id":"course-of-action--5c2d1e0f-3a4b-4c6d-8e9f-0a1b2c3d4e03","created":"2026-11-30T14:00:00.000Z","modified":"2026-11-30T14:00:00.000Z",
"name":"Upgrade PAN-OS and check for compromise","description":"Upgrade to a fixed PAN-OS release (10.2.9-h1, 11.0.4-h1, 11.1.2-h3 or later). Then run the vendor's integrity check; if it reports compromise, rebuild the device and rotate its credentials.",
"object_marking_refs":["` + clear + `"]}`,
		`{"type":"relationship","spec_version":"2.1","id":"relationship--9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c04","created":"2026-11-30T14:00:00.000Z","modified":"2026-11-30T14:00:00.000Z",
"relationship_type":"mitigates","source_ref":"course-of-action--5c2d1e0f-3a4b-4c6d-8e9f-0a1b2c3d4e03","target_ref":"` + demoVulnerabilityID + `","object_marking_refs":["` + clear + `"]}`,
	}
	state := []string{
		`{"type":"indicator","spec_version":"2.1","id":"` + demoIndicatorID + `","created":"2026-12-01T09:00:00.000Z","modified":"2026-12-01T09:00:00.000Z",
"name":"Scanner probing county VPN portals","description":"Seen by the state SOC against three county VPN portals overnight, looking for the GlobalProtect flaw.",
"indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '203.0.113.47']","pattern_type":"stix","valid_from":"2026-12-01T09:00:00Z","confidence":70,
"object_marking_refs":["` + green + `"]}`,
		`{"type":"relationship","spec_version":"2.1","id":"relationship--0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d05","created":"2026-12-01T09:00:00.000Z","modified":"2026-12-01T09:00:00.000Z",
"relationship_type":"related-to","source_ref":"` + demoIndicatorID + `","target_ref":"` + demoVulnerabilityID + `","object_marking_refs":["` + green + `"]}`,
		// A targets relationship to the state as a location: every
		// organization of the state that may see the three is told.
		`{"type":"intrusion-set","spec_version":"2.1","id":"` + IntrusionSetID + `","created":"2026-12-02T08:00:00.000Z","modified":"2026-12-02T08:00:00.000Z",
"name":"Quarry Lantern","description":"A financially motivated group that phishes local-government payroll staff and redirects direct deposits.",
"goals":["divert payroll deposits"],"primary_motivation":"personal-gain","object_marking_refs":["` + green + `"]}`,
		`{"type":"location","spec_version":"2.1","id":"` + StateLocationID + `","created":"2026-12-02T08:00:00.000Z","modified":"2026-12-02T08:00:00.000Z",
"name":"State of Meridian","country":"US","administrative_area":"Meridian","object_marking_refs":["` + green + `"]}`,
		`{"type":"relationship","spec_version":"2.1","id":"` + TargetsRelationshipID + `","created":"2026-12-02T08:00:00.000Z","modified":"2026-12-02T08:00:00.000Z",
"relationship_type":"targets","source_ref":"` + IntrusionSetID + `","target_ref":"` + StateLocationID + `","object_marking_refs":["` + green + `"]}`,
	}
	for _, batch := range []struct {
		org  string
		coll *sharing.Collection
		objs []string
	}{{"ncc", &national, advisory}, {"meridian", &sltt, state}} {
		objs := make([]stix.Object, len(batch.objs))
		for i, raw := range batch.objs {
			if objs[i], err = stix.ParseObject([]byte(raw)); err != nil {
				return fmt.Errorf("demo: object %d: %w", i, err)
			}
		}
		p := access.Principal{UserID: "demo", OrgID: orgIDs[batch.org], Communities: []string{access.AllMembers, batch.coll.AudienceID}}
		rep, err := store.Ingest(ctx, sharing.Submission{Principal: p, Actor: "demo", Source: sharing.SourceImport, Collection: batch.coll}, objs)
		if err != nil {
			return err
		}
		if rep.Rejected > 0 {
			return fmt.Errorf("demo: objects rejected: %+v", rep.Outcomes)
		}
	}
	return nil
}
