package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
)

//go:embed templates static
var assets embed.FS

// Site is what every page shows about the instance.
type Site struct {
	Name    string
	Demo    bool
	Version string
}

// NavItem is one entry of the module navigation. Modules not built yet are
// listed, not linked, so people see what is coming without dead links.
type NavItem struct {
	Label   string
	Href    string
	Purpose string // one line: what the module answers
	Ready   bool
}

// Page is what a handler gives the layout.
type Page struct {
	Title string
	// TLP is the highest TLP of what the page shows, as "CLEAR", "GREEN",
	// "AMBER", "AMBER+STRICT" or "RED"; every page shows it.
	TLP  string
	Data any
}

// view is the data of the layout template.
type view struct {
	Site      Site
	Nav       []navView
	Page      Page
	Data      any
	RequestID string
	Viewer    Viewer
	// CSRF is the token every form of the page carries as the hidden field
	// csrf_token: the session's, or before sign-in the browser's pre-session
	// token.
	CSRF string
}

// Viewer is what the layout shows about whoever is looking: the signed-in
// person (Email set) or an anonymous visitor. The authentication
// middleware puts it in the request context.
type Viewer struct {
	UserID  string
	Name    string
	Email   string
	OrgID   string
	OrgName string
	CSRF    string
}

// SignedIn reports whether the viewer is a signed-in person.
func (v Viewer) SignedIn() bool { return v.Email != "" }

type viewerKey struct{}

// WithViewer returns ctx carrying v for the layout.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerOf returns the request's viewer; the zero Viewer is anonymous.
func ViewerOf(ctx context.Context) Viewer {
	v, _ := ctx.Value(viewerKey{}).(Viewer)
	return v
}

type navView struct {
	NavItem
	Current bool
}

// Renderer renders pages: the shared layout around each page's "content".
type Renderer struct {
	site  Site
	nav   []NavItem
	base  *template.Template
	pages map[string]*template.Template
}

var funcs = template.FuncMap{
	"tlpClass": func(tlp string) string {
		return "tlp-" + strings.ReplaceAll(strings.ToLower(tlp), "+", "-")
	},
	"tlpMeaning": func(tlp string) string {
		switch tlp {
		case "CLEAR":
			return "may be shared without restriction"
		case "GREEN":
			return "may be shared within the community, not publicly"
		case "AMBER":
			return "limited to the recipient organizations and their clients who need to know"
		case "AMBER+STRICT":
			return "limited to the recipient organizations only"
		case "RED":
			return "for the named recipients only"
		}
		return ""
	},
}

// NewRenderer parses the layout and the kernel's own pages.
func NewRenderer(site Site, nav []NavItem) (*Renderer, error) {
	base, err := template.New("layout").Funcs(funcs).ParseFS(assets, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: layout: %w", err)
	}
	rd := &Renderer{site: site, nav: nav, base: base, pages: map[string]*template.Template{}}
	pages, err := fs.Sub(assets, "templates/pages")
	if err != nil {
		return nil, err
	}
	if err := rd.AddPages(pages); err != nil {
		return nil, err
	}
	return rd, nil
}

// AddPages adds every *.html file in fsys as a page named by its file name.
// Each defines "content" (and may define "head"). Modules call it with
// their own embedded templates.
func (rd *Renderer) AddPages(fsys fs.FS) error {
	names, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return err
	}
	for _, name := range names {
		if _, dup := rd.pages[name]; dup {
			return fmt.Errorf("web: page %s is defined twice", name)
		}
		t, err := template.Must(rd.base.Clone()).ParseFS(fsys, name)
		if err != nil {
			return fmt.Errorf("web: page %s: %w", name, err)
		}
		rd.pages[name] = t
	}
	return nil
}

// Render writes the named page with the given status. It renders into a
// buffer first, so a template error becomes a clean 500 rather than half a
// page.
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, name string, p Page) {
	t, ok := rd.pages[name]
	if !ok {
		WriteError(w, r, fmt.Errorf("web: no page %q", name))
		return
	}
	if p.TLP == "" {
		p.TLP = "CLEAR"
	}
	viewer := ViewerOf(r.Context())
	v := view{Site: rd.site, Page: p, Data: p.Data, RequestID: RequestID(r.Context()), Viewer: viewer, CSRF: viewer.CSRF}
	for _, item := range rd.nav {
		v.Nav = append(v.Nav, navView{NavItem: item, Current: item.Ready && isUnder(r.URL.Path, item.Href)})
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		Logger(r.Context()).Error("render failed", "page", name, "err", err)
		if name != "error.html" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("The page could not be rendered; the error has been logged.\n"))
		}
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func isUnder(p, href string) bool {
	if href == "/" {
		return p == "/"
	}
	return p == href || strings.HasPrefix(p, strings.TrimSuffix(href, "/")+"/")
}

// Error renders a problem as a page.
func (rd *Renderer) Error(w http.ResponseWriter, r *http.Request, p Problem) {
	rd.Render(w, r, p.Status, "error.html", Page{Title: p.Title, Data: p})
}

// Static serves the embedded stylesheet, scripts and images.
func Static() http.Handler {
	sub, _ := fs.Sub(assets, "static")
	files := http.FileServerFS(sub)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if path.Ext(r.URL.Path) == "" {
			WriteError(w, r, errs.E(errs.NotFound, "There is no asset at /static/%s.", r.URL.Path))
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
}
