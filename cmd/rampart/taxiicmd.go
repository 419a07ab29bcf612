package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/federation"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// taxiiRemote is what both taxii subcommands need to reach a server and
// act as a local organization.
type taxiiRemote struct {
	collection, org, user, token string
	asJSON                       bool
}

func (r *taxiiRemote) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&r.collection, "collection", "", "the remote collection's id (or alias on a Rampart) (required)")
	f.StringVar(&r.org, "org", "", "the local organization, by name or id (required)")
	f.StringVar(&r.user, "user", "", "user name for HTTP Basic, with --token as the password")
	f.StringVar(&r.token, "token", "", "API token: a bearer token, or with --user the Basic password")
	f.BoolVar(&r.asJSON, "json", false, "print the summary as JSON")
	_ = cmd.MarkFlagRequired("collection")
	_ = cmd.MarkFlagRequired("org")
}

func (r *taxiiRemote) client() (*taxii.Client, error) {
	if r.user != "" && r.token == "" {
		return nil, usageError{errors.New("--user needs --token (the password)")}
	}
	o := taxii.ClientOptions{}
	if r.user != "" {
		o.Username, o.Password = r.user, r.token
	} else {
		o.BearerToken = r.token
	}
	return taxii.NewClient(o), nil
}

func checkAPIRoot(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return usageError{fmt.Errorf("%q is not an API root URL such as https://peer.example/taxii2/api/", raw)}
	}
	return nil
}

func (c *cli) taxiiCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "taxii",
		Short: "Pull from or push to a TAXII 2.1 server once",
		Long: `taxii copies objects between a TAXII 2.1 server (another Rampart or any other)
and a local collection, once. For a copy that keeps going, set up a peer
("rampart peer add").`,
	}
	cmd.AddCommand(c.taxiiPullCmd(), c.taxiiPushCmd())
	return cmd
}

// pullSummary is what taxii pull prints.
type pullSummary struct {
	Read          int    `json:"read"`
	Added         int    `json:"added"`
	Unchanged     int    `json:"unchanged"`
	Rejected      int    `json:"rejected"`
	Dropped       int    `json:"dropped_red"`
	LastDateAdded string `json:"last_date_added,omitempty"`
}

