package main

import (
	"database/sql"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

// The command line administers the instance, so it sees communities as a
// coordinator does.
var cliViewer = access.Principal{Coordinator: true}

func (c *cli) communityCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "community", Short: "Add, list and join communities (sharing groups)"}
	var owner, description string
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a community and print its id",
		Long: `add creates a community. With --owner, that organization owns it (and joins it);
its org admins manage the membership. Without, coordinators do.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(cmd.Context(), func(d *db.DB, s *identity.Store) error {
				cm := identity.Community{Name: args[0], Description: description}
				if owner != "" {
					o, err := s.OrgByName(cmd.Context(), owner)
					if err != nil {
						return err
					}
					cm.OwnerOrgID = o.ID
				}
				err := audited(cmd.Context(), d, func() audit.Entry {
					return audit.Entry{Action: "community.create", TargetKind: "community", TargetID: cm.ID, OrgScope: cm.OwnerOrgID,
						Detail: map[string]any{"name": cm.Name}}
				}, func(tx *sql.Tx) error { return s.CreateCommunity(cmd.Context(), tx, &cm) })
				if err != nil {
					return err
				}
				fmt.Fprintln(c.env.stdout, cm.ID)
				return nil
			})
		},
	}
	add.Flags().StringVar(&owner, "owner", "", "owner organization, by name or id")
	add.Flags().StringVar(&description, "description", "", "what the community is for")

	join := &cobra.Command{
		Use:   "join COMMUNITY ORGANIZATION",
		Short: "Add an organization to a community (both by name or id)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(cmd.Context(), func(d *db.DB, s *identity.Store) error {
				cm, err := s.Community(cmd.Context(), args[0], cliViewer)
				if err != nil {
					return err
				}
				o, err := s.OrgByName(cmd.Context(), args[1])
				if err != nil {
					return err
				}
				err = audited(cmd.Context(), d, func() audit.Entry {
					return audit.Entry{Action: "community.member_add", TargetKind: "community", TargetID: cm.ID, OrgScope: o.ID,
						Detail: map[string]any{"community": cm.Name, "organization": o.Name}}
				}, func(tx *sql.Tx) error { return s.AddMember(cmd.Context(), tx, cm.ID, o.ID) })
				if err != nil {
					return err
				}
				fmt.Fprintf(c.env.stdout, "%s is a member of %s\n", o.Name, cm.Name)
				return nil
			})
		},
	}

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List communities with their members",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withStore(cmd.Context(), func(_ *db.DB, s *identity.Store) error {
				cs, err := s.Communities(cmd.Context(), cliViewer)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(c, cs)
				}
				var rows [][]any
				for _, cm := range cs {
					members := fmt.Sprint(len(cm.Members))
					if cm.AllMembers {
						members = "all"
					}
					rows = append(rows, []any{cm.ID, cm.Name, cm.OwnerOrgID, members})
				}
				return table(c, "ID\tNAME\tOWNER\tMEMBERS", rows)
			})
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(add, list, join)
	return cmd
}
