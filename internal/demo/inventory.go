package demo

import (
	"context"
	"fmt"

	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/platform/access"
)

// inventories give each demo organization a small inventory, so that an
// indicator for an address in a county's network, or the KEV catalog,
// notifies someone. Documentation ranges only (RFC 5737, RFC 3849).
var inventories = map[string][]notify.Item{
	"meridian": {
		{Kind: notify.KindCIDR, Value: "192.0.2.0/26"},
		{Kind: notify.KindDomain, Value: "meridian.example"},
		{Kind: notify.KindCPE, Value: "cpe:2.3:o:paloaltonetworks:pan-os:10.2.8:*:*:*:*:*:*:*"},
	},
	"ashford": {
		{Kind: notify.KindCIDR, Value: "198.51.100.0/24"},
		{Kind: notify.KindDomain, Value: "ashford.example"},
		{Kind: notify.KindEmailDomain, Value: "ashford.example"},
	},
	"birch":  {{Kind: notify.KindCIDR, Value: "203.0.113.0/26"}, {Kind: notify.KindDomain, Value: "birch.example"}},
	"cedar":  {{Kind: notify.KindCIDR, Value: "203.0.113.64/26"}, {Kind: notify.KindDomain, Value: "cedar.example"}},
	"dalton": {{Kind: notify.KindCIDR, Value: "203.0.113.128/26"}, {Kind: notify.KindDomain, Value: "dalton.example"}},
	"ashford-elections": {
		{Kind: notify.KindDomain, Value: "vote.ashford.example"},
		{Kind: notify.KindCIDR, Value: "2001:db8:a5f0::/48"},
	},
	"port-meridian": {
		{Kind: notify.KindCIDR, Value: "192.0.2.64/26"},
		{Kind: notify.KindDomain, Value: "portmeridian.example"},
		// The water utility's SCADA: a Unitronics PLC (KEV CVE-2023-6448)
		// and the FortiOS firewall in front of it.
		{Kind: notify.KindCPE, Value: "cpe:2.3:h:unitronics:vision_plc:-:*:*:*:*:*:*:*"},
		{Kind: notify.KindCPE, Value: "cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*"},
	},
	"mpl": {
		{Kind: notify.KindCIDR, Value: "192.0.2.192/26"},
		{Kind: notify.KindDomain, Value: "mpl.example"},
		{Kind: notify.KindCPE, Value: "cpe:2.3:a:ivanti:connect_secure:22.7:*:*:*:*:*:*:*"},
	},
	"skyline": {{Kind: notify.KindASN, Value: "AS64500"}, {Kind: notify.KindDomain, Value: "skyline.example"}},
}

// ensureInventory gives each demo organization its inventory unless it has
// one already (edited in the UI, perhaps), so a restart of the demo writes
// and notifies nothing again.
func ensureInventory(ctx context.Context, store *notify.Store, orgIDs map[string]string) error {
	for slug, items := range inventories {
		counts, err := store.Counts(ctx, access.Principal{UserID: "demo", OrgID: orgIDs[slug]}, orgIDs[slug])
		if err != nil {
			return fmt.Errorf("demo: inventory of %s: %w", slug, err)
		}
		if len(counts) > 0 {
			continue
		}
		if _, err := store.Import(ctx, orgIDs[slug], items, notify.Actor{Label: "demo"}); err != nil {
			return fmt.Errorf("demo: inventory of %s: %w", slug, err)
		}
	}
	return nil
}
