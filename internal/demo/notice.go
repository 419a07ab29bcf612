package demo

import (
	"context"
	"fmt"

	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
)

// The demo's coordinator notice and its targets example, by STIX id, so
// tests can tell the demo's notifications from their own.
const (
	NoticeID              = notify.NoticeType + "--6d0c4a1e-2b3f-4c5d-9e8f-7a6b5c4d3e07"
	IntrusionSetID        = "intrusion-set--4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a708"
	StateLocationID       = "location--8f9e0d1c-2b3a-4c5d-8e6f-7a8b9c0d1e09"
	TargetsRelationshipID = "relationship--1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f10"
)

// ensureNotice has the national coordinator tell the state's local
// governments about a phishing campaign, so the demo inbox shows what a
// coordinator notice looks like. It is sent once: a restart finds it.
func ensureNotice(ctx context.Context, d *db.DB, s *identity.Store, store *sharing.Store, orgIDs map[string]string) error {
	sender, err := s.UserByEmail(ctx, "admin@ncc.example")
	if err != nil {
		return fmt.Errorf("demo: notice sender: %w", err)
	}
	p, err := s.OrgPrincipal(ctx, orgIDs["ncc"], sender.ID)
	if err != nil {
		return fmt.Errorf("demo: notice sender: %w", err)
	}
	p.Coordinator = true
	draft := notify.NoticeDraft{
		Title: "Phishing campaign against county payroll and elections staff",
		Text: "Since Monday, staff in several Meridian counties have received e-mails that appear to come from the state treasury, " +
			"asking them to confirm direct-deposit details on a look-alike portal (meridian-treasury-payroll.example). " +
			"The portal collects passwords and one-time codes.",
		Action: "Warn payroll, finance and elections staff today; block meridian-treasury-payroll.example at the mail gateway and web proxy; " +
			"reset the credentials of anyone who entered them and tell the state SOC.",
		Severity:  notify.SeverityHigh,
		TLP:       "GREEN",
		Selection: notify.Selection{Kinds: []string{"local"}, Parents: []string{orgIDs["meridian"]}},
	}
	if _, err := notify.SeedNotice(ctx, d, s, store, p, draft, notify.Actor{UserID: sender.ID, OrgID: orgIDs["ncc"], Label: "demo"}, NoticeID); err != nil {
		return fmt.Errorf("demo: notice: %w", err)
	}
	return nil
}
