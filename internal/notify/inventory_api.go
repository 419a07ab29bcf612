package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// Inventory editing. Reading is for whoever CanView allows (the
// organization's members, coordinators); anyone else is told the inventory
// does not exist, so nobody learns which organizations have one. Writing is
// for the organization's org admins and for coordinators, as for the
// organization's other settings (webhooks, escalation): the inventory
// decides what the organization is told, so it is the organization's
// configuration rather than intelligence that analysts publish. Analysts
// and viewers read it. The store audits every write.

// maxInventoryBody bounds an inventory upload below the server's general
// limit when that is larger: an organization's inventory is a few
// megabytes even for a state, and ParseJSON holds a JSON file in memory.
const maxInventoryBody = 32 << 20

// Paging of inventory lists.
const (
	defaultInventoryPage = 500
	maxInventoryPage     = 5000
)

// errNoInventory is the answer to whoever may not see an inventory. It
// does not repeat the organization's id: the message must not tell an
// outsider anything the path did not.
func errNoInventory() error {
	return errs.E(errs.NotFound, "There is no inventory here that you may see.")
}

// inventoryOrg returns the organization named by the path's {org} if the
// caller may see its inventory, and NotFound otherwise.
func (m *Module) inventoryOrg(r *http.Request, orgID string) (*identity.Organization, error) {
	if !CanView(caller(r).Principal, orgID) {
		return nil, errNoInventory()
	}
	org, err := m.k.Identity.Org(r.Context(), orgID)
	if errs.Is(err, errs.NotFound) {
		return nil, errNoInventory()
	}
	return org, err
}

// canEditInventory reports whether the caller may change the
// organization's inventory: its org admins, and coordinators.
func canEditInventory(c *identity.Caller, orgID string) bool {
	return c.Is(identity.RoleCoordinator) || c.Is(identity.RoleOrgAdmin) && c.User.OrgID == orgID
}

// editableOrg is inventoryOrg for writes: NotFound for those who may not
// see the inventory, Forbidden for those who see but may not change it.
func (m *Module) editableOrg(r *http.Request, orgID string) (*identity.Organization, error) {
	org, err := m.inventoryOrg(r, orgID)
	if err != nil {
		return nil, err
	}
	if !canEditInventory(caller(r), orgID) {
		return nil, errs.E(errs.Forbidden, "Only the organization's administrators and coordinators change its inventory.")
	}
	return org, nil
}

// InventoryPage is the answer of GET /api/v1/orgs/{org}/inventory.
type InventoryPage struct {
	OrgID   string       `json:"org_id"`
	Kind    Kind         `json:"kind,omitempty"`
	Entries []Entry      `json:"entries"`
	Next    string       `json:"next,omitempty"` // the cursor of the next page
	Counts  map[Kind]int `json:"counts"`         // every kind, filtered or not
	Total   int          `json:"total"`
}

// inventoryQuery reads kind, cursor and limit from the query string.
func inventoryQuery(r *http.Request) (ListQuery, error) {
	q := r.URL.Query()
	lq := ListQuery{After: q.Get("cursor"), Limit: defaultInventoryPage}
	if k := q.Get("kind"); k != "" {
		kind, err := ParseKind(k)
		if err != nil {
			return lq, errs.E(errs.Invalid, "kind: %s", errs.MessageOf(err))
		}
		lq.Kind = kind
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxInventoryPage {
			return lq, errs.E(errs.Invalid, "limit: %q is not a number from 1 to %d.", l, maxInventoryPage)
		}
		lq.Limit = n
	}
	return lq, nil
}

// inventoryPage reads one page of the organization's inventory and its
// counts; the API and the page share it.
func (m *Module) inventoryPage(r *http.Request, orgID string, lq ListQuery) (InventoryPage, error) {
	p := caller(r).Principal
	entries, next, err := m.store.List(r.Context(), p, orgID, lq)
	if err != nil {
		return InventoryPage{}, err
	}
	counts, err := m.store.Counts(r.Context(), p, orgID)
	if err != nil {
		return InventoryPage{}, err
	}
	page := InventoryPage{OrgID: orgID, Kind: lq.Kind, Entries: entries, Next: next, Counts: map[Kind]int{}}
	for _, k := range Kinds() {
		page.Counts[k] = counts[k]
		page.Total += counts[k]
	}
	if page.Entries == nil {
		page.Entries = []Entry{}
	}
	return page, nil
}

