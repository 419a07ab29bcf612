package main

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

func (c *cli) tokenCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Create, list and revoke API tokens"}
	var email, scopes, name, expires string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API token for a user and print it alone on standard output",
		Long: `create makes an API token and prints only the token, so that scripts can
capture it. It is shown this once; Rampart keeps only its hash. Use it as
"Authorization: Bearer TOKEN", or as the password of HTTP Basic with the user's
e-mail as user name (TAXII clients).`,
		Example: `  TOKEN=$(rampart token create --user pat@county.example --scopes read,write --name "SIEM feed" --expires 90d)`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc, err := identity.ParseScopes(scopes)
			if err != nil {
				return usageError{fmt.Errorf("--scopes: %w", cliError(err))}
			}
			ttl, err := parseTTL(expires)
			if err != nil {
				return usageError{fmt.Errorf("--expires %q: %w", expires, err)}
			}
			return c.withStore(cmd.Context(), func(d *db.DB, s *identity.Store) error {
				u, err := s.UserByEmail(cmd.Context(), email)
				if err != nil {
					return err
				}
				var t *identity.Token
				var secret string
				err = audited(cmd.Context(), d, func() audit.Entry {
					return audit.Entry{Action: "token.create", TargetKind: "token", TargetID: t.ID, OrgScope: u.OrgID,
						ActorUserID: u.ID, Detail: map[string]any{"name": t.Name, "scopes": scopes, "user": u.Email}}
				}, func(tx *sql.Tx) (err error) {
					t, secret, err = s.CreateToken(cmd.Context(), tx, u.ID, name, sc, ttl)
					return err
				})
				if err != nil {
					return err
				}
				fmt.Fprintln(c.env.stdout, secret)
				return nil
			})
		},
	}
	f := create.Flags()
	f.StringVar(&email, "user", "", "the user's e-mail (required)")
	f.StringVar(&scopes, "scopes", "read", "scopes, comma-separated: read, write, admin")
	f.StringVar(&name, "name", "command line", "a name to recognise the token by")
	f.StringVar(&expires, "expires", "", "lifetime, e.g. 90d or 12h (default: never)")
	_ = create.MarkFlagRequired("user")

	var listUser string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List a user's tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withStore(cmd.Context(), func(_ *db.DB, s *identity.Store) error {
				u, err := s.UserByEmail(cmd.Context(), listUser)
				if err != nil {
					return err
				}
				tokens, err := s.Tokens(cmd.Context(), u.ID)
				if err != nil {
					return err
				}
				if asJSON {
					if tokens == nil {
						tokens = []identity.Token{}
					}
					return printJSON(c, tokens)
				}
				var rows [][]any
				now := time.Now()
				for _, t := range tokens {
					state := "active"
					switch {
					case !t.RevokedAt.IsZero():
						state = "revoked"
					case !t.Active(now):
						state = "expired"
					}
					rows = append(rows, []any{t.ID, t.Name, joinScopeList(t.Scopes), state, dateOr(t.ExpiresAt, "never"), dateOr(t.LastUsedAt, "never")})
				}
				return table(c, "ID\tNAME\tSCOPES\tSTATE\tEXPIRES\tLAST USED", rows)
			})
		},
	}
	list.Flags().StringVar(&listUser, "user", "", "the user's e-mail (required)")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = list.MarkFlagRequired("user")

	var revokeUser string
	revoke := &cobra.Command{
		Use:   "revoke TOKEN-ID",
		Short: "Revoke one of a user's tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(cmd.Context(), func(d *db.DB, s *identity.Store) error {
				u, err := s.UserByEmail(cmd.Context(), revokeUser)
				if err != nil {
					return err
				}
				err = audited(cmd.Context(), d, func() audit.Entry {
					return audit.Entry{Action: "token.revoke", TargetKind: "token", TargetID: args[0], OrgScope: u.OrgID, ActorUserID: u.ID}
				}, func(tx *sql.Tx) error { return s.RevokeToken(cmd.Context(), tx, u.ID, args[0]) })
				if err != nil {
					return err
				}
				fmt.Fprintf(c.env.stdout, "revoked %s\n", args[0])
				return nil
			})
		},
	}
	revoke.Flags().StringVar(&revokeUser, "user", "", "the user's e-mail (required)")
	_ = revoke.MarkFlagRequired("user")
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// parseTTL reads a lifetime: Go durations, or a number of days as "90d".
func parseTTL(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("want a positive number of days such as 90d, or a duration such as 12h")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a positive number of days such as 90d, or a duration such as 12h")
	}
	return d, nil
}

func joinScopeList(scopes []identity.Scope) string {
	s := make([]string, len(scopes))
	for i, sc := range scopes {
		s[i] = string(sc)
	}
	return strings.Join(s, ",")
}

func dateOr(t time.Time, empty string) string {
	if t.IsZero() {
		return empty
	}
	return t.Format("2006-01-02 15:04")
}
