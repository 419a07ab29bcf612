package taxiiserver

import (
	"net/http"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/taxii"
)

// getCollections is GET /taxii2/{root}/collections/: the collections the
// caller may read or write.
func (m *Module) getCollections(w http.ResponseWriter, r *http.Request) {
	root, err := m.apiRoot(r.Context(), r.PathValue("root"))
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := acceptable(r); err != nil {
		fail(w, r, err)
		return
	}
	p := caller(r).Principal
	cols, err := m.store.Collections(r.Context(), p, root)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := taxii.Collections{}
	for _, c := range cols {
		out.Collections = append(out.Collections, resource(c, p))
	}
	writeResource(w, http.StatusOK, out)
}

// getCollection is GET /taxii2/{root}/collections/{id}/, by id or alias.
func (m *Module) getCollection(w http.ResponseWriter, r *http.Request) {
	c, err := m.collection(r, visible)
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := acceptable(r); err != nil {
		fail(w, r, err)
		return
	}
	writeResource(w, http.StatusOK, resource(c, caller(r).Principal))
}

// resource is the collection as the caller sees it: can_read and can_write
// say what the caller, not members in general, may do.
func resource(c sharing.Collection, p access.Principal) taxii.Collection {
	return taxii.Collection{
		ID: c.ID, Title: c.Title, Description: c.Description, Alias: c.Alias,
		CanRead: c.Readable(p), CanWrite: c.Writable(p),
		MediaTypes: []string{taxii.MediaTypeSTIX},
	}
}

// need is what a handler requires of the caller on a collection.
type need int

const (
	visible need = iota // may know it exists: read or write
	readable
	writable
)

// collection resolves the {root} and {id} of the path for the caller. A
// collection the caller may neither read nor write is not found, so its
// existence is not revealed; one it may see but not use as needed is
// forbidden.
func (m *Module) collection(r *http.Request, n need) (sharing.Collection, error) {
	p := caller(r).Principal
	id := r.PathValue("id")
	c, err := m.store.Collection(r.Context(), r.PathValue("root"), id)
	if err != nil {
		return c, err
	}
	if !c.Visible(p) {
		return c, errs.E(errs.NotFound, "There is no collection %q.", id)
	}
	switch {
	case n == readable && !c.Readable(p):
		return c, errs.E(errs.Forbidden, "Your organization may add objects to collection %q but not read it.", c.Title)
	case n == writable && !c.Writable(p):
		return c, errs.E(errs.Forbidden, "Your organization may read collection %q but not add objects to it.", c.Title)
	}
	return c, nil
}