func (m *Module) apiListInventory(w http.ResponseWriter, r *http.Request) {
	org, err := m.inventoryOrg(r, r.PathValue("org"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	lq, err := inventoryQuery(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	page, err := m.inventoryPage(r, org.ID, lq)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

// ImportReport is what an inventory upload did: the lines accepted, what
// they changed, and every rejected line with its number and reason.
type ImportReport struct {
	Format   string      `json:"format"`   // csv or json
	Accepted int         `json:"accepted"` // valid lines
	Added    int         `json:"added"`
	Kept     int         `json:"kept"` // already in the inventory, or repeated
	Removed  int         `json:"removed"`
	Rejected []Rejection `json:"rejected"`
	Warnings []Warning   `json:"warnings"`
	Replace  bool        `json:"replace"`
	Changed  bool        `json:"changed"`
	Message  string      `json:"message,omitempty"` // why nothing changed
}

// importParsed writes a parsed file into the organization's inventory.
// Valid lines are kept even when others are rejected, except with
// replace: a partial file would then delete what its rejected lines meant
// to keep, so it changes nothing (as `rampart inventory import --replace`).
func (m *Module) importParsed(r *http.Request, orgID string, parsed Parsed, replace bool) (ImportReport, error) {
	rep := ImportReport{Format: parsed.Format, Accepted: len(parsed.Items), Rejected: parsed.Rejected, Warnings: parsed.Warnings, Replace: replace}
	if rep.Rejected == nil {
		rep.Rejected = []Rejection{}
	}
	if rep.Warnings == nil {
		rep.Warnings = []Warning{}
	}
	var res ImportResult
	var err error
	switch {
	case replace && len(parsed.Rejected) > 0:
		rep.Message = "Nothing was changed: to replace the inventory, every line must be valid."
		return rep, nil
	case replace:
		res, err = m.store.Replace(r.Context(), orgID, parsed.Items, actorOf(r))
	case len(parsed.Items) > 0:
		res, err = m.store.Import(r.Context(), orgID, parsed.Items, actorOf(r))
	default:
		rep.Message = "Nothing was changed: the file has no valid line."
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	rep.Added, rep.Kept, rep.Removed, rep.Changed = res.Added, res.Kept, res.Removed, true
	return rep, nil
}

// entryBody is one entry sent as JSON.
type entryBody struct {
	Kind    string `json:"kind"`
	Value   string `json:"value"`
	Version string `json:"version"`
}

// apiPostInventory adds one entry ({"kind", "value", "version"}) or a
// whole file: text/csv, or JSON as ParseJSON reads it (an array, or an
// object with "items"). ?replace=true makes a file the whole inventory.
func (m *Module) apiPostInventory(w http.ResponseWriter, r *http.Request) {
	org, err := m.editableOrg(r, r.PathValue("org"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	replace := false
	if v := r.URL.Query().Get("replace"); v != "" {
		if replace, err = strconv.ParseBool(v); err != nil {
			web.WriteError(w, r, errs.E(errs.Invalid, "replace: %q is not true or false.", v))
			return
		}
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body := http.MaxBytesReader(w, r.Body, maxInventoryBody)
	var parsed Parsed
	switch mt {
	case "text/csv", "application/csv":
		parsed, err = ParseCSV(body)
	case "application/json":
		data, rerr := io.ReadAll(body)
		if rerr != nil {
			web.WriteError(w, r, rerr)
			return
		}
		if one, ok := singleEntry(data); ok {
			if replace {
				web.WriteError(w, r, errs.E(errs.Invalid, "replace: a single entry cannot replace the inventory; send a whole file (CSV, or a JSON array)."))
				return
			}
			m.addOne(w, r, org.ID, one)
			return
		}
		parsed, err = ParseJSON(bytes.NewReader(data))
	default:
		web.WriteError(w, r, errs.E(errs.Unsupported, "Content-Type %q: send one entry or a JSON inventory as application/json, or a CSV inventory as text/csv.", r.Header.Get("Content-Type")))
		return
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	rep, err := m.importParsed(r, org.ID, parsed, replace)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	status := http.StatusOK
	if !rep.Changed && len(rep.Rejected) > 0 {
		status = http.StatusUnprocessableEntity
	}
	web.WriteJSON(w, status, rep)
}

// singleEntry tells one entry from a JSON inventory: an object without an
// "items" member is one entry.
func singleEntry(data []byte) (json.RawMessage, bool) {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(trimmed, &members) != nil {
		return nil, false // ParseJSON says where it is malformed
	}
	if _, ok := members["items"]; ok {
		return nil, false
	}
	return trimmed, true
}

func (m *Module) addOne(w http.ResponseWriter, r *http.Request, orgID string, raw json.RawMessage) {
	var b entryBody
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			web.WriteError(w, r, errs.E(errs.Invalid, "%s: must be a string.", te.Field))
			return
		}
		web.WriteError(w, r, errs.E(errs.Invalid, "The entry does not fit {\"kind\", \"value\", \"version\"}: %s.", jsonReason(err)))
		return
	}
	e, err := m.store.Add(r.Context(), orgID, Item{Kind: Kind(b.Kind), Value: b.Value, Version: b.Version}, actorOf(r))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, e)
}

func (m *Module) apiDeleteInventory(w http.ResponseWriter, r *http.Request) {
	org, err := m.editableOrg(r, r.PathValue("org"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := m.store.RemoveByID(r.Context(), org.ID, r.PathValue("id"), actorOf(r)); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
