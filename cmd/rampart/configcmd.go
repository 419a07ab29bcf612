package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/config"
)

func (c *cli) configCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration, with secrets redacted",
		Long: `config prints the configuration serve would use with the same flags and
environment: each setting, its value (passwords redacted) and where it came from
(flag, env or default).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			settings := c.cfg.Effective(c.sources)
			if asJSON {
				enc := json.NewEncoder(c.env.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(settings)
			}
			tw := tabwriter.NewWriter(c.env.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SETTING\tVALUE\tFROM\tVARIABLE")
			for _, s := range settings {
				variable := config.EnvName(s.Name)
				if s.From == "derived" {
					variable = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Value, s.From, variable)
			}
			return tw.Flush()
		},
	}
	// config shows what serve would run with, so it accepts serve's flags.
	config.BindServe(cmd.Flags(), &c.cfg)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
