package app

import "github.com/rampart-project/rampart/internal/platform/web"

// Routes lists every route the server answers, with its access rule, for
// the test that walks them all.
func (a *App) Routes() []web.Route { return a.server.Router.Routes() }
