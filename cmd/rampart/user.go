package main

import (
	"bufio"
	"crypto/rand"
	"database/sql"
	"fmt"
	"math/big"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

func (c *cli) userCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Add and list users"}
	var name, org, roles string
	var passwordStdin bool
	add := &cobra.Command{
		Use:   "add EMAIL",
		Short: "Add a user to an organization",
		Long: `add creates a user. The password is read from standard input with
--password-stdin; otherwise a strong one is generated and printed once.`,
		Example: `  rampart user add pat@county.example --name "Pat Lee" --org "Example County" --roles analyst,org_admin
  printf '%s' "$PASSWORD" | rampart user add pat@county.example --name "Pat Lee" --org "Example County" --roles analyst --password-stdin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := identity.ParseRoles(roles)
			if err != nil {
				return usageError{fmt.Errorf("--roles: %w", err)}
			}
			password, generated := "", false
			if passwordStdin {
				line, err := bufio.NewReader(c.env.stdin).ReadString('\n')
				if err != nil && line == "" {
					return usageError{fmt.Errorf("--password-stdin: no password on standard input")}
				}
				password = strings.TrimRight(line, "\r\n")
			} else {
				password, generated = generatePassword(), true
			}
			return c.withStore(cmd.Context(), func(d *db.DB, s *identity.Store) error {
				o, err := s.OrgByName(cmd.Context(), org)
				if err != nil {
					return err
				}
				u := identity.User{Email: args[0], Name: name, OrgID: o.ID, Roles: rs}
				err = audited(cmd.Context(), d, func() audit.Entry {
					return audit.Entry{Action: "user.create", TargetKind: "user", TargetID: u.ID, OrgScope: o.ID,
						Detail: map[string]any{"email": u.Email, "roles": roles}}
				}, func(tx *sql.Tx) error { return s.CreateUser(cmd.Context(), tx, &u, password) })
				if err != nil {
					return err
				}
				fmt.Fprintf(c.env.stdout, "%s\t%s\t%s\n", u.ID, u.Email, o.Name)
				if generated {
					fmt.Fprintf(c.env.stdout, "password: %s\n", password)
				}
				return nil
			})
		},
	}
	f := add.Flags()
	f.StringVar(&name, "name", "", "the person's name (required)")
	f.StringVar(&org, "org", "", "organization, by name or id (required)")
	f.StringVar(&roles, "roles", "analyst", "roles, comma-separated: viewer, analyst, org_admin, coordinator")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	_ = add.MarkFlagRequired("name")
	_ = add.MarkFlagRequired("org")

	var listOrg string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withStore(cmd.Context(), func(_ *db.DB, s *identity.Store) error {
				orgID := ""
				if listOrg != "" {
					o, err := s.OrgByName(cmd.Context(), listOrg)
					if err != nil {
						return err
					}
					orgID = o.ID
				}
				users, err := s.Users(cmd.Context(), orgID)
				if err != nil {
					return err
				}
				if asJSON {
					if users == nil {
						users = []identity.User{}
					}
					return printJSON(c, users)
				}
				orgs, err := s.Orgs(cmd.Context())
				if err != nil {
					return err
				}
				names := map[string]string{}
				for _, o := range orgs {
					names[o.ID] = o.Name
				}
				var rows [][]any
				for _, u := range users {
					rs := make([]string, len(u.Roles))
					for i, r := range u.Roles {
						rs[i] = string(r)
					}
					rows = append(rows, []any{u.ID, u.Email, u.Name, names[u.OrgID], strings.Join(rs, ",")})
				}
				return table(c, "ID\tEMAIL\tNAME\tORGANIZATION\tROLES", rows)
			})
		},
	}
	list.Flags().StringVar(&listOrg, "org", "", "only users of this organization")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(add, list)
	return cmd
}

// generatePassword makes a 20-character password from an alphabet without
// look-alike characters, for people who will change it at first sign-in.
func generatePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}
