package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/federation"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
)

// cliActor is the command line in the audit log.
func cliActor() federation.Actor { return federation.Actor{Label: "cli"} }

func (c *cli) peerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "peer",
		Short: "Add, list, remove and synchronise federation peers",
		Long: `peer manages the other Rampart instances and TAXII 2.1 servers this instance
pulls objects from and pushes objects to, as the API /api/v1/peers does. A
running server pulls and pushes them on their interval; "peer sync" runs one now.`,
	}
	cmd.AddCommand(c.peerAddCmd(), c.peerListCmd(), c.peerRemoveCmd(), c.peerSyncCmd())
	return cmd
}

// withPeers runs fn with the federation service of the configured
// database. Its events are written to the outbox, which a running
// server's relay publishes.
func (c *cli) withPeers(ctx context.Context, fn func(s *federation.Service) error) error {
	d, err := c.openDB(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	return cliError(fn(c.federation(d)))
}

func (c *cli) federation(d *db.DB) *federation.Service {
	return federation.New(federation.Options{
		DB: d, Identity: identity.NewStore(d), Logger: c.logger,
		Sharing: sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{PublicFeed: c.cfg.PublicFeed}),
	})
}

func (c *cli) peerAddCmd() *cobra.Command {
	var url, remote, local, org, user, secret, interval, maxTLP string
	var pull, push, secretStdin bool
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a peer and print its id",
		Long: `add sets up a peer: the remote API root and collection, the local collection
pulled into and pushed from, and the organization pulled objects are attributed
to (and whose view of the local collection is pushed). The secret is a token
(sent as a bearer token, or with --user as the Basic password); it is never
shown again. Prefer --secret-stdin to keep it out of the shell's history.`,
		Example: `  rampart peer add national --url https://national.example/taxii2/api/ --remote-collection national-advisories \
      --local-collection national-advisories --org "State of Meridian" --pull --secret-stdin < token.txt
  rampart peer add county-feed --url https://feeds.example/taxii2/api1/ --remote-collection 4f0e... \
      --local-collection meridian-sltt --org "State of Meridian" --push --max-tlp amber --user svc --secret-stdin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !pull && !push {
				return usageError{errors.New("say what the peer does: --pull, --push or both")}
			}
			if secretStdin {
				line, err := bufio.NewReader(c.env.stdin).ReadString('\n')
				if err != nil && line == "" {
					return usageError{errors.New("--secret-stdin: nothing on standard input")}
				}
				secret = strings.TrimRight(line, "\r\n")
			}
			in := federation.Input{Name: &args[0], APIRootURL: &url, RemoteCollection: &remote, LocalCollection: &local,
				OwnerOrg: &org, Username: &user, Secret: &secret, Pull: &pull, Push: &push}
			if interval != "" {
				in.Interval = &interval
			}
			if maxTLP != "" {
				in.MaxTLP = &maxTLP
			}
			return c.withPeers(cmd.Context(), func(s *federation.Service) error {
				p, err := s.Create(cmd.Context(), cliActor(), in)
				if err != nil {
					return err
				}
				fmt.Fprintln(c.env.stdout, p.ID)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&url, "url", "", "the remote API root URL, e.g. https://peer.example/taxii2/api/ (required)")
	f.StringVar(&remote, "remote-collection", "", "the remote collection's id, or alias on a Rampart (required)")
	f.StringVar(&local, "local-collection", "", "the local collection, by id or alias (required)")
	f.StringVar(&org, "org", "", "the owner organization, by name or id (required)")
	f.StringVar(&user, "user", "", "user name for HTTP Basic; without it the secret is a bearer token")
	f.StringVar(&secret, "secret", "", "the token or password (visible to other local users while the command runs)")
	f.BoolVar(&secretStdin, "secret-stdin", false, "read the secret from the first line of standard input")
	f.BoolVar(&pull, "pull", false, "pull the remote collection into the local one")
	f.BoolVar(&push, "push", false, "push the local collection to the remote one")
	f.StringVar(&interval, "interval", "", "how often, e.g. 30s or 5m; at least 1s (default 1m)")
	f.StringVar(&maxTLP, "max-tlp", "", "the most restricted TLP pushed: clear, green, amber, amber+strict; RED never is (default green)")
	for _, name := range []string{"url", "remote-collection", "local-collection", "org"} {
		_ = cmd.MarkFlagRequired(name)
	}
	cmd.MarkFlagsMutuallyExclusive("secret", "secret-stdin")
	return cmd
}

func (c *cli) peerListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the peers, their last run and counters (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withPeers(cmd.Context(), func(s *federation.Service) error {
				peers, err := s.List(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(c, peers)
				}
				var rows [][]any
				for _, p := range peers {
					last := "never"
					if !p.LastRunAt.IsZero() {
						last = p.LastRunAt.Format("2006-01-02 15:04:05Z")
					}
					rows = append(rows, []any{p.Name, p.ID, direction(p), p.APIRootURL + " " + p.RemoteCollection,
						last, p.Pulled, p.Pushed, orNone(p.LastError)})
				}
				return table(c, "NAME\tID\tDOES\tREMOTE\tLAST RUN\tPULLED\tPUSHED\tLAST ERROR", rows)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func direction(p federation.Peer) string {
	var parts []string
	if p.Pull {
		parts = append(parts, "pull")
	}
	if p.Push {
		parts = append(parts, "push≤"+strings.ToLower(string(p.MaxTLP)))
	}
	d := strings.Join(parts, "+")
	if !p.Enabled {
		d += " (paused)"
	}
	return d
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (c *cli) peerRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME|ID",
		Short: "Remove a peer; what it pulled stays",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withPeers(cmd.Context(), func(s *federation.Service) error {
				return s.Delete(cmd.Context(), cliActor(), args[0])
			})
		},
	}
}

func (c *cli) peerSyncCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sync NAME|ID",
		Short: "Pull and push a peer now",
		Long: `sync runs a peer at once, even a paused one, as a running server would, and
records the run on the peer. Exit status 1 when the run failed; what it stored
before failing stays stored.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withPeers(cmd.Context(), func(s *federation.Service) error {
				res, err := s.Sync(cmd.Context(), cliActor(), args[0])
				if err != nil {
					return err
				}
				if asJSON {
					if err := printJSON(c, res); err != nil {
						return err
					}
				} else {
					fmt.Fprintf(c.env.stdout, "%s: pulled %d (%d unchanged, %d rejected, %d TLP:RED dropped), pushed %d (%d refused)\n",
						res.Peer, res.Pulled, res.Unchanged, res.Rejected, res.Dropped, res.Pushed, res.Refused)
					fmt.Fprintf(c.env.stdout, "cursor %s, push cursor %s\n", orNone(res.Cursor), orNone(res.PushCursor))
					if res.Note != "" {
						fmt.Fprintln(c.env.stdout, res.Note)
					}
				}
				if res.Error != "" {
					return exitError{code: 1, err: errors.New(res.Error)}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
