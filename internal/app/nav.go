package app

import "github.com/rampart-project/rampart/internal/platform/web"

// Navigator is implemented by modules that have pages: their entry in the
// navigation.
type Navigator interface {
	Nav() web.NavItem
}

// plannedModules is the roadmap's module list in the order of the
// navigation. A mounted module that implements Navigator replaces its entry
// and makes it a link.
var plannedModules = []web.NavItem{
	{Label: "Sharing", Href: "/sharing", Purpose: "share indicators, defensive measures, risk and incident information in real time"},
	{Label: "Notifications", Href: "/notifications", Purpose: "what affects my organization right now, with the evidence and what to do"},
	{Label: "Resources", Href: "/resources", Purpose: "vetted tools, guidance, controls and standards"},
	{Label: "Assessments", Href: "/assessments", Purpose: "baselines, self-assessments and requests for assistance"},
	{Label: "Disclosure", Href: "/disclosure", Purpose: "coordinated vulnerability disclosure and CSAF advisories"},
	{Label: "Training", Href: "/training", Purpose: "courses, enrollments and awareness bulletins"},
	{Label: "Exercises", Href: "/exercises", Purpose: "design, run and evaluate cyber exercises"},
	{Label: "Plans", Href: "/plans", Purpose: "joint cyber defense plans, activated on an incident"},
	{Label: "Scenarios", Href: "/scenarios", Purpose: "model cascading consequences across critical infrastructure"},
}

// Navigation returns the navigation: Home, then every module, linked where
// the module is mounted.
func Navigation(modules []Module) []web.NavItem {
	nav := []web.NavItem{{Label: "Home", Href: "/", Purpose: "this instance and its health", Ready: true}}
	for _, planned := range plannedModules {
		item := planned
		for _, m := range modules {
			if n, ok := m.(Navigator); ok && n.Nav().Href == planned.Href {
				item = n.Nav()
				item.Ready = true
			}
		}
		nav = append(nav, item)
	}
	return nav
}
