package federation

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// PullLimit is the page size asked of a remote collection.
const PullLimit = 1000

// PageFunc stores one page of pulled objects. last is the page's
// X-TAXII-Date-Added-Last, zero when the server did not send it.
type PageFunc func(ctx context.Context, objs []stix.Object, last time.Time) error

// PullPages reads every version of the objects a remote collection added
// after after (all when zero), page by page, and hands each page to fn
// before asking for the next. A caller that saves its cursor in fn, after
// storing the page, re-pulls a page after a crash rather than skipping it.
//
// It pages by added_after = the last page's X-TAXII-Date-Added-Last, which
// is also what a caller can keep between runs; a server that sends no such
// header is followed by its next tokens instead.
func PullPages(ctx context.Context, c *taxii.Client, rootURL, collection string, after time.Time, fn PageFunc) error {
	f := taxii.Filter{AddedAfter: after, Limit: PullLimit, Versions: []string{taxii.VersionAll}}
	seen := map[string]bool{}
	for {
		page, err := c.Objects(ctx, rootURL, collection, f)
		if err != nil {
			return err
		}
		if err := fn(ctx, page.Objects, page.DateAddedLast); err != nil {
			return err
		}
		if !page.More {
			return nil
		}
		switch {
		case !page.DateAddedLast.IsZero() && page.DateAddedLast.After(f.AddedAfter):
			f.AddedAfter, f.Next = page.DateAddedLast, ""
		case page.Next != "" && !seen[page.Next]:
			seen[page.Next] = true
			f.Next = page.Next
		default:
			return fmt.Errorf("%w: the server says there is more but neither its next token nor its %s moves on",
				taxii.ErrNoProgress, taxii.HeaderDateAddedLast)
		}
	}
}

// IngestPage stores one page of pulled objects as sub says, except those
// marked TLP:RED, which are never federated whatever a peer sends; it
// returns how many it dropped for that.
func IngestPage(ctx context.Context, store *sharing.Store, sub sharing.Submission, objs []stix.Object) (sharing.Report, int, error) {
	defs := map[string]stix.Object{}
	for _, o := range objs {
		if o.Type() == "marking-definition" {
			defs[o.ID()] = o
		}
	}
	keep := make([]stix.Object, 0, len(objs))
	for _, o := range objs {
		if level, ok := stix.TLPOfDefinitions(o.ObjectMarkingRefs(), defs); ok && level == stix.TLPRed {
			continue
		}
		keep = append(keep, o)
	}
	dropped := len(objs) - len(keep)
	if len(keep) == 0 {
		return sharing.Report{}, dropped, nil
	}
	rep, err := store.Ingest(ctx, sub, keep)
	return rep, dropped, err
}

// pull reads the peer's remote collection from its cursor into the local
// collection, as the owner organization, advancing the cursor page by page.
func (s *Service) pull(ctx context.Context, p *Peer, res *Result) error {
	coll, err := s.collection(ctx, p.LocalCollection)
	if err != nil {
		return err
	}
	owner, err := s.ids.OrgPrincipal(ctx, p.OwnerOrg, peerUser(p.ID))
	if err != nil {
		return err
	}
	var after time.Time
	if p.Cursor != "" {
		if after, err = taxii.ParseTimestamp(p.Cursor); err != nil {
			return fmt.Errorf("the stored cursor %q is not a timestamp: %w", p.Cursor, err)
		}
	}
	sub := sharing.Submission{
		Principal: owner, Actor: "federation:" + p.Name, Source: sharing.SourceFederation, SourcePeer: p.ID,
		SkipKnown: true, Collection: &coll, Anonymous: coll.Anonymous,
	}
	return PullPages(ctx, s.client(*p), p.APIRootURL, p.RemoteCollection, after, func(ctx context.Context, objs []stix.Object, last time.Time) error {
		rep, dropped, err := IngestPage(ctx, s.store, sub, objs)
		if err != nil {
			return err
		}
		res.Pulled += rep.Added
		res.Unchanged += rep.Unchanged
		res.Rejected += rep.Rejected
		res.Dropped += dropped
		cursor := p.Cursor
		if last.After(after) {
			cursor, after = taxii.FormatTimestamp(last), last
		}
		if err := s.progress(ctx, `UPDATE peers SET cursor = $3, pulled = pulled + $4, lease_until = $5 WHERE id = $1 AND lease_owner = $2`,
			p.ID, s.owner, cursor, rep.Added, s.leaseUntil()); err != nil {
			return err
		}
		p.Cursor = cursor
		p.Pulled += int64(rep.Added)
		return nil
	})
}
