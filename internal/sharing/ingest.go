package sharing

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/stix/pattern"
)

// Sources of a submission, as recorded with each version.
const (
	SourceAPI        = "api"
	SourceTAXII      = "taxii"
	SourceImport     = "import"
	SourceForm       = "form"
	SourceFederation = "federation"
)

// Submission says who submits objects, how, and with which defaults.
type Submission struct {
	Principal access.Principal
	// Actor is the audit log's label for the submitter: an e-mail address,
	// "cli", "federation:NAME".
	Actor      string
	Source     string
	SourcePeer string
	// DefaultTLP applies to objects that carry no TLP marking. Empty
	// means the collection's default, or TLP:AMBER.
	DefaultTLP access.TLP
	// Grants is the audience: communities for GREEN, organizations and
	// communities for AMBER, organizations for AMBER+STRICT, users for
	// RED. Empty means the collection's audience, and the all-members
	// community for GREEN.
	Grants []access.Grant
	// Collection, when set, receives every accepted object.
	Collection *Collection
	// Anonymous hides the submitter's organization from everyone but the
	// instance's coordinators.
	Anonymous bool
	// SkipKnown treats a version whose content is stored already, from any
	// source, as unchanged: federation uses it so that an object that
	// travels around a ring of peers stops where it started.
	SkipKnown bool
	// RemoteAddr and RequestID go into the audit entry.
	RemoteAddr, RequestID string
	// Progress, if set, is called after each committed batch with the
	// number of objects handled so far.
	Progress func(done int)
}

