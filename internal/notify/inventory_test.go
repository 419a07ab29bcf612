package notify_test

import (
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/platform/access"
)

// TestInventoryAPI: the organization's members and coordinators read an
// inventory, outsiders are told it does not exist; org admins and
// coordinators write it, analysts may not; one entry, a CSV file with bad
// lines (rejected with their numbers, the good ones kept), a JSON file, a
// refused replace and a delete, each audited.
func TestInventoryAPI(t *testing.T) {
	engines(t, func(t *testing.T, database, natsURL, prefix string) {
		s := startSite(t, database, natsURL, prefix, notify.New(notify.Options{}))
		ashford := s.orgID("Ashford County")
		path := "/api/v1/orgs/" + ashford + "/inventory"
		const analyst = "analyst@ashford.example"

		// Reading: members and coordinators; outsiders get 404 without
		// the organization's id, even another county's admin.
		var page notify.InventoryPage
		for _, who := range []string{county, analyst, coordinator} {
			page = notify.InventoryPage{}
			if code, body := s.json("GET", path, who, "", &page); code != http.StatusOK || page.Counts[notify.KindCIDR] != 1 || page.Total != 3 {
				t.Fatalf("%s reads the demo inventory: %d %s", who, code, body)
			}
		}
		for _, who := range []string{"admin@birch.example", "analyst@mpl.example", stateAnalyst} {
			code, body := s.json("GET", path, who, "", nil)
			if code != http.StatusNotFound || strings.Contains(strings.ReplaceAll(body, path, ""), ashford) {
				t.Errorf("%s reads Ashford's inventory: %d %s", who, code, body)
			}
			if code, _ := s.json("POST", path, who, `{"kind":"domain","value":"evil.example"}`, nil); code != http.StatusNotFound && code != http.StatusForbidden {
				t.Errorf("%s writes Ashford's inventory: %d", who, code)
			}
		}
		if code, _ := s.json("GET", "/api/v1/orgs/no-such-org/inventory", coordinator, "", nil); code != http.StatusNotFound {
			t.Errorf("a coordinator reads the inventory of no organization: %d", code)
		}
		if code, body := s.json("GET", path+"?kind=router", county, "", nil); code != http.StatusBadRequest || !strings.Contains(body, "kind") {
			t.Errorf("a bad kind filter: %d %s", code, body)
		}

		// One entry: the org admin adds, an analyst may not, bad values
		// and unknown fields are named, a repeat is a conflict.
		var e notify.Entry
		if code, body := s.json("POST", path, county, `{"kind":"cidr","value":"2001:db8:aa::/48"}`, &e); code != http.StatusCreated || e.Value != "2001:db8:aa::/48" || e.ID == "" {
			t.Fatalf("add one: %d %s", code, body)
		}
		if code, _ := s.json("POST", path, analyst, `{"kind":"domain","value":"analyst.example"}`, nil); code != http.StatusForbidden {
			t.Errorf("an analyst adds an entry: %d", code)
		}
		for _, tc := range []struct{ body, want string }{
			{`{"kind":"cidr","value":"10.0.0.300/24"}`, "10.0.0.300"},
			{`{"kind":"router","value":"x"}`, `kind \"router\"`},
			{`{"kind":"domain","value":"x.example","colour":"red"}`, "colour"},
			{`{"kind":"domain","value":7}`, "value"},
		} {
			if code, body := s.json("POST", path, county, tc.body, nil); code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Errorf("%s: %d %s, want 400 naming %s", tc.body, code, body, tc.want)
			}
		}
		if code, _ := s.json("POST", path, county, `{"kind":"cidr","value":"2001:db8:aa::/48"}`, nil); code != http.StatusConflict {
			t.Errorf("the same entry again: %d", code)
		}
		if code, _ := s.call("POST", path, county, "text/plain", "cidr,10.0.0.0/8", nil); code != http.StatusUnsupportedMediaType {
			t.Errorf("text/plain: %d", code)
		}

		// A CSV file with bad lines: each rejected with its number and
		// reason, the good ones kept; a coordinator may import too.
		csv := "kind,value,version\n" +
			"cidr,198.51.100.0/24\n" + // already there
			"domain,roads.ashford.example\n" +
			"cidr,10.0.0.300/24\n" +
			"cpe,cpe:2.3:a:ven*dor:product:1.0:*:*:*:*:*:*:*\n" +
			"purl,pkg:npm/lodash@4.17.21\n" +
			"router,gw1\n"
		var rep notify.ImportReport
		if code, body := s.call("POST", path, coordinator, "text/csv; charset=utf-8", csv, &rep); code != http.StatusOK {
			t.Fatalf("CSV import: %d %s", code, body)
		}
		if rep.Accepted != 3 || rep.Added != 2 || rep.Kept != 1 || !rep.Changed || len(rep.Rejected) != 3 {
			t.Errorf("CSV report = %+v", rep)
		}
		for i, want := range []struct {
			line int
			word string
		}{{4, "10.0.0.300"}, {5, "cpe"}, {7, "router"}} {
			if i >= len(rep.Rejected) {
				break
			}
			if r := rep.Rejected[i]; r.Line != want.line || !strings.Contains(r.Reason, want.word) {
				t.Errorf("rejection %d = %+v, want line %d naming %s", i, r, want.line, want.word)
			}
		}
		if code, body := s.call("POST", path, county, "text/csv", "type,value\ncidr,10.0.0.0/8\n", nil); code != http.StatusBadRequest || !strings.Contains(body, "header") {
			t.Errorf("a CSV without the header: %d %s", code, body)
		}

		// JSON: an array and an {"items"} document; a replace with a bad
		// line changes nothing; one without replaces.
		rep = notify.ImportReport{}
		if code, body := s.json("POST", path, county, `[{"kind":"asn","value":"AS64501"},{"kind":"url","value":"ftp://x.example/"}]`, &rep); code != http.StatusOK ||
			rep.Added != 1 || len(rep.Rejected) != 1 || rep.Rejected[0].Line != 1 || rep.Format != "json" {
			t.Errorf("JSON array: %d %s", code, body)
		}
		if code, body := s.json("POST", path, county, "{\"items\": [\n{\"kind\":\"email-domain\",\"value\":\"mail.ashford.example\"}\n]}", &rep); code != http.StatusOK || rep.Added != 1 {
			t.Errorf("JSON items: %d %s", code, body)
		}
		before := inventoryTotal(t, s, path)
		code, body := s.call("POST", path+"?replace=true", county, "text/csv", "kind,value\ndomain,only.ashford.example\ncidr,nonsense\n", nil)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `"line":3`) || !strings.Contains(body, "Nothing was changed") {
			t.Errorf("a replace with a bad line: %d %s", code, body)
		}
		if n := inventoryTotal(t, s, path); n != before {
			t.Errorf("the refused replace changed the inventory from %d to %d entries", before, n)
		}
		if code, _ := s.json("POST", path+"?replace=true", county, `{"kind":"domain","value":"one.example"}`, nil); code != http.StatusBadRequest {
			t.Errorf("replace with one entry: %d", code)
		}

		// Filter and paging.
		page = notify.InventoryPage{}
		if code, body := s.json("GET", path+"?kind=cidr&limit=1", county, "", &page); code != 200 || len(page.Entries) != 1 || page.Next == "" || page.Counts[notify.KindCIDR] != 2 {
			t.Fatalf("first cidr page: %d %s", code, body)
		}
		first := page.Entries[0].ID
		page = notify.InventoryPage{}
		s.json("GET", path+"?kind=cidr&limit=1&cursor="+first, county, "", &page)
		if len(page.Entries) != 1 || page.Entries[0].ID == first || page.Next != "" {
			t.Errorf("second cidr page: %+v", page)
		}

		// Delete: the org admin removes, an analyst may not, an outsider
		// gets 404, an unknown id is 404.
		if code, _ := s.json("DELETE", path+"/"+e.ID, analyst, "", nil); code != http.StatusForbidden {
			t.Errorf("an analyst deletes: %d", code)
		}
		if code, _ := s.json("DELETE", path+"/"+e.ID, "admin@birch.example", "", nil); code != http.StatusNotFound {
			t.Errorf("another county deletes: %d", code)
		}
		if code, body := s.json("DELETE", path+"/"+e.ID, county, "", nil); code != http.StatusNoContent {
			t.Errorf("delete: %d %s", code, body)
		}
		if code, _ := s.json("DELETE", path+"/"+e.ID, county, "", nil); code != http.StatusNotFound {
			t.Errorf("delete again: %d", code)
		}

		// Every write is audited, as the organization's.
		var actions []string
		rows, err := s.db.Reader().QueryContext(context.Background(), `SELECT action FROM audit_log WHERE org_scope = $1 AND action LIKE 'inventory.%' ORDER BY seq`, ashford)
		must(t, err)
		for rows.Next() {
			var a string
			must(t, rows.Scan(&a))
			actions = append(actions, a)
		}
		must(t, rows.Err())
		rows.Close()
		want := "inventory.add inventory.import inventory.import inventory.import inventory.remove"
		if got := strings.Join(actions[len(actions)-min(len(actions), 5):], " "); got != want {
			t.Errorf("audited inventory writes end with %q, want %q (all: %v)", got, want, actions)
		}
		// The store agrees with the API.
		list, _, err := notify.NewStore(s.db).List(context.Background(), access.Principal{UserID: "t", OrgID: ashford}, ashford, notify.ListQuery{Kind: notify.KindASN})
		must(t, err)
		if len(list) != 1 || list[0].Value != "AS64501" {
			t.Errorf("ASNs in the store: %+v", list)
		}
	})
}

