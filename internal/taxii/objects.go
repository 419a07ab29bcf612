package taxiiserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/taxii"
)

// manifest and versions add next to the resources of the specification,
// which define only more: a client that knows the token pages as with
// envelopes, one that does not pages on the date headers.
type manifest struct {
	More    bool                   `json:"more"`
	Next    string                 `json:"next,omitempty"`
	Objects []taxii.ManifestRecord `json:"objects,omitempty"`
}

type versions struct {
	More     bool     `json:"more"`
	Next     string   `json:"next,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// getObjects is GET .../collections/{id}/objects/.
func (m *Module) getObjects(w http.ResponseWriter, r *http.Request) {
	m.writeEnvelope(w, r, listObjects)
}

// getManifest is GET .../collections/{id}/manifest/.
func (m *Module) getManifest(w http.ResponseWriter, r *http.Request) {
	page, q, ok := m.list(w, r, listManifest)
	if !ok {
		return
	}
	out := manifest{More: page.More, Next: m.next(q, page)}
	for _, v := range page.Versions {
		out.Objects = append(out.Objects, taxii.ManifestRecord{
			ID: v.StixID, DateAdded: taxii.Timestamp{Time: v.DateAdded}, Version: versionOf(v),
			MediaType: "application/stix+json;version=" + v.SpecVersion,
		})
	}
	dateHeaders(w, page.Versions)
	writeResource(w, http.StatusOK, out)
}

// getObject is GET .../objects/{object}/: the versions of one object that
// match[version] selects, the latest by default.
func (m *Module) getObject(w http.ResponseWriter, r *http.Request) {
	m.writeEnvelope(w, r, listObject)
}

// writeEnvelope answers with the envelope of the objects the request
// selects, each as it may leave the instance (with its TLP marking).
func (m *Module) writeEnvelope(w http.ResponseWriter, r *http.Request, kind listing) {
	page, q, ok := m.list(w, r, kind)
	if !ok {
		return
	}
	bodies := make([]json.RawMessage, 0, len(page.Versions))
	for _, v := range page.Versions {
		body, err := v.Egress()
		if err != nil {
			fail(w, r, err)
			return
		}
		bodies = append(bodies, body)
	}
	dateHeaders(w, page.Versions)
	writeEnvelopeBody(w, page.More, m.next(q, page), bodies)
}

// writeEnvelopeBody writes the envelope resource (more, next, objects)
// around objects that are JSON already (stored bodies, validated on the way in), in one write:
// encoding/json would scan and compact each of them again, which was a
// fifth of the cost of a page.
func writeEnvelopeBody(w http.ResponseWriter, more bool, next string, objects []json.RawMessage) {
	n := 64 + len(next)
	for _, o := range objects {
		n += len(o) + 1
	}
	buf := make([]byte, 0, n)
	buf = append(buf, `{"more":`...)
	buf = strconv.AppendBool(buf, more)
	if next != "" {
		nb, _ := json.Marshal(next)
		buf = append(buf, `,"next":`...)
		buf = append(buf, nb...)
	}
	if len(objects) > 0 {
		buf = append(buf, `,"objects":[`...)
		for i, o := range objects {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, bytes.TrimSpace(o)...)
		}
		buf = append(buf, ']')
	}
	buf = append(buf, "}\n"...)
	w.Header().Set("Content-Type", taxii.MediaTypeTAXII)
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf)
}

// getVersions is GET .../objects/{object}/versions/.
func (m *Module) getVersions(w http.ResponseWriter, r *http.Request) {
	page, q, ok := m.list(w, r, listVersions)
	if !ok {
		return
	}
	out := versions{More: page.More, Next: m.next(q, page)}
	for _, v := range page.Versions {
		out.Versions = append(out.Versions, versionOf(v))
	}
	dateHeaders(w, page.Versions)
	writeResource(w, http.StatusOK, out)
}

// list does what the four listing endpoints share: the collection must be
// readable, the request acceptable and its filters valid; then one page
// of the store, in date_added order. It writes the error itself and
// reports whether the caller should go on.
func (m *Module) list(w http.ResponseWriter, r *http.Request, kind listing) (sharing.Page, query, bool) {
	c, err := m.collection(r, readable)
	if err == nil {
		err = acceptable(r)
	}
	var f taxii.Filter
	if err == nil {
		f, err = filterOf(r)
	}
	q := query{kind: kind, collection: c.ID, filter: f}
	if kind == listObject || kind == listVersions {
		q.object = r.PathValue("object")
		// The per-object endpoints define neither match[id] nor
		// match[type]; the object is in the path.
		q.filter.IDs, q.filter.Types = nil, nil
		if kind == listVersions {
			q.filter.Versions = nil
		}
	}
	var sq sharing.Query
	if err == nil {
		sq, err = m.storeQuery(q, f)
	}
	if err != nil {
		fail(w, r, err)
		return sharing.Page{}, q, false
	}
	p := caller(r).Principal
	page, err := m.store.Find(r.Context(), p, sq)
	if err == nil && len(page.Versions) == 0 && q.object != "" {
		err = m.objectExists(r, c, q.object)
	}
	if err != nil {
		fail(w, r, err)
		return sharing.Page{}, q, false
	}
	return page, q, true
}

// storeQuery turns a TAXII query into the store's.
func (m *Module) storeQuery(q query, f taxii.Filter) (sharing.Query, error) {
	sq := sharing.Query{
		Collection: q.collection, AddedAfter: f.AddedAfter, Limit: m.pageSize(f.Limit),
		IDs: q.filter.IDs, Types: q.filter.Types, Versions: q.filter.Versions, SpecVersions: q.filter.SpecVersions,
	}
	if q.object != "" {
		sq.IDs = []string{q.object}
	}
	if q.kind == listVersions {
		sq.Versions = []string{string(sharing.AllVersions)}
	}
	sq.ForEgress = q.kind == listObjects || q.kind == listObject
	if f.Next != "" {
		after, err := decodeToken(q, f.Next)
		if err != nil {
			return sq, err
		}
		sq.After = after
	}
	return sq, nil
}

// objectExists tells an object with nothing to show on this page (every
// version filtered out) from one the caller cannot find at all.
func (m *Module) objectExists(r *http.Request, c sharing.Collection, id string) error {
	page, err := m.store.Find(r.Context(), caller(r).Principal, sharing.Query{
		Collection: c.ID, IDs: []string{id}, Versions: []string{string(sharing.AllVersions)}, Limit: 1,
	})
	if err != nil {
		return err
	}
	if len(page.Versions) == 0 {
		return errs.E(errs.NotFound, "There is no object %q in this collection.", clip(id))
	}
	return nil
}

// pageSize is the number of records a response carries: what the client
// asked for, at most the server's page size.
func (m *Module) pageSize(limit int) int {
	if limit <= 0 || limit > m.opts.PageSize {
		return m.opts.PageSize
	}
	return limit
}

// next is the token of the following page, if there is one.
func (m *Module) next(q query, page sharing.Page) string {
	if !page.More {
		return ""
	}
	return encodeToken(q, page.Next)
}

// dateHeaders sets X-TAXII-Date-Added-First and -Last from a page, oldest
// first as the store returns it.
func dateHeaders(w http.ResponseWriter, vs []sharing.Version) {
	if len(vs) == 0 {
		return
	}
	w.Header().Set(taxii.HeaderDateAddedFirst, taxii.FormatTimestamp(vs[0].DateAdded))
	w.Header().Set(taxii.HeaderDateAddedLast, taxii.FormatTimestamp(vs[len(vs)-1].DateAdded))
}

// versionOf is the version TAXII reports: modified, else created, as the
// object wrote it; objects with neither (some cyber-observables) have
// only one version, named by when it was added.
func versionOf(v sharing.Version) string {
	if v.VersionRaw != "" {
		return v.VersionRaw
	}
	return taxii.FormatTimestamp(v.DateAdded)
}

// maxMatchValues bounds each match list. Every value becomes a query
// parameter, and the engines cap those (SQLite at 32,766); a client with
// more ids to look up can page through the collection instead.
const maxMatchValues = 1000

// filterOf reads the filter parameters of r.
func filterOf(r *http.Request) (taxii.Filter, error) {
	f, err := taxii.ParseFilter(r.URL.Query())
	if err != nil {
		return f, errs.Wrap(errs.Invalid, err, "%s", strings.TrimPrefix(err.Error(), "taxii: "))
	}
	for _, m := range []struct {
		name string
		list []string
	}{{"match[id]", f.IDs}, {"match[type]", f.Types}, {"match[version]", f.Versions}, {"match[spec_version]", f.SpecVersions}} {
		if len(m.list) > maxMatchValues {
			return f, errs.E(errs.Invalid, "%s: %d values; at most %d are taken.", m.name, len(m.list), maxMatchValues)
		}
	}
	return f, nil
}

// deleteObject is DELETE .../objects/{object}/: it takes the versions that
// match[version] (all by default) and match[spec_version] select out of
// the collection. The store allows it to the organization that submitted
// each version and to the collection's owner.
func (m *Module) deleteObject(w http.ResponseWriter, r *http.Request) {
	c, err := m.collection(r, visible)
	if err == nil {
		err = acceptable(r)
	}
	var f taxii.Filter
	if err == nil {
		f, err = filterOf(r)
	}
	id := r.PathValue("object")
	var sel []string
	if err == nil {
		sel, err = m.deleteSelection(r, c, id, f)
	}
	if err == nil {
		cl := caller(r)
		_, err = m.store.RemoveFromCollection(r.Context(), cl.Principal, cl.User.Email, c, id, sel)
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// deleteSelection turns match[version] and match[spec_version] into the
// versions to remove. The store selects by version only, so a spec_version
// filter that keeps some versions and drops others is resolved here into
// the timestamps of those it keeps.
func (m *Module) deleteSelection(r *http.Request, c sharing.Collection, id string, f taxii.Filter) ([]string, error) {
	sel := f.Versions
	if len(sel) == 0 {
		sel = []string{string(sharing.AllVersions)}
	}
	if len(f.SpecVersions) == 0 {
		return sel, nil
	}
	p := caller(r).Principal
	base := sharing.Query{Collection: c.ID, IDs: []string{id}, Versions: sel, Limit: sharing.MaxLimit}
	all, err := m.store.Find(r.Context(), p, base)
	if err != nil {
		return nil, err
	}
	base.SpecVersions = f.SpecVersions
	kept, err := m.store.Find(r.Context(), p, base)
	if err != nil {
		return nil, err
	}
	if len(kept.Versions) == 0 {
		return nil, errs.E(errs.NotFound, "There is no object %q in this collection with spec_version %s.", clip(id), strings.Join(f.SpecVersions, " or "))
	}
	if len(kept.Versions) == len(all.Versions) {
		return sel, nil
	}
	var out []string
	for _, v := range kept.Versions {
		out = append(out, v.VersionRaw)
	}
	return out, nil
}
