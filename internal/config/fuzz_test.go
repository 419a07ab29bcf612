package config_test

import (
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/config"
)

// FuzzValidateURLs: a database or NATS URL with a password, however the rest
// of it is mangled, is accepted or rejected without the password ever
// appearing in the error or in `rampart config`.
func FuzzValidateURLs(f *testing.F) {
	const secret = "Zx9Secret"
	for _, seed := range [][3]string{
		{"postgres", "db:5432", "/rampart"}, {"nats", "n1:4222", ",nats://n2"}, {"mysql", "h", "/db"},
		{"postgres", "[::1", ""}, {"A", "0", "/:x@"}, {"", "", ""}, {"sqlite", "", "/x.db"}, {"postgres", "h", "/d?password=" + secret},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, scheme, host, rest string) {
		raw := scheme + "://user:" + secret + "@" + host + rest
		for _, field := range []string{"database", "nats"} {
			c := config.Default()
			if field == "database" {
				c.DatabaseURL = raw
			} else {
				c.NATSURL = raw
			}
			var shown strings.Builder
			if err := c.Validate(); err != nil {
				shown.WriteString(err.Error())
			} else {
				for _, s := range c.Effective(nil) {
					shown.WriteString(s.Value + "\n")
				}
			}
			if strings.Contains(shown.String(), ":"+secret+"@") || strings.Contains(shown.String(), "?password="+secret) || strings.Contains(shown.String(), "&password="+secret) {
				t.Fatalf("%s %q: the password is shown: %s", field, raw, shown.String())
			}
		}
	})
}
