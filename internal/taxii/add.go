package taxiiserver

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/web"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// chunk is how many objects a background add stores between two progress
// updates: the store's own batch size, so that each chunk commits in one
// transaction and is either wholly stored or not at all.
const chunk = 1000

// addObjects is POST .../collections/{id}/objects/: the objects of an
// envelope are validated and stored in the collection, the valid ones
// kept and the others reported as failures. Small envelopes are stored
// before the answer, whose status is complete; large ones are answered at
// once with a pending status that a background job brings to complete.
func (m *Module) addObjects(w http.ResponseWriter, r *http.Request) {
	c, err := m.collection(r, writable)
	if err == nil {
		err = taxiiBody(r)
	}
	if err == nil {
		err = acceptable(r)
	}
	var env posted
	if err == nil {
		env, err = decodeEnvelope(r.Body)
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	cl := caller(r)
	sub := sharing.Submission{
		Principal: cl.Principal, Actor: cl.User.Email, Source: sharing.SourceTAXII,
		Collection: &c, Anonymous: c.Anonymous,
		RemoteAddr: r.RemoteAddr, RequestID: web.RequestID(r.Context()),
	}
	s := &status{
		id: newStatusID(), root: c.APIRoot, collection: c.ID, user: cl.User.ID,
		requestAt: time.Now(), total: env.total, failure: len(env.rejects),
	}
	for _, rj := range env.rejects {
		s.details.Failures = append(s.details.Failures, taxii.StatusDetail{Message: rj.message})
	}
	if len(env.objs) > m.opts.AsyncAbove {
		m.addLater(w, r, s, sub, env.objs)
		return
	}
	rep, err := m.store.Ingest(r.Context(), sub, env.objs)
	if err != nil {
		fail(w, r, err)
		return
	}
	s.record(env.objs, rep)
	s.done = true
	if err := m.insertStatus(r.Context(), s); err != nil {
		fail(w, r, err)
		return
	}
	writeResource(w, http.StatusAccepted, s.resource(time.Now()))
}

// addLater answers a large add with a pending status and stores the
// objects in the background.
func (m *Module) addLater(w http.ResponseWriter, r *http.Request, s *status, sub sharing.Submission, objs []stix.Object) {
	release, err := m.jobs.reserve()
	if err != nil {
		w.Header().Set("Retry-After", "30")
		fail(w, r, err)
		return
	}
	// Marking definitions go first: the store recognises a custom TLP
	// marking among the objects submitted with it or stored before, and
	// the chunks after the first are stored separately.
	objs = slices.Clone(objs)
	slices.SortStableFunc(objs, func(a, b stix.Object) int {
		return boolRank(b.Type() == "marking-definition") - boolRank(a.Type() == "marking-definition")
	})
	s.pending = len(objs)
	for _, o := range objs {
		s.details.Pendings = append(s.details.Pendings, detail(o, ""))
	}
	if err := m.insertStatus(r.Context(), s); err != nil {
		release()
		fail(w, r, err)
		return
	}
	// The answer is taken before the job starts: from then on the job
	// owns s.
	answer := s.resource(time.Now())
	if err := m.jobs.start(func(ctx context.Context) { m.storeInBackground(ctx, s, sub, objs) }); err != nil {
		// Shutting down between reserve and start: nothing will store
		// the objects, so the status says so now.
		s.abandon(objs, abandoned)
		if cerr := m.completeStatus(context.WithoutCancel(r.Context()), s); cerr != nil {
			web.Logger(r.Context()).Error("taxii: status of an add not started", "status_id", s.id, "err", cerr)
		}
		answer = s.resource(time.Now())
	}
	writeResource(w, http.StatusAccepted, answer)
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// storeInBackground stores objs chunk by chunk, recording progress after
// each. When the store fails or the server stops, the objects not stored
// become failures, so the status always ends complete.
func (m *Module) storeInBackground(ctx context.Context, s *status, sub sharing.Submission, objs []stix.Object) {
	log := m.logger.With("status_id", s.id, "request_id", sub.RequestID, "collection", s.collection)
	for start := 0; start < len(objs); start += chunk {
		part := objs[start:min(start+chunk, len(objs))]
		rep, err := m.store.Ingest(ctx, sub, part)
		if err != nil {
			msg := abandoned
			if ctx.Err() == nil {
				log.Error("taxii: background add failed", "err", err)
				msg = "The server could not store this object (an internal error, logged); send it again."
			}
			s.abandon(objs[start:], msg)
			break
		}
		s.record(part, rep)
		s.pending -= len(part)
		if s.pending > 0 {
			if err := m.updateCounts(ctx, s); err != nil && ctx.Err() == nil {
				log.Warn("taxii: status progress", "err", err)
			}
		}
	}
	s.done, s.pending, s.details.Pendings = true, 0, nil
	// The final write must happen even when shutdown cancelled ctx: Run
	// waits for it, and the database closes only after Run returns.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := m.completeStatus(wctx, s); err != nil {
		log.Error("taxii: complete status", "err", err)
	}
}

// record adds the outcomes of storing objs (one per object, in order).
func (s *status) record(objs []stix.Object, rep sharing.Report) {
	for i, o := range rep.Outcomes {
		if i >= len(objs) {
			break
		}
		switch o.Status {
		case sharing.StatusAdded, sharing.StatusUnchanged:
			s.success++
			s.details.Successes = append(s.details.Successes, detail(objs[i], ""))
		default:
			s.failure++
			msg := strings.Join(o.Errors, "; ")
			if msg == "" {
				msg = "The object was not stored."
			}
			s.details.Failures = append(s.details.Failures, detail(objs[i], msg))
		}
	}
}

// abandon turns objects never stored into failures.
func (s *status) abandon(objs []stix.Object, message string) {
	for _, o := range objs {
		s.details.Failures = append(s.details.Failures, detail(o, message))
	}
	s.failure += len(objs)
	s.pending = 0
	s.done = true
	s.details.Pendings = nil
}

// detail names one object of a request: its id and its version (modified,
// else created, as written).
func detail(o stix.Object, message string) taxii.StatusDetail {
	v := o.ModifiedRaw()
	if v == "" {
		v = o.CreatedRaw()
	}
	return taxii.StatusDetail{ID: o.ID(), Version: v, Message: message}
}
