package notify

// MatcherOf exposes a running module's matcher to the black-box tests, so
// a test can see what each replica's matcher knows.
func MatcherOf(m *Module) *Matcher { return m.matcher }
