package main

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

func (c *cli) orgCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "Add and list organizations"}
	var o identity.Organization
	var kind, parent string
	var contacts []string
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Add an organization and print its id",
		Long: `add creates an organization. Contacts are given in escalation order as
"Name <e-mail>; phone; role" (phone and role optional).`,
		Example: `  rampart org add "Example State" --kind state --state-fips 06 --sector government-facilities
  rampart org add "Example County" --kind local --parent "Example State" --state-fips 06 --county-fips 037 \
      --flag election --contact "Pat Lee <pat@county.example>; +1 555 0100; CISO"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name, o.Kind = args[0], identity.OrgKind(kind)
			for i, raw := range contacts {
				ct, err := parseContact(raw)
				if err != nil {
					return usageError{fmt.Errorf("--contact %d: %w", i+1, err)}
				}
				o.Contacts = append(o.Contacts, ct)
			}
			return c.withStore(cmd.Context(), func(d *db.DB, s *identity.Store) error {
				if parent != "" {
					p, err := s.OrgByName(cmd.Context(), parent)
					if err != nil {
						return err
					}
					o.ParentID = p.ID
				}
				err := audited(cmd.Context(), d, func() audit.Entry {
					return audit.Entry{Action: "org.create", TargetKind: "organization", TargetID: o.ID, OrgScope: o.ID,
						Detail: map[string]any{"name": o.Name, "kind": string(o.Kind)}}
				}, func(tx *sql.Tx) error { return s.CreateOrg(cmd.Context(), tx, &o) })
				if err != nil {
					return err
				}
				fmt.Fprintln(c.env.stdout, o.ID)
				return nil
			})
		},
	}
	f := add.Flags()
	f.StringVar(&kind, "kind", "", "state, local, tribal, territorial, federal, private, isac or coordinator (required)")
	f.StringVar(&parent, "parent", "", "parent organization, by name or id (a county's state)")
	f.StringSliceVar(&o.Sectors, "sector", nil, "critical-infrastructure sector code (repeatable), e.g. energy, water, election-infrastructure")
	f.StringSliceVar(&o.Flags, "flag", nil, "flag (repeatable), e.g. election")
	f.StringVar(&o.StateFIPS, "state-fips", "", "state FIPS code, 2 digits")
	f.StringVar(&o.CountyFIPS, "county-fips", "", "county FIPS code, 3 digits")
	f.StringArrayVar(&contacts, "contact", nil, `security contact "Name <e-mail>; phone; role" (repeatable, in escalation order)`)
	_ = add.MarkFlagRequired("kind")

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List organizations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withStore(cmd.Context(), func(_ *db.DB, s *identity.Store) error {
				orgs, err := s.Orgs(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					if orgs == nil {
						orgs = []identity.Organization{}
					}
					return printJSON(c, orgs)
				}
				names := map[string]string{}
				for _, o := range orgs {
					names[o.ID] = o.Name
				}
				var rows [][]any
				for _, o := range orgs {
					rows = append(rows, []any{o.ID, o.Name, o.Kind, names[o.ParentID], strings.Join(o.Sectors, ",")})
				}
				return table(c, "ID\tNAME\tKIND\tPARENT\tSECTORS", rows)
			})
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(add, list)
	return cmd
}

// parseContact reads "Name <e-mail>; phone; role".
func parseContact(s string) (identity.Contact, error) {
	parts := strings.Split(s, ";")
	var ct identity.Contact
	head := strings.TrimSpace(parts[0])
	if i := strings.Index(head, "<"); i >= 0 && strings.HasSuffix(head, ">") {
		ct.Name, ct.Email = strings.TrimSpace(head[:i]), head[i+1:len(head)-1]
	} else {
		ct.Name = head
	}
	if ct.Name == "" {
		return ct, fmt.Errorf("%q has no name; write \"Name <e-mail>; phone; role\"", s)
	}
	if len(parts) > 1 {
		ct.Phone = strings.TrimSpace(parts[1])
	}
	if len(parts) > 2 {
		ct.Role = strings.TrimSpace(strings.Join(parts[2:], ";"))
	}
	return ct, nil
}
