package app

import (
	"context"
	"net/http"
	"time"

	"github.com/rampart-project/rampart/internal/platform/web"
)

// routes registers the kernel's own routes; each module adds its own in its
// routes.go from Mount.
func (a *App) routes(k *Kernel, nav []web.NavItem) {
	r := k.Router
	r.HandleFunc("GET /healthz", web.Public, web.Healthz)
	r.HandleFunc("GET /readyz", web.Public, web.Readyz(a.checks))
	r.Handle("GET /static/", web.Public, web.Static())
	r.HandleFunc("GET /{$}", web.Public, a.home(k.Renderer, nav))
}

// checks reports whether the database and the event log answer. They are
// shown to anyone, so they name the kind of backend, never its path or
// address, and failures are logged in full but shown in brief.
func (a *App) checks(ctx context.Context) []web.Check {
	dbCheck := web.Check{Name: "database", Detail: string(a.db.Engine()), OK: true}
	if err := a.db.Ping(ctx); err != nil {
		a.logger.Warn("readiness: database does not answer", "database", a.db.Where(), "err", err)
		dbCheck.OK, dbCheck.Error = false, "does not answer"
	}
	nats := "nats, external"
	if a.cfg.EmbeddedNATS() {
		nats = "nats, embedded"
	}
	evCheck := web.Check{Name: "events", Detail: nats, OK: true}
	if err := a.bus.Ping(ctx); err != nil {
		a.logger.Warn("readiness: event log does not answer", "nats", a.bus.Where(), "err", err)
		evCheck.OK, evCheck.Error = false, "does not answer"
	}
	return []web.Check{dbCheck, evCheck}
}

type homeData struct {
	Ready   bool
	Checks  []web.Check
	Started time.Time
	Modules []web.NavItem
}

func (a *App) home(rd *web.Renderer, nav []web.NavItem) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		checks := a.checks(ctx)
		ready := true
		for _, c := range checks {
			ready = ready && c.OK
		}
		rd.Render(w, r, http.StatusOK, "home.html", web.Page{
			Title: "Home",
			TLP:   "CLEAR",
			Data:  homeData{Ready: ready, Checks: checks, Started: a.started, Modules: nav[1:]},
		})
	}
}