// Outcome is what became of one submitted object.
type Outcome struct {
	Index    int      `json:"index"`
	ID       string   `json:"id,omitempty"`
	Version  string   `json:"version,omitempty"`
	Status   string   `json:"status"` // added, unchanged, rejected
	Errors   []string `json:"errors,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	seq      int64
}

// The statuses of an Outcome.
const (
	StatusAdded     = "added"
	StatusUnchanged = "unchanged"
	StatusRejected  = "rejected"
)

// Report summarises a submission.
type Report struct {
	Added     int       `json:"added"`
	Unchanged int       `json:"unchanged"`
	Rejected  int       `json:"rejected"`
	Outcomes  []Outcome `json:"outcomes"`
}

// TopicObjectsAdded is the event of a committed batch of new versions (and
// of versions newly added to a collection).
const TopicObjectsAdded = "sharing.objects.added"

// AddedEvent is the payload of TopicObjectsAdded. It carries what a
// consumer needs to run the access decision without reading the database:
// the owner, TLP and audience of each version.
type AddedEvent struct {
	Objects []AddedObject `json:"objects"`
}

// AddedObject describes one version in an AddedEvent.
type AddedObject struct {
	Seq         int64          `json:"seq,omitempty"`
	ItemID      string         `json:"item_id,omitempty"`
	StixID      string         `json:"stix_id,omitempty"`
	Type        string         `json:"type,omitempty"`
	TLP         access.TLP     `json:"tlp,omitempty"`
	OwnerOrg    string         `json:"owner_org,omitempty"`
	CreatedBy   string         `json:"created_by,omitempty"`
	Anonymous   bool           `json:"anonymous,omitempty"`
	Source      string         `json:"source,omitempty"`
	SourcePeer  string         `json:"source_peer,omitempty"`
	Collections []string       `json:"collections,omitempty"`
	Audience    []access.Grant `json:"audience,omitempty"`
	Stored      bool           `json:"stored,omitempty"` // a new version, not only a new collection entry
}

// Item returns the object as the access decision sees it.
func (o AddedObject) Item() access.Item {
	return access.Item{ID: o.ItemID, OwnerOrg: o.OwnerOrg, CreatedBy: o.CreatedBy, TLP: o.TLP, Audience: o.Audience}
}

// batchSize bounds a transaction: large enough that an import commits a
// few dozen times (each commit is an fsync), small enough that validating
// the next batch overlaps storing this one and readers are not starved.
// eventSize bounds one event, well under NATS's message limit; a
// transaction emits as many as it needs.
const (
	batchSize = 1000
	eventSize = 1000
)

// prepared is one object checked and ready to store.
type prepared struct {
	idx      int
	obj      stix.Object
	version  int64
	raw      string
	created  int64
	hash     string
	tlp      access.TLP
	marked   bool // the TLP comes from the object's own markings
	name     string
	search   string
	from     int64
	until    int64
	conf     int
	refKeys  []int64 // db.Key64(property, id) of each reference
	observes []observable
	body     []byte // as stored: packBody
}

type observable struct{ typ, path, op, value string }

// Ingest validates objs and stores the valid ones, batch by batch, each
// batch in one transaction with its audit entry and event. Invalid objects
// are reported and never stored; what was stored before is never changed.
// The error is for failures of the store itself; the Report says what
// became of each object.
func (s *Store) Ingest(ctx context.Context, sub Submission, objs []stix.Object) (Report, error) {
	if sub.Principal.Anonymous() && sub.Source != SourceFederation {
		return Report{}, errs.E(errs.Unauthenticated, "Sign in to submit objects.")
	}
	if sub.Actor == "" {
		sub.Actor = sub.Principal.UserID
	}
	rep := Report{Outcomes: make([]Outcome, len(objs))}
	defs, defaultTLP := s.markingContext(ctx, sub, objs)
	if len(objs) > bulkRows {
		s.bulk.prepare(ctx, s.db)
	}
	// Validation of one batch overlaps the storing of the previous one:
	// the two take about the same time on a large import. Each side
	// writes only the outcomes of its own batch.
	batches := make(chan []prepared, 1)
	stop := make(chan struct{})
	go func() {
		defer close(batches)
		for start := 0; start < len(objs); start += batchSize {
			preps := prepareRange(objs, start, min(start+batchSize, len(objs)), defs, defaultTLP, rep.Outcomes)
			select {
			case batches <- preps:
			case <-stop:
				return
			}
		}
	}()
	done := 0
	var storeErr error
	for batch := range batches {
		if storeErr == nil {
			storeErr = s.storeBatch(ctx, sub, batch, rep.Outcomes)
			if storeErr != nil {
				close(stop)
			}
		}
		done += len(batch)
		if sub.Progress != nil && storeErr == nil {
			sub.Progress(done)
		}
	}
	if storeErr != nil {
		return rep, storeErr
	}
	for _, o := range rep.Outcomes {
		switch o.Status {
		case StatusAdded:
			rep.Added++
		case StatusUnchanged:
			rep.Unchanged++
		default:
			rep.Rejected++
		}
	}
	return rep, nil
}

// markingContext returns the marking definitions the objects may refer
// to and the TLP of objects that carry none.
func (s *Store) markingContext(ctx context.Context, sub Submission, objs []stix.Object) (map[string]stix.Object, access.TLP) {
	defs := map[string]stix.Object{}
	for _, o := range objs {
		if o.Type() == "marking-definition" {
			defs[o.ID()] = o
		}
	}
	s.loadMarkingDefinitions(ctx, objs, defs)
	// Only definitions that stand for a TLP level matter from here on;
	// working that out once, not per object, matters on an import where
	// every object carries the same copyright marking (ATT&CK).
	for id, d := range defs {
		if _, ok := stix.TLPOfMarking(d); !ok {
			delete(defs, id)
		}
	}
	defaultTLP := sub.DefaultTLP
	if defaultTLP == "" && sub.Collection != nil {
		defaultTLP = sub.Collection.DefaultTLP
	}
	if defaultTLP == "" {
		defaultTLP = access.Amber
	}
	return defs, defaultTLP
}

// prepareRange validates and derives the stored columns of objs[from:to]
// in parallel, and returns the valid ones in order.
func prepareRange(objs []stix.Object, from, to int, defs map[string]stix.Object, defaultTLP access.TLP, out []Outcome) []prepared {
	results := make([]*prepared, to-from)
	workers := min(runtime.GOMAXPROCS(0), max((to-from)/64, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := from + w; i < to; i += workers {
				results[i-from] = prepareOne(i, objs[i], defs, defaultTLP, &out[i])
			}
		}()
	}
	wg.Wait()
	preps := make([]prepared, 0, len(results))
	for _, p := range results {
		if p != nil {
			preps = append(preps, *p)
		}
	}
	return preps
}

// loadMarkingDefinitions adds stored marking definitions that objs refer
// to, so a custom TLP marking posted once is recognised afterwards.
func (s *Store) loadMarkingDefinitions(ctx context.Context, objs []stix.Object, defs map[string]stix.Object) {
	want := map[string]bool{}
	for _, o := range objs {
		for _, ref := range o.ObjectMarkingRefs() {
			if _, known := stix.TLPOf([]string{ref}); !known && defs[ref].ID() == "" {
				want[ref] = true
			}
		}
	}
	if len(want) == 0 {
		return
	}
	var a access.Args
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT body FROM stix_versions WHERE type = 'marking-definition' AND stix_id IN ("+list(&a, ids)+")", a.Values...)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var body []byte
		if rows.Scan(StoredJSON(&body)) == nil {
			if md, err := stix.ParseObject(body); err == nil {
				defs[md.ID()] = md
			}
		}
	}
}

func prepareOne(i int, obj stix.Object, defs map[string]stix.Object, defaultTLP access.TLP, out *Outcome) *prepared {
	*out = Outcome{Index: i, ID: obj.ID(), Status: StatusRejected}
	for _, f := range stix.Validate(obj) {
		msg := f.Message
		if f.Path != "" {
			msg = f.Path + ": " + msg
		}
		if f.Severity == stix.Error {
			out.Errors = append(out.Errors, msg)
		} else {
			out.Warnings = append(out.Warnings, msg)
		}
	}
	if len(out.Errors) > 0 {
		return nil
	}
	p := &prepared{idx: i, obj: obj, conf: -1}
	if t, ok := obj.Modified(); ok {
		p.version, p.raw = db.Micros(t), obj.ModifiedRaw()
	} else if t, ok := obj.Created(); ok {
		p.version, p.raw = db.Micros(t), obj.CreatedRaw()
	}
	if t, ok := obj.Created(); ok {
		p.created = db.Micros(t)
	}
	out.Version = p.raw
	js := mustJSON(obj)
	sum := sha256.Sum256(js)
	p.body = packBody(js)
	p.hash = hex.EncodeToString(sum[:])
	p.tlp = defaultTLP
	if obj.Type() == "marking-definition" {
		p.tlp = access.Clear // a marking definition is a label, never a secret
	} else if level, ok := stix.TLPOfDefinitions(obj.ObjectMarkingRefs(), defs); ok {
		if t, err := access.ParseTLP(level); err == nil {
			p.tlp = t
			// Egress needs the OASIS id: a custom marking definition is not
			// something every receiver recognises.
			_, p.marked = stix.TLPOf(obj.ObjectMarkingRefs())
		}
	}
	if c, ok := obj.Confidence(); ok {
		p.conf = c
	}
	p.name, p.search = describe(obj)
	for _, r := range references(obj) {
		p.refKeys = append(p.refKeys, db.Key64(r[0], r[1]))
	}
	if ind, ok := stix.IndicatorOf(obj); ok {
		if !ind.ValidFrom.IsZero() {
			p.from = db.Micros(ind.ValidFrom)
		}
		if !ind.ValidUntil.IsZero() {
			p.until = db.Micros(ind.ValidUntil)
		}
		if ind.PatternType == "stix" {
			opts := []pattern.Option{}
			if strings.HasPrefix(ind.PatternVersion, "2.0") {
				opts = append(opts, pattern.WithVersion(pattern.V20))
			}
			if pat, err := pattern.Parse(ind.Pattern, opts...); err == nil {
				for _, o := range pat.Observables() {
					if o.Sufficient && !o.Not {
						p.observes = append(p.observes, observable{o.Type, o.Path, o.Op.String(), valueText(o.Value)})
					}
				}
			}
		}
	}
	p.observes = append(p.observes, scoObservables(obj)...)
	out.Status = ""
	return p
}

func mustJSON(obj stix.Object) []byte {
	b, _ := obj.MarshalJSON()
	return b
}

// valueText is a pattern constant as an index stores it: strings bare,
// other kinds as written.
func valueText(v pattern.Value) string {
	if v.Kind == pattern.String {
		return v.Str
	}
	return v.String()
}

// scoObservables indexes the values of cyber-observable objects, so that
// an address or a hash can be looked up in the store.
func scoObservables(obj stix.Object) []observable {
	var out []observable
	switch obj.Type() {
	case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "mac-addr", "autonomous-system", "mutex", "windows-registry-key", "user-account":
		prop := "value"
		switch obj.Type() {
		case "autonomous-system":
			prop = "number"
		case "mutex":
			prop = "name"
		case "windows-registry-key":
			prop = "key"
		case "user-account":
			prop = "account_login"
		}
		if raw, ok := obj.Property(prop); ok {
			var v any
			if json.Unmarshal(raw, &v) == nil {
				out = append(out, observable{obj.Type(), prop, "=", fmt.Sprint(v)})
			}
		}
	case "file", "artifact", "x509-certificate":
		var hashes map[string]string
		if obj.Decode("hashes", &hashes) == nil {
			for alg, h := range hashes {
				out = append(out, observable{obj.Type(), "hashes." + quotePathKey(alg), "=", strings.ToLower(h)})
			}
		}
	}
	return out
}

// quotePathKey writes a hash algorithm as the pattern grammar does, so the
// paths of SCO values and of pattern comparisons agree.
func quotePathKey(k string) string {
	for _, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "'" + k + "'"
		}
	}
	return k
}

// describe derives a display name and the lower-case text searched.
func describe(obj stix.Object) (name, search string) {
	str := func(prop string) string {
		s, _ := obj.String(prop)
		return s
	}
	name = str("name")
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	add(name) // the id is searched in its own column
	switch obj.Type() {
	case "indicator":
		add(str("pattern"))
		if name == "" {
			name = str("pattern")
		}
	case "relationship":
		name = str("relationship_type")
	case "sighting":
		name = "sighting"
	case "note":
		name = firstNonEmpty(str("abstract"), str("content"))
		add(str("content"))
	case "opinion":
		name = str("opinion")
		add(str("explanation"))
	case "observed-data":
		name = "observed data"
	case "marking-definition":
		if name == "" {
			name = "marking definition"
		}
	default:
		if stix.IsSCO(obj.Type()) {
			for _, o := range scoObservables(obj) {
				add(o.value)
				if name == "" {
					name = o.value
				}
			}
			if name == "" {
				name = str("name")
			}
		}
	}
	// The beginning of a description is what people search for; the whole
	// of it would double the size of an ATT&CK import for little gain.
	add(cutBytes(str("description"), 500))
	parts = append(parts, obj.ExternalIDs()...)
	parts = append(parts, obj.Strings("aliases")...)
	search = strings.ToLower(strings.Join(parts, " "))
	if len(search) > 4000 {
		search = cutBytes(search, 4000)
	}
	if len(name) > 300 {
		name = cutBytes(name, 300)
	}
	if name == "" {
		name = obj.Type()
	}
	return name, search
}

// cutBytes cuts s to at most n bytes at a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// references lists the top-level _ref and _refs properties, except the
// marking refs and those naming who made the object (created_by_ref and
// custom ones such as ATT&CK's x_mitre_modified_by_ref): nearly every
// object has them, all pointing at a few identities, and they were a third
// of an ATT&CK import's index rows for a lookup nobody makes.
func references(obj stix.Object) [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	for _, prop := range obj.PropertyNames() {
		if prop == "object_marking_refs" || strings.HasSuffix(prop, "_by_ref") {
			continue
		}
		switch {
		case strings.HasSuffix(prop, "_ref"):
			if id, _ := obj.String(prop); id != "" {
				if k := [2]string{prop, id}; !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
		case strings.HasSuffix(prop, "_refs"):
			if ids := obj.Strings(prop); ids != nil {
				for _, id := range ids {
					if k := [2]string{prop, id}; id != "" && !seen[k] {
						seen[k] = true
						out = append(out, k)
					}
				}
			}
		}
	}
	return out
}

// existingKey identifies a stored version for duplicate detection.
type existingKey struct {
	stixID  string
	version int64
}

type existingRow struct {
	seq   int64
	owner string
	hash  string
}

// storeBatch writes one batch in one transaction: it decides what each
// version is (new, stored already, or a conflicting copy) under the clock,
// hands the new ones their seqs from it, and writes them with multi-row
// inserts (decision 22).
func (s *Store) storeBatch(ctx context.Context, sub Submission, batch []prepared, out []Outcome) error {
	return s.outbox.Tx(ctx, func(tx *sql.Tx) error {
		// Take the clock first: from here on this transaction is the
		// store's only writer until it commits.
		now := time.Now()
		first, err := tick(ctx, tx, s.db.Engine(), now, len(batch)+1)
		if err != nil {
			return err
		}
		existing, err := s.existing(ctx, tx, batch)
		if err != nil {
			return err
		}
		coll := ""
		if sub.Collection != nil {
			coll = sub.Collection.ID
		}
		owner, createdBy := sub.Principal.OrgID, sub.Principal.UserID
		if createdBy == "" {
			createdBy = "system"
		}

		// Decide. A new version gets a negative placeholder -(k+1), k its
		// place among the batch's new versions, until the clock gives seqs.
		seqs := make([]int64, len(batch))
		statuses := make([]string, len(batch))
		fresh := int64(0)
		for i := range batch {
			p := &batch[i]
			statuses[i], seqs[i] = decide(sub, owner, p, existing)
			if statuses[i] == StatusAdded {
				fresh++
				seqs[i] = -fresh
				key := existingKey{p.obj.ID(), p.version}
				existing[key] = append(existing[key], existingRow{seq: seqs[i], owner: owner, hash: p.hash})
			}
		}
		base, err := reserveSeqs(ctx, tx, fresh)
		if err != nil {
			return err
		}
		superseded, err := supersede(ctx, tx, batch, statuses, seqs, base, existing)
		if err != nil {
			return err
		}

		var added []AddedObject
		st := statements{engine: s.db.Engine(), versionShared: versionShared(sub, owner, createdBy), collection: coll, prepared: s.bulk.get()}
		st.versionRows = make([]any, 0, newVersionWidth*int(fresh))
		defer st.close()
		for i := range batch {
			p := &batch[i]
			o := &out[p.idx]
			at := first + int64(i)
			status, seq := statuses[i], seqs[i]
			if status == StatusRejected {
				o.Status = StatusRejected
				o.Errors = append(o.Errors, fmt.Sprintf("a different object with this id and version (%s) is stored already; a changed object needs a later modified timestamp", p.raw))
				continue
			}
			local := seq < 0 // new in this batch: the first copy is collected, not this one
			if local {
				seq = base - seq - 1
			}
			o.Status, o.seq = status, seq
			if status == StatusAdded {
				ev := st.addVersion(sub, p, seq, at, owner, createdBy, superseded[seq])
				if coll != "" {
					st.collectRows = append(st.collectRows, seq, at)
					ev.Collections = []string{coll}
				}
				added = append(added, ev)
				continue
			}
			if coll == "" || local {
				continue
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO collection_objects (collection_id, version_seq, date_added) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, coll, seq, at)
			if err != nil {
				return fmt.Errorf("sharing: add to collection: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				ev, err := s.addedObject(ctx, tx, seq)
				if err != nil {
					return err
				}
				ev.Collections = []string{coll}
				added = append(added, ev)
			}
		}
		if err := st.flush(ctx, tx); err != nil {
			return err
		}
		if len(added) == 0 {
			return nil
		}
		for start := 0; start < len(added); start += eventSize {
			if _, err := events.Emit(ctx, tx, TopicObjectsAdded, AddedEvent{Objects: added[start:min(start+eventSize, len(added))]}); err != nil {
				return err
			}
		}
		n := 0
		for _, a := range added {
			if a.Stored {
				n++
			}
		}
		detail := map[string]any{"added": n, "collected": len(added) - n, "source": sub.Source}
		if coll != "" {
			detail["collection"] = coll
		}
		if sub.SourcePeer != "" {
			detail["peer"] = sub.SourcePeer
		}
		target := added[0].StixID
		if len(added) > 1 {
			target = fmt.Sprintf("%d objects", len(added))
		}
		_, err = audit.Append(ctx, tx, s.db.Engine(), audit.Entry{
			ActorUserID: sub.Principal.UserID, ActorOrgID: sub.Principal.OrgID, ActorLabel: sub.Actor,
			Action: "objects.add", TargetKind: "stix", TargetID: target, OrgScope: sub.Principal.OrgID,
			Detail: detail, RemoteAddr: sub.RemoteAddr, RequestID: sub.RequestID,
		})
		return err
	})
}

// supersede works out which versions are no longer the latest of their
// object (decision 23): it marks stored versions that a new one of the
// batch outdates, and returns the new ones that are outdated already (by a
// later stored version, or a later one in the same batch). The latest is
// the greatest (modified, seq); before the batch, the invariant holds that
// the latest stored version of each object is the one not superseded.
func supersede(ctx context.Context, tx *sql.Tx, batch []prepared, statuses []string, seqs []int64, base int64, existing map[existingKey][]existingRow) (map[int64]bool, error) {
	type ver struct{ modified, seq int64 }
	later := func(a, b ver) bool { return a.modified > b.modified || (a.modified == b.modified && a.seq > b.seq) }
	stored := map[string]ver{}
	for key, rows := range existing {
		for _, r := range rows {
			if v := (ver{key.version, r.seq}); r.seq > 0 && later(v, stored[key.stixID]) {
				stored[key.stixID] = v
			}
		}
	}
	newest := map[string]ver{}
	for i := range batch {
		if statuses[i] != StatusAdded {
			continue
		}
		id := batch[i].obj.ID()
		v := ver{batch[i].version, base - seqs[i] - 1}
		cur, ok := newest[id]
		if !ok {
			cur = stored[id]
		}
		if later(v, cur) {
			newest[id] = v
		} else {
			newest[id] = cur
		}
	}
	outdated := map[int64]bool{}
	var old []string
	for i := range batch {
		if statuses[i] != StatusAdded {
			continue
		}
		id := batch[i].obj.ID()
		if seq := base - seqs[i] - 1; newest[id].seq != seq {
			outdated[seq] = true
		}
	}
	for id, v := range newest {
		if prev, ok := stored[id]; ok && prev != v {
			old = append(old, fmt.Sprint(prev.seq))
		}
	}
	for start := 0; start < len(old); start += 500 {
		var a access.Args
		if _, err := tx.ExecContext(ctx, "UPDATE stix_versions SET superseded = 1 WHERE seq IN ("+list(&a, old[start:min(start+500, len(old))])+")", a.Values...); err != nil {
			return nil, fmt.Errorf("sharing: mark superseded versions: %w", err)
		}
	}
	return outdated, nil
}

// reserveSeqs hands out n seqs from the clock row, which the transaction
// holds already, and returns the first.
func reserveSeqs(ctx context.Context, tx *sql.Tx, n int64) (int64, error) {
	if n == 0 {
		return 0, nil
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `UPDATE sharing_clock SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq`, n).Scan(&last); err != nil {
		return 0, fmt.Errorf("sharing: clock: %w", err)
	}
	return last - n + 1, nil
}

func (s *Store) existing(ctx context.Context, tx *sql.Tx, batch []prepared) (map[existingKey][]existingRow, error) {
	ids := make([]string, 0, len(batch))
	for _, p := range batch {
		ids = append(ids, p.obj.ID())
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := map[existingKey][]existingRow{}
	for start := 0; start < len(ids); start += 500 {
		set, arg := db.Set(s.db.Engine(), "$1", ids[start:min(start+500, len(ids))])
		rows, err := tx.QueryContext(ctx, "SELECT stix_id, modified, seq, owner_org, content_hash FROM stix_versions WHERE stix_id IN "+set, arg)
		if err != nil {
			return nil, fmt.Errorf("sharing: look up versions: %w", err)
		}
		for rows.Next() {
			var k existingKey
			var r existingRow
			if err := rows.Scan(&k.stixID, &k.version, &r.seq, &r.owner, &r.hash); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = append(out[k], r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decide says what becomes of one prepared version: unchanged (with the
// seq of the stored copy), rejected (the same owner stored different
// content under this id and version), or added.
func decide(sub Submission, owner string, p *prepared, existing map[existingKey][]existingRow) (string, int64) {
	key := existingKey{p.obj.ID(), p.version}
	for _, r := range existing[key] {
		if r.hash == p.hash && (r.owner == owner || sub.SkipKnown) {
			return StatusUnchanged, r.seq
		}
	}
	if !stix.IsSCO(p.obj.Type()) && p.raw != "" {
		for _, r := range existing[key] {
			if r.owner == owner && r.hash != p.hash {
				return StatusRejected, 0
			}
		}
	}
	return StatusAdded, 0
}

// newVersionColumns are the columns of a stix_versions row: first those
// the whole batch shares (versionShared), then those addVersion gathers
// for each version.
const newVersionColumns = `stix_versions (owner_org, created_by, anonymous, source, source_peer,
	seq, id, stix_id, type, spec_version, created, modified, version_raw, revoked, tlp, content_hash, body, name, search_text,
	valid_from, valid_until, confidence, added_at, tlp_marked, superseded)`

const newVersionWidth = 20

// versionShared are the values of a batch's versions that newVersionColumns
// begins with.
func versionShared(sub Submission, owner, createdBy string) []any {
	return []any{owner, createdBy, boolInt(sub.Anonymous), sub.Source, sub.SourcePeer}
}

// addVersion gathers the rows of one new version and returns its event.
func (st *statements) addVersion(sub Submission, p *prepared, seq, at int64, owner, createdBy string, superseded bool) AddedObject {
	itemID := newID()
	st.versionRows = append(st.versionRows, seq, itemID, p.obj.ID(), p.obj.Type(), specVersion(p.obj), p.created, p.version, p.raw,
		boolInt(p.obj.Revoked()), string(p.tlp), p.hash, p.body,
		p.name, p.search, p.from, p.until, p.conf, at, boolInt(p.marked || p.obj.Type() == "marking-definition"), boolInt(superseded))
	for _, k := range p.refKeys {
		st.refs = append(st.refs, refRow{k, seq})
	}
	for _, o := range p.observes {
		st.obsRows = append(st.obsRows, seq, o.typ, o.path, o.op, o.value)
	}
	grants := audienceFor(sub, p.tlp)
	for _, g := range grants {
		var ext any
		if g.ExtendedBy != "" {
			ext = g.ExtendedBy
		}
		st.grantRows = append(st.grantRows, itemID, string(g.Kind), g.ID, ext)
	}
	return AddedObject{
		Seq: seq, ItemID: itemID, StixID: p.obj.ID(), Type: p.obj.Type(), TLP: p.tlp, OwnerOrg: owner, CreatedBy: createdBy,
		Anonymous: sub.Anonymous, Source: sub.Source, SourcePeer: sub.SourcePeer, Audience: grants, Stored: true,
	}
}

// audienceFor turns the submission's audience into the grants that count
// at the object's TLP level.
func audienceFor(sub Submission, tlp access.TLP) []access.Grant {
	grants := sub.Grants
	if c := sub.Collection; len(grants) == 0 && c != nil {
		grants = []access.Grant{{Kind: access.GrantKind(c.AudienceKind), ID: c.AudienceID}}
		if !c.CanRead && tlp != access.Green {
			// A collection its members may write but not read is an inbox:
			// what they send goes to its owner, not to each other. (GREEN
			// is community-wide by definition, so it keeps the audience.)
			grants = []access.Grant{{Kind: access.GrantOrg, ID: c.OwnerOrg}}
		}
	}
	if len(grants) == 0 && tlp == access.Green {
		grants = []access.Grant{{Kind: access.GrantCommunity, ID: access.AllMembers}}
	}
	var out []access.Grant
	for _, g := range grants {
		switch tlp {
		case access.Clear:
		case access.Green:
			if g.Kind == access.GrantCommunity {
				out = append(out, g)
			}
		case access.Amber:
			if g.Kind == access.GrantCommunity || g.Kind == access.GrantOrg {
				out = append(out, g)
			}
		case access.AmberStrict:
			if g.Kind == access.GrantOrg {
				out = append(out, g)
			}
		case access.Red:
			if g.Kind == access.GrantUser {
				out = append(out, g)
			}
		}
	}
	return out
}

// addedObject reads back a stored version that was newly added to a
// collection, for its event.
func (s *Store) addedObject(ctx context.Context, tx *sql.Tx, seq int64) (AddedObject, error) {
	var o AddedObject
	var tlp string
	var anon int
	err := tx.QueryRowContext(ctx, `SELECT seq, id, stix_id, type, tlp, owner_org, created_by, anonymous, source, source_peer FROM stix_versions WHERE seq = $1`, seq).
		Scan(&o.Seq, &o.ItemID, &o.StixID, &o.Type, &tlp, &o.OwnerOrg, &o.CreatedBy, &anon, &o.Source, &o.SourcePeer)
	if err != nil {
		return o, fmt.Errorf("sharing: read back %d: %w", seq, err)
	}
	o.TLP, o.Anonymous = access.TLP(tlp), anon != 0
	o.Audience, err = access.Audience(ctx, tx, o.ItemID)
	return o, err
}

func specVersion(obj stix.Object) string {
	if v := obj.SpecVersion(); v != "" {
		return v
	}
	return "2.1"
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// statements gather the rows of a batch's new versions, which flush writes
// with multi-row inserts: one statement per row would cost more than the
// objects themselves (an ATT&CK import has two references per object).
type statements struct {
	engine                                       db.Engine
	versionShared                                []any  // see newVersionColumns
	collection                                   string // of collectRows
	versionRows, obsRows, grantRows, collectRows []any
	refs                                         []refRow
	bulk                                         map[string]*sql.Stmt // this transaction's
	prepared                                     map[string]*sql.Stmt // the store's, for any transaction
}

// refRow is a row of stix_refs, in the order of its key.
type refRow struct{ key, seq int64 }

// refValues returns the rows sorted by their key, as insert values. The
// key is random from row to row; inserted in key order, consecutive rows
// land on the same few pages of the b-tree (ATT&CK: 42,000 references,
// 0.095 s to insert unsorted, 0.065 s sorted, when keys were ids).
func refValues(refs []refRow) []any {
	slices.SortFunc(refs, func(a, b refRow) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.seq, b.seq)) })
	values := make([]any, 0, 2*len(refs))
	for _, r := range refs {
		values = append(values, r.key, r.seq)
	}
	return values
}

// The multi-row inserts of flush: table and columns, how many leading
// columns every row shares, the width of the rest, and the conflict clause.
type bulkInsert struct {
	table         string
	shared, width int
	suffix        string
}

var (
	insertVersions    = bulkInsert{newVersionColumns, len(versionShared(Submission{}, "", "")), newVersionWidth, ""}
	insertRefs        = bulkInsert{"stix_refs (ref_key, version_seq)", 0, 2, onConflictSkip}
	insertObservables = bulkInsert{"stix_observables (version_seq, type, path, op, value)", 0, 5, onConflictSkip}
	insertGrants      = bulkInsert{"item_audience (item_id, grantee_kind, grantee_id, extended_by)", 0, 4, onConflictSkip}
	insertCollected   = bulkInsert{"collection_objects (collection_id, version_seq, date_added)", 1, 2, onConflictSkip}
)

// bulkStatements are the full-sized (bulkRows) inserts of flush, prepared
// once on SQLite's write connection rather than compiled again in every
// transaction of a large import (a statement of 4,000 parameters takes a
// while to parse). A failure to prepare is left to the transactions,
// which prepare their own.
type bulkStatements struct {
	mu    sync.Mutex
	done  bool
	stmts map[string]*sql.Stmt
}

func (b *bulkStatements) prepare(ctx context.Context, d *db.DB) {
	if d.Engine() != db.SQLite { // pgx keeps its own statement cache
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	st := statements{engine: d.Engine()}
	m := map[string]*sql.Stmt{}
	for _, in := range []bulkInsert{insertVersions, insertRefs, insertObservables, insertGrants, insertCollected} {
		stmt, err := d.PrepareWrite(ctx, st.insertSQL(in.table, in.shared, in.width, bulkRows, in.suffix))
		if err != nil {
			for _, s := range m {
				s.Close()
			}
			return
		}
		m[fmt.Sprintf("%s/%d", in.table, bulkRows)] = stmt
	}
	b.stmts, b.done = m, true
}

func (b *bulkStatements) get() map[string]*sql.Stmt {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stmts
}

// flush writes the gathered rows, the versions first: the others refer
// to them.
func (st *statements) flush(ctx context.Context, tx *sql.Tx) error {
	for _, w := range []struct {
		in     bulkInsert
		shared []any
		values []any
		what   string
	}{
		{insertVersions, st.versionShared, st.versionRows, "insert versions"},
		{insertRefs, nil, refValues(st.refs), "insert references"},
		{insertObservables, nil, st.obsRows, "insert observables"},
		{insertGrants, nil, st.grantRows, "insert audience"},
		{insertCollected, []any{st.collection}, st.collectRows, "add to collection"},
	} {
		if err := st.insertRows(ctx, tx, w.in, w.shared, w.values); err != nil {
			return fmt.Errorf("sharing: %s: %w", w.what, err)
		}
	}
	st.versionRows, st.refs, st.obsRows, st.grantRows, st.collectRows = nil, nil, nil, nil, nil
	return nil
}

// onConflictSkip makes a multi-row insert skip rows that are there
// already (references and grants are sets). Versions have no such clause:
// a conflict there would be a bug, and must not lose the row silently.
const onConflictSkip = " ON CONFLICT DO NOTHING"

// bulkRows is how many rows one multi-row insert writes: well under both
// engines' limits on parameters (200 rows of versions are 4,800), and few
// enough statements per batch that preparing them is cheap.
const bulkRows = 200

// insertRows inserts values, width per row, bulkRows rows per statement;
// each statement shape is prepared once per transaction. The table's
// columns begin with those every row shares: their values are bound once
// per statement, not once per row (binding copies each string).
func (st *statements) insertRows(ctx context.Context, tx *sql.Tx, in bulkInsert, shared []any, values []any) error {
	args := slices.Clone(shared)
	for start := 0; start < len(values); start += bulkRows * in.width {
		chunk := values[start:min(start+bulkRows*in.width, len(values))]
		rows := len(chunk) / in.width
		key := fmt.Sprintf("%s/%d", in.table, rows)
		stmt := st.bulk[key]
		if stmt == nil {
			var err error
			if p := st.prepared[key]; p != nil {
				stmt = tx.StmtContext(ctx, p)
			} else if stmt, err = tx.PrepareContext(ctx, st.insertSQL(in.table, in.shared, in.width, rows, in.suffix)); err != nil {
				return err
			}
			if st.bulk == nil {
				st.bulk = map[string]*sql.Stmt{}
			}
			st.bulk[key] = stmt
		}
		args = append(args[:len(shared)], chunk...)
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// insertSQL is a multi-row insert whose rows begin with the same shared
// parameters ($1 to $shared) and go on with their own.
func (st *statements) insertSQL(table string, shared, width, rows int, suffix string) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " VALUES ")
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range shared + width {
			if c > 0 {
				b.WriteByte(',')
			}
			switch {
			case c < shared && st.engine == db.SQLite:
				// Numbered, for a parameter used in every row. The first
				// row names them before any positional one, so those
				// number on from them.
				fmt.Fprintf(&b, "?%d", c+1)
			case c < shared:
				fmt.Fprintf(&b, "$%d", c+1)
			case st.engine == db.SQLite:
				// Positional: SQLite looks each $N up by name in a list,
				// quadratic in a statement of thousands.
				b.WriteByte('?')
			default:
				fmt.Fprintf(&b, "$%d", shared+r*width+(c-shared)+1)
			}
		}
		b.WriteByte(')')
	}
	b.WriteString(suffix)
	return b.String()
}

func (st *statements) close() {
	for _, s := range st.bulk {
		s.Close()
	}
}
