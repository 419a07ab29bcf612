package main

import (
	"context"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/config"
)

// cli is the state one invocation shares among its subcommands.
type cli struct {
	env     env
	cfg     config.Config
	sources map[string]string // flag name -> "flag" or "env"
	logger  *slog.Logger
}

func newRoot(ctx context.Context, e env) *cobra.Command {
	c := &cli{env: e, cfg: config.Default()}
	root := &cobra.Command{
		Use:   "rampart",
		Short: "Rampart: share threat information and defend together",
		Long: `Rampart lets a national cybersecurity center, states, counties, cities, tribes,
territories, federal agencies and private-sector partners share threat indicators
in real time, learn within seconds what affects them, and plan and execute joint
cyber defense.

Every flag can also be set by a RAMPART_* environment variable: --data is
RAMPART_DATA, --events-prefix is RAMPART_EVENTS_PREFIX. Flags win over variables.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return c.load(cmd)
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{err}
	})
	config.BindGlobal(root.PersistentFlags(), &c.cfg)
	root.AddCommand(
		c.serveCmd(ctx),
		c.migrateCmd(),
		c.configCmd(),
		c.versionCmd(),
		c.patternCmd(),
		c.orgCmd(),
		c.userCmd(),
		c.tokenCmd(),
		c.communityCmd(),
		c.auditCmd(),
		c.importCmd(),
		c.inventoryCmd(),
		c.kevCmd(),
		c.cveCmd(),
		c.peerCmd(),
		c.taxiiCmd(),
	)
	return root
}

// load completes the configuration from the environment, applies the demo
// defaults, validates, and builds the logger.
func (c *cli) load(cmd *cobra.Command) error {
	sources, err := config.ApplyEnv(cmd.Flags(), c.env.getenv)
	if err != nil {
		return usageError{err}
	}
	c.sources = sources
	if c.cfg.Demo {
		// A demo keeps its fictional data apart from real data.
		if _, set := sources["data"]; !set {
			c.cfg.DataDir = "./rampart-demo"
		}
		if _, set := sources["instance-name"]; !set {
			c.cfg.InstanceName = "Rampart demo"
		}
	}
	if err := c.cfg.Validate(); err != nil {
		return usageError{err}
	}
	c.logger = newLogger(c.cfg, c.env.stderr)
	return nil
}
