package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/accounts"
	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/internal/federation"
	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/patterns"
	"github.com/rampart-project/rampart/internal/sharing"
	taxiiserver "github.com/rampart-project/rampart/internal/taxii"
)

func (c *cli) serveCmd(ctx context.Context) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the web UI, the API, TAXII and the background workers",
		Long: `serve runs Rampart: the web UI, the JSON API, the TAXII 2.1 server, live streams
and the background workers, in one process. By default it keeps everything in the
data directory (SQLite and an embedded NATS server); with --database postgres://...
and --nats nats://... several replicas can serve one instance.

It stops cleanly on SIGINT or SIGTERM.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.serve(ctx)
		},
	}
	config.BindServe(cmd.Flags(), &c.cfg)
	return cmd
}

func (c *cli) serve(ctx context.Context) error {
	percent, limit := app.TuneGC(c.env.getenv)
	c.logger.Debug("garbage collector", "gc_percent", percent, "memory_limit", limit)
	modules := append(builtinModules(), c.env.extraModules...)
	if c.cfg.Demo {
		modules = append(modules, &demo.Module{Out: c.env.stdout})
	}
	a, err := app.New(ctx, c.cfg, app.Options{Logger: c.logger, Version: version(), Modules: modules})
	if err != nil {
		return err
	}
	url := "http://" + a.Addr().String() + "/"
	fmt.Fprintf(c.env.stdout, "Rampart is listening on %s\n", url)
	if c.cfg.Demo {
		fmt.Fprintf(c.env.stdout, "Demo instance %q: open %s in a browser. Data is kept in %s.\n", c.cfg.InstanceName, url, c.cfg.DataDir)
	}
	return a.Run(ctx)
}

// builtinModules are the roadmap modules built so far.
func builtinModules() []app.Module {
	return []app.Module{accounts.New(), patterns.Module{}, sharing.New(), taxiiserver.New(taxiiserver.Options{}), federation.NewModule(federation.Options{}), notify.New(notify.Options{})}
}