func inventoryTotal(t *testing.T, s *site, path string) int {
	t.Helper()
	var page notify.InventoryPage
	if code, body := s.json("GET", path, county, "", &page); code != 200 {
		t.Fatalf("list: %d %s", code, body)
	}
	return page.Total
}

// TestInventoryPages: the page says who sees it and is marked
// TLP:AMBER+STRICT; analysts get it without the forms, coordinators get
// other organizations' pages, outsiders 404; an upload shows the
// accepted count and each rejected line.
func TestInventoryPages(t *testing.T) {
	s := startSite(t, "", "", "", notify.New(notify.Options{}))
	ashford := s.orgID("Ashford County")
	page := func(path, who string) (int, string) {
		t.Helper()
		return s.call("GET", path, who, "", "", nil)
	}
	code, body := page("/inventory", county)
	for _, want := range []string{"Visible to your organization and to coordinators", "TLP:AMBER+STRICT", `id="inv-add"`, `id="inv-upload"`, "198.51.100.0/24"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("the county admin's /inventory (%d) lacks %q", code, want)
		}
	}
	if code, body := page("/inventory", "analyst@ashford.example"); code != 200 || strings.Contains(body, `id="inv-add"`) || strings.Contains(body, `id="remove-`) ||
		!strings.Contains(body, "198.51.100.0/24") || !strings.Contains(body, "administrators and coordinators change it") {
		t.Errorf("an analyst's /inventory: %d, forms shown or entries missing", code)
	}
	if code, body := page("/orgs/"+ashford+"/inventory", coordinator); code != 200 || !strings.Contains(body, "Visible to Ashford County and to coordinators") || !strings.Contains(body, `id="inv-add"`) {
		t.Errorf("a coordinator's view of Ashford: %d", code)
	}
	if code, body := page("/orgs/"+ashford+"/inventory", "admin@birch.example"); code != http.StatusNotFound || strings.Contains(body, "198.51.100.0/24") {
		t.Errorf("another county's view of Ashford: %d", code)
	}
	if code, body := page("/inventory?kind=domain", county); code != 200 || strings.Contains(body, "<code>198.51.100.0/24</code>") || !strings.Contains(body, "ashford.example") {
		t.Errorf("the domain filter: %d", code)
	}

	var buf strings.Builder
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", "county.csv")
	must(t, err)
	_, _ = io.WriteString(fw, "kind,value\ndomain,pool.ashford.example\ncidr,300.1.1.0/24\n")
	must(t, mw.Close())
	code, body = s.call("POST", "/orgs/"+ashford+"/inventory/upload", county, mw.FormDataContentType(), buf.String(), nil)
	if code != 200 || !strings.Contains(body, "lines accepted: 1, rejected: 1") || !strings.Contains(body, "<td>3</td>") || !strings.Contains(body, "300.1.1.0/24") {
		t.Errorf("upload: %d %s", code, body)
	}
	code, body = s.call("POST", "/orgs/"+ashford+"/inventory/add", county, "application/x-www-form-urlencoded", "kind=cidr&value=nonsense", nil)
	if code != http.StatusBadRequest || !strings.Contains(body, `id="inventory-error"`) || !strings.Contains(body, `value="nonsense"`) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("a bad entry in the form: %d", code)
	}
	if code, _ := s.call("POST", "/orgs/"+ashford+"/inventory/add", "analyst@ashford.example", "application/x-www-form-urlencoded", "kind=domain&value=a.example", nil); code != http.StatusForbidden {
		t.Errorf("an analyst's add form: %d", code)
	}
}
