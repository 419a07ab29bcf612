package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// PushBatch is the most objects one add-objects request carries.
const PushBatch = 500

// Pushable reports whether a push to the peer peerID may send v: never
// TLP:RED, nothing above maxTLP, and nothing pulled from that very peer,
// which would send it back where it came from.
func Pushable(v sharing.Version, maxTLP access.TLP, peerID string) bool {
	if v.TLP == access.Red || v.TLP.Rank() > maxTLP.Rank() {
		return false
	}
	return peerID == "" || v.SourcePeer != peerID
}

// PushResult counts what a push sent and what became of it.
type PushResult struct {
	Sent     int `json:"sent"`
	Accepted int `json:"accepted"`
	Refused  int `json:"refused"`
	Pending  int `json:"pending"` // still being processed by the server
	// FirstRefusal is the server's reason for the first refused object.
	FirstRefusal string `json:"first_refusal,omitempty"`
}

// Add counts o into r.
func (r *PushResult) Add(o PushResult) {
	r.Sent += o.Sent
	r.Accepted += o.Accepted
	r.Refused += o.Refused
	r.Pending += o.Pending
	if r.FirstRefusal == "" {
		r.FirstRefusal = o.FirstRefusal
	}
}

// PushObjects posts objs to a remote collection in envelopes of at most
// PushBatch objects. An envelope the server finds too large (413) is
// split in two and sent again, down to single objects. An error means the
// objects of the failing envelope, and those after it, were not sent.
func PushObjects(ctx context.Context, c *taxii.Client, rootURL, collection string, objs []stix.Object) (PushResult, error) {
	var total PushResult
	for start := 0; start < len(objs); start += PushBatch {
		r, err := pushEnvelope(ctx, c, rootURL, collection, objs[start:min(start+PushBatch, len(objs))])
		total.Add(r)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func pushEnvelope(ctx context.Context, c *taxii.Client, rootURL, collection string, objs []stix.Object) (PushResult, error) {
	st, err := c.AddObjects(ctx, rootURL, collection, objs)
	var te *taxii.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusRequestEntityTooLarge && len(objs) > 1 {
		half := len(objs) / 2
		first, err := pushEnvelope(ctx, c, rootURL, collection, objs[:half])
		if err != nil {
			return first, err
		}
		second, err := pushEnvelope(ctx, c, rootURL, collection, objs[half:])
		first.Add(second)
		return first, err
	}
	if err != nil {
		return PushResult{}, err
	}
	r := PushResult{Sent: len(objs), Accepted: st.SuccessCount, Refused: st.FailureCount, Pending: st.PendingCount}
	if len(st.Failures) > 0 {
		f := st.Failures[0]
		r.FirstRefusal = fmt.Sprintf("%s: %s", f.ID, f.Message)
	}
	return r, nil
}

// push sends what was added to the local collection after the push cursor
// and the peer may have, batch by batch, advancing the cursor after each
// batch the peer answered. The read goes through the access decision as
// the owner organization, so nothing it may not see is sent; the levels
// allowed are filtered in SQL, the provenance here.
func (s *Service) push(ctx context.Context, p *Peer, res *Result) error {
	coll, err := s.collection(ctx, p.LocalCollection)
	if err != nil {
		return err
	}
	owner, err := s.ids.OrgPrincipal(ctx, p.OwnerOrg, peerUser(p.ID))
	if err != nil {
		return err
	}
	c := s.client(*p)
	for {
		page, err := s.store.Find(ctx, owner, sharing.Query{
			Collection: coll.ID, After: p.PushCursor, Limit: PushBatch,
			Versions: []string{string(sharing.AllVersions)}, TLPs: AllowedTLPs(p.MaxTLP),
		})
		if err != nil {
			return err
		}
		if len(page.Versions) == 0 {
			return nil
		}
		objs := make([]stix.Object, 0, len(page.Versions))
		for _, v := range page.Versions {
			if !Pushable(v, p.MaxTLP, p.ID) {
				continue
			}
			// The TLP travels with the object, also where it was set by the
			// submission rather than marked in the object itself.
			raw, err := v.Egress()
			var obj stix.Object
			if err == nil {
				obj, err = stix.ParseObject(raw)
			}
			if err != nil {
				// Stored bytes that no longer parse cannot be sent; the
				// store validated them, so this is corruption to report,
				// not a reason to stop the peer.
				s.logger.Error("federation: a stored object does not parse; not pushed", "peer", p.Name, "stix_id", v.StixID, "err", err)
				continue
			}
			objs = append(objs, obj)
		}
		pr, err := PushObjects(ctx, c, p.APIRootURL, p.RemoteCollection, objs)
		if err != nil {
			// Nothing of this page is counted as pushed: the cursor stays,
			// and the next run sends the page again, which the peer takes
			// as unchanged where it got it already.
			return err
		}
		taken := pr.Sent - pr.Refused
		if err := s.progress(ctx, `UPDATE peers SET push_cursor = $3, pushed = pushed + $4, lease_until = $5 WHERE id = $1 AND lease_owner = $2`,
			p.ID, s.owner, page.Next, taken, s.leaseUntil()); err != nil {
			return err
		}
		p.PushCursor, p.Pushed = page.Next, p.Pushed+int64(taken)
		res.Pushed += taken
		res.Refused += pr.Refused
		if pr.Refused > 0 && res.Note == "" {
			res.Note = fmt.Sprintf("push: the peer refused %d of %d objects (not sent again): %s", pr.Refused, pr.Sent, pr.FirstRefusal)
		}
		if !page.More {
			return nil
		}
	}
}
