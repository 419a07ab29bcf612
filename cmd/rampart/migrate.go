package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/app"
)

func (c *cli) migrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and print the schema version",
		Long: `migrate brings the database up to the schema this binary needs. serve does the
same at start; run migrate first when several replicas share a PostgreSQL database
and you want the change made once, before they start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			d, err := app.OpenDB(ctx, c.cfg, c.logger)
			if err != nil {
				return &app.StartupError{Err: err}
			}
			defer d.Close()
			applied, err := d.Migrate(ctx)
			if err != nil {
				return err
			}
			for _, m := range applied {
				fmt.Fprintf(c.env.stdout, "applied %05d %s\n", m.Version, m.Source)
			}
			current, _, err := d.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintf(c.env.stdout, "database %s %s is up to date at version %d\n", d.Engine(), d.Where(), current)
			} else {
				fmt.Fprintf(c.env.stdout, "database %s %s migrated to version %d\n", d.Engine(), d.Where(), current)
			}
			return nil
		},
	}
}
