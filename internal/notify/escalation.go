package notify

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
)

// escalateLoop checks for overdue critical notifications every
// EscalationCheck until ctx ends.
func (m *Module) escalateLoop(ctx context.Context) {
	t := time.NewTicker(m.opts.EscalationCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := m.Escalate(ctx); err != nil && ctx.Err() == nil {
			m.logger.Error("notify: escalation", "err", err)
		}
	}
}

// Escalate sends each critical notification that has been unacknowledged
// for the escalation time (the organization's notification_escalation
// row, else --escalate-after) since it was created or last escalated to
// the organization's next contact, in the order of Organization.Contacts:
// the organization's users were told first, then contact 2, 3, ...; the
// first contact is the organization's own lead, who is one of its users
// or is told with them. It returns how many escalations it made. Each is
// audited and counts as a delivery.
func (m *Module) Escalate(ctx context.Context) (int, error) {
	now := m.opts.Now()
	def := m.k.Config.EscalateAfter
	if def <= 0 {
		def = 2 * time.Hour
	}
	type due struct {
		n     Notification
		after int64
	}
	rows, err := m.k.DB.Reader().QueryContext(ctx, `SELECT `+prefixed("n", notificationColumns)+`, COALESCE(e.after_us, $1), COALESCE(e.enabled, 1)
		FROM notifications n LEFT JOIN notification_escalation e ON e.org_id = n.org_id
		WHERE n.severity = 'critical' AND n.state <> 'acknowledged' AND n.tlp <> 'RED' AND n.withdrawn_at = 0`, def.Microseconds())
	if err != nil {
		return 0, fmt.Errorf("notify: escalation candidates: %w", err)
	}
	var list []due
	for rows.Next() {
		var d due
		var enabled int64
		n, err := scanNotification(scanExtras{rows, []any{&d.after, &enabled}})
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("notify: escalation candidates: %w", err)
		}
		d.n = n
		since := n.CreatedAt
		if !n.EscalatedAt.IsZero() {
			since = n.EscalatedAt
		}
		if enabled != 0 && now.Sub(since) >= time.Duration(d.after)*time.Microsecond {
			list = append(list, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	done := 0
	for _, d := range list {
		org, err := m.k.Identity.Org(ctx, d.n.OrgID)
		if err != nil {
			return done, err
		}
		next := d.n.EscalationLevel + 1
		if next >= len(org.Contacts) || org.Contacts[next].Email == "" {
			continue // nobody left to tell
		}
		contact := org.Contacts[next]
		err = m.k.DB.Tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE notifications SET escalation_level = $1, escalated_at = $2
				WHERE id = $3 AND escalation_level = $4 AND state <> 'acknowledged'`, next, db.Micros(now), d.n.ID, d.n.EscalationLevel)
			if err != nil {
				return fmt.Errorf("notify: escalate: %w", err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil // another replica did it, or it was acknowledged
			}
			if err := insertDelivery(ctx, tx, d.n.ID, "", ChannelEmail, contact.Email, db.Micros(now)); err != nil {
				return err
			}
			done++
			_, err = audit.Append(ctx, tx, m.k.DB.Engine(), audit.Entry{ActorLabel: "system", Action: "notification.escalate",
				TargetKind: "notification", TargetID: d.n.ID, OrgScope: d.n.OrgID,
				Detail: map[string]any{"level": next, "contact": contact.Name, "email": contact.Email}})
			return err
		})
		if err != nil {
			return done, err
		}
	}
	if done > 0 {
		m.wakeUp()
	}
	return done, nil
}

// scanExtras scans a notification followed by more columns.
type scanExtras struct {
	rows  *sql.Rows
	extra []any
}

func (s scanExtras) Scan(dest ...any) error { return s.rows.Scan(append(dest, s.extra...)...) }