func (c *cli) taxiiPullCmd() *cobra.Command {
	var r taxiiRemote
	var into, addedAfter string
	cmd := &cobra.Command{
		Use:   "pull API-ROOT-URL",
		Short: "Store the objects of a remote collection in a local one",
		Long: `pull reads every version of the objects of a remote collection (those added
after --added-after, if given), page by page, and stores them in the local
collection --into as the organization --org. Objects stored already, from any
source, are unchanged; TLP:RED objects are dropped, never stored. It prints
what was added, unchanged and rejected, and the last date_added, which is the
--added-after of the next pull. Exit status 1 when any object was rejected.`,
		Example: `  rampart taxii pull https://peer.example/taxii2/api/ --collection national-advisories \
      --into national-advisories --org "State of Meridian" --user svc@peer.example --token "$TOKEN"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkAPIRoot(args[0]); err != nil {
				return err
			}
			var after time.Time
			if addedAfter != "" {
				t, err := taxii.ParseTimestamp(addedAfter)
				if err != nil {
					return usageError{fmt.Errorf("--added-after: %w", err)}
				}
				after = t
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			return c.withTAXIIStore(cmd.Context(), r.org, into, func(ctx context.Context, store *sharing.Store, p access.Principal, coll sharing.Collection) error {
				if !coll.Writable(p) {
					return fmt.Errorf("collection %q does not take submissions from this organization", coll.Title)
				}
				sub := sharing.Submission{Principal: p, Actor: "cli", Source: sharing.SourceTAXII, SkipKnown: true,
					Collection: &coll, Anonymous: coll.Anonymous}
				var sum pullSummary
				err := federation.PullPages(ctx, client, args[0], r.collection, after, func(ctx context.Context, objs []stix.Object, last time.Time) error {
					rep, dropped, err := federation.IngestPage(ctx, store, sub, objs)
					if err != nil {
						return err
					}
					sum.Read += len(objs)
					sum.Added, sum.Unchanged, sum.Rejected, sum.Dropped = sum.Added+rep.Added, sum.Unchanged+rep.Unchanged, sum.Rejected+rep.Rejected, sum.Dropped+dropped
					for _, o := range rep.Outcomes {
						if o.Status == sharing.StatusRejected {
							fmt.Fprintf(c.env.stderr, "rejected %s: %v\n", o.ID, o.Errors)
						}
					}
					if !last.IsZero() {
						sum.LastDateAdded = taxii.FormatTimestamp(last)
					}
					return nil
				})
				if perr := c.printPull(sum, r.asJSON); perr != nil {
					return perr
				}
				if err != nil {
					return fmt.Errorf("pull stopped (what was read before is stored): %w", err)
				}
				if sum.Rejected > 0 {
					return errReported
				}
				return nil
			})
		},
	}
	r.flags(cmd)
	cmd.Flags().StringVar(&into, "into", "", "the local collection, by id or alias (required)")
	cmd.Flags().StringVar(&addedAfter, "added-after", "", "only objects added after this TAXII timestamp")
	_ = cmd.MarkFlagRequired("into")
	return cmd
}

func (c *cli) printPull(s pullSummary, asJSON bool) error {
	if asJSON {
		return printJSON(c, s)
	}
	fmt.Fprintf(c.env.stdout, "%d read: %d added, %d unchanged, %d rejected, %d TLP:RED dropped\n", s.Read, s.Added, s.Unchanged, s.Rejected, s.Dropped)
	if s.LastDateAdded != "" {
		fmt.Fprintf(c.env.stdout, "last date_added %s\n", s.LastDateAdded)
	}
	return nil
}

func (c *cli) taxiiPushCmd() *cobra.Command {
	var r taxiiRemote
	var from, maxTLP string
	cmd := &cobra.Command{
		Use:   "push API-ROOT-URL",
		Short: "Send the objects of a local collection to a remote one",
		Long: `push sends every version in the local collection --from that the organization
--org may see and whose TLP is at most --max-tlp to the remote collection, in
envelopes of at most 500 objects. TLP:RED is never sent. Exit status 1 when the
server refused any object.`,
		Example: `  rampart taxii push https://peer.example/taxii2/api/ --collection meridian-sltt --from meridian-sltt \
      --org "State of Meridian" --token "$TOKEN" --max-tlp amber`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkAPIRoot(args[0]); err != nil {
				return err
			}
			level, err := access.ParseTLP(maxTLP)
			if err != nil {
				return usageError{fmt.Errorf("--max-tlp: %w", err)}
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			return c.withTAXIIStore(cmd.Context(), r.org, from, func(ctx context.Context, store *sharing.Store, p access.Principal, coll sharing.Collection) error {
				if !coll.Readable(p) {
					return fmt.Errorf("this organization may not read collection %q", coll.Title)
				}
				var sum federation.PushResult
				q := sharing.Query{Collection: coll.ID, Limit: federation.PushBatch, Versions: []string{string(sharing.AllVersions)},
					TLPs: federation.AllowedTLPs(level)}
				for {
					page, err := store.Find(ctx, p, q)
					if err != nil {
						return err
					}
					var objs []stix.Object
					for _, v := range page.Versions {
						if !federation.Pushable(v, level, "") {
							continue
						}
						obj, err := v.Object()
						if err != nil {
							fmt.Fprintf(c.env.stderr, "not sent: %s does not parse: %v\n", v.StixID, err)
							continue
						}
						objs = append(objs, obj)
					}
					res, err := federation.PushObjects(ctx, client, args[0], r.collection, objs)
					sum.Add(res)
					if err != nil {
						_ = c.printPush(sum, r.asJSON)
						return fmt.Errorf("push stopped after %d objects: %w", sum.Sent, err)
					}
					if !page.More {
						break
					}
					q.After = page.Next
				}
				if err := c.printPush(sum, r.asJSON); err != nil {
					return err
				}
				if sum.Refused > 0 {
					return errReported
				}
				return nil
			})
		},
	}
	r.flags(cmd)
	cmd.Flags().StringVar(&from, "from", "", "the local collection, by id or alias (required)")
	cmd.Flags().StringVar(&maxTLP, "max-tlp", "green", "the most restricted TLP sent: clear, green, amber, amber+strict (RED never is)")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func (c *cli) printPush(s federation.PushResult, asJSON bool) error {
	if asJSON {
		return printJSON(c, s)
	}
	fmt.Fprintf(c.env.stdout, "%d sent: %d accepted, %d refused, %d pending\n", s.Sent, s.Accepted, s.Refused, s.Pending)
	if s.FirstRefusal != "" {
		fmt.Fprintf(c.env.stdout, "first refusal: %s\n", s.FirstRefusal)
	}
	return nil
}

// withTAXIIStore opens the store and resolves the organization, which acts
// as itself (user "cli"), and the local collection.
func (c *cli) withTAXIIStore(ctx context.Context, org, collection string, fn func(context.Context, *sharing.Store, access.Principal, sharing.Collection) error) error {
	d, err := c.openDB(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	ids := identity.NewStore(d)
	o, err := ids.OrgByName(ctx, org)
	if err != nil {
		return cliError(err)
	}
	p, err := ids.OrgPrincipal(ctx, o.ID, "cli")
	if err != nil {
		return err
	}
	store := sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{PublicFeed: c.cfg.PublicFeed})
	coll, err := store.Collection(ctx, sharing.DefaultAPIRoot, collection)
	if err != nil {
		return cliError(err)
	}
	return cliError(fn(ctx, store, p, coll))
}
