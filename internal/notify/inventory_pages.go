package notify

import (
	"net/http"
	"path/filepath"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// inventoryTLP is the label of every inventory page: an inventory says
// where an organization is exposed and is for it (and coordinators) alone,
// which is what TLP:AMBER+STRICT means.
const inventoryTLP = "AMBER+STRICT"

// kindLabels name the kinds for people, in the words of the issue.
var kindLabels = map[Kind]string{
	KindCIDR:        "Networks (IPv4 and IPv6 CIDR)",
	KindASN:         "Autonomous systems (ASN)",
	KindDomain:      "Domains, with their subdomains",
	KindEmailDomain: "E-mail domains",
	KindURL:         "Public URLs",
	KindCPE:         "Software (CPE 2.3 name)",
	KindPURL:        "Software (package URL)",
}

// kindCount is one kind on the page: its counts and whether it is the
// filter.
type kindCount struct {
	Kind     Kind
	Label    string
	Count    int
	Selected bool
}

// inventoryForm is what the add form held, shown again with its error.
type inventoryForm struct {
	Kind, Value, Version string
}

// inventoryView is the data of inventory.html.
type inventoryView struct {
	Org      *identity.Organization
	Own      bool // the viewer's own organization
	CanEdit  bool
	Path     string // the page's address
	Action   string // where its forms post
	Page     InventoryPage
	Kinds    []kindCount
	Filter   Kind
	Cursor   string
	Form     inventoryForm
	BadForm  bool // the add form's entry was refused
	Error    string
	Notice   string
	Report   *ImportReport
	Uploaded string // the uploaded file's name
}

// inventoryPath is the page of the organization's inventory: /inventory
// for the viewer's own, so the address they know is the one they return to.
func inventoryPath(c *identity.Caller, orgID string) string {
	if c.User.OrgID == orgID {
		return "/inventory"
	}
	return "/orgs/" + orgID + "/inventory"
}

func (m *Module) myInventoryPage(w http.ResponseWriter, r *http.Request) {
	m.showInventory(w, r, caller(r).User.OrgID, http.StatusOK, nil)
}

func (m *Module) orgInventoryPage(w http.ResponseWriter, r *http.Request) {
	m.showInventory(w, r, r.PathValue("org"), http.StatusOK, nil)
}

// showInventory renders the organization's inventory page; edit adds what
// a form post has to show (its error, its upload report).
func (m *Module) showInventory(w http.ResponseWriter, r *http.Request, orgID string, status int, edit func(*inventoryView)) {
	org, err := m.inventoryOrg(r, orgID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	c := caller(r)
	lq := ListQuery{Limit: defaultInventoryPage}
	q := r.URL.Query()
	if r.Method == http.MethodGet {
		if lq, err = inventoryQuery(r); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	page, err := m.inventoryPage(r, org.ID, lq)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	v := inventoryView{Org: org, Own: c.User.OrgID == org.ID, CanEdit: canEditInventory(c, org.ID),
		Path: inventoryPath(c, org.ID), Action: "/orgs/" + org.ID + "/inventory", Page: page, Filter: lq.Kind, Cursor: lq.After,
		Form: inventoryForm{Kind: string(KindCIDR)}}
	for _, k := range Kinds() {
		v.Kinds = append(v.Kinds, kindCount{Kind: k, Label: kindLabels[k], Count: page.Counts[k], Selected: k == lq.Kind})
	}
	if r.Method == http.MethodGet {
		switch q.Get("done") {
		case "added":
			v.Notice = "The entry is added."
		case "removed":
			v.Notice = "The entry is removed."
		}
	}
	if edit != nil {
		edit(&v)
	}
	m.k.Renderer.Render(w, r, status, "inventory.html", web.Page{Title: "Inventory of " + org.Name, TLP: inventoryTLP, Data: v})
}

func (m *Module) addInventoryForm(w http.ResponseWriter, r *http.Request) {
	orgID := r.PathValue("org")
	if _, err := m.editableOrg(r, orgID); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		web.WriteError(w, r, err)
		return
	}
	f := inventoryForm{Kind: r.PostForm.Get("kind"), Value: r.PostForm.Get("value"), Version: r.PostForm.Get("version")}
	_, err := m.store.Add(r.Context(), orgID, Item{Kind: Kind(f.Kind), Value: f.Value, Version: f.Version}, actorOf(r))
	if err != nil {
		m.formError(w, r, orgID, err, func(v *inventoryView) { v.Form, v.BadForm = f, true })
		return
	}
	http.Redirect(w, r, inventoryPath(caller(r), orgID)+"?done=added", http.StatusSeeOther)
}

func (m *Module) removeInventoryForm(w http.ResponseWriter, r *http.Request) {
	orgID := r.PathValue("org")
	if _, err := m.editableOrg(r, orgID); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := m.store.RemoveByID(r.Context(), orgID, r.PathValue("id"), actorOf(r)); err != nil {
		m.formError(w, r, orgID, err, nil)
		return
	}
	http.Redirect(w, r, inventoryPath(caller(r), orgID)+"?done=removed", http.StatusSeeOther)
}

// uploadInventoryForm imports a CSV or JSON file and shows, on the page,
// how many lines were accepted and each rejected line with its number and
// reason. A file named .csv or .json is read as that; another is told
// apart by its first character, as Parse does.
func (m *Module) uploadInventoryForm(w http.ResponseWriter, r *http.Request) {
	orgID := r.PathValue("org")
	if _, err := m.editableOrg(r, orgID); err != nil {
		web.WriteError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxInventoryBody)
	// The CSRF check has usually parsed the form already; then this is
	// free. Files above 8 MiB wait on disk, which net/http removes.
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		m.uploadError(w, r, orgID, "", errs.Wrap(errs.Invalid, err, "Choose a CSV or JSON file to upload."))
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		m.uploadError(w, r, orgID, "", errs.E(errs.Invalid, "file: choose a CSV or JSON file to upload."))
		return
	}
	defer file.Close()
	var parsed Parsed
	switch strings.ToLower(filepath.Ext(hdr.Filename)) {
	case ".csv":
		parsed, err = ParseCSV(file)
	case ".json":
		parsed, err = ParseJSON(file)
	default:
		parsed, err = Parse(file)
	}
	if err != nil {
		m.uploadError(w, r, orgID, hdr.Filename, err)
		return
	}
	replace := r.PostForm.Get("replace") != ""
	rep, err := m.importParsed(r, orgID, parsed, replace)
	if err != nil {
		m.uploadError(w, r, orgID, hdr.Filename, err)
		return
	}
	status := http.StatusOK
	if !rep.Changed && len(rep.Rejected) > 0 {
		status = http.StatusUnprocessableEntity
	}
	m.showInventory(w, r, orgID, status, func(v *inventoryView) { v.Report, v.Uploaded = &rep, hdr.Filename })
}

// formError shows a form's error on the page, with the error's status so
// that clients and tests see what went wrong; internal errors get the
// error page.
func (m *Module) formError(w http.ResponseWriter, r *http.Request, orgID string, err error, edit func(*inventoryView)) {
	status := web.StatusOf(err)
	if status >= 500 {
		web.WriteError(w, r, err)
		return
	}
	m.showInventory(w, r, orgID, status, func(v *inventoryView) {
		v.Error = web.ProblemOf(r, err).Detail
		if edit != nil {
			edit(v)
		}
	})
}

func (m *Module) uploadError(w http.ResponseWriter, r *http.Request, orgID, name string, err error) {
	m.formError(w, r, orgID, err, func(v *inventoryView) {
		v.Uploaded = name
		if name != "" {
			v.Error = name + ": " + v.Error
		}
	})
}
