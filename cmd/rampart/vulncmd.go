package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

// kevCmd and cveCmd import vulnerability sources as STIX vulnerability
// objects, submitted by the coordinator organization; storing them
// triggers notify's matching of every inventory.
func (c *cli) kevCmd() *cobra.Command {
	var org string
	cmd := &cobra.Command{Use: "kev", Short: "CISA Known Exploited Vulnerabilities catalog"}
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Import the KEV catalog (its JSON feed) as TLP:CLEAR vulnerability objects",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			cat, bad, err := notify.ParseKEV(f)
			if err != nil {
				return cliError(err)
			}
			for _, e := range bad {
				fmt.Fprintf(c.env.stderr, "%s: %v\n", args[0], e)
			}
			objs := make([]stix.Object, 0, len(cat.Vulnerabilities))
			for _, v := range cat.Vulnerabilities {
				o, err := notify.KEVObject(v)
				if err != nil {
					return err
				}
				objs = append(objs, o)
			}
			return c.ingestVulnerabilities(cmd.Context(), org, objs, len(bad))
		},
	}
	imp.Flags().StringVar(&org, "org", "", "submitting organization (default: the instance's coordinator organization)")
	cmd.AddCommand(imp)
	return cmd
}

func (c *cli) cveCmd() *cobra.Command {
	var org string
	cmd := &cobra.Command{Use: "cve", Short: "CVE JSON 5 records"}
	imp := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import CVE JSON 5 records as TLP:CLEAR vulnerability objects",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var objs []stix.Object
			bad := 0
			for _, path := range args {
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				rec, err := notify.ParseCVERecord(data)
				if err == nil {
					var o stix.Object
					if o, err = notify.CVEObject(rec); err == nil {
						objs = append(objs, o)
						continue
					}
				}
				bad++
				fmt.Fprintf(c.env.stderr, "%s: %v\n", path, err)
			}
			return c.ingestVulnerabilities(cmd.Context(), org, objs, bad)
		},
	}
	imp.Flags().StringVar(&org, "org", "", "submitting organization (default: the instance's coordinator organization)")
	cmd.AddCommand(imp)
	return cmd
}

func (c *cli) ingestVulnerabilities(ctx context.Context, orgName string, objs []stix.Object, bad int) error {
	d, err := c.openDB(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	ids := identity.NewStore(d)
	var org *identity.Organization
	if orgName != "" {
		if org, err = ids.OrgByName(ctx, orgName); err != nil {
			return cliError(err)
		}
	} else {
		orgs, err := ids.Orgs(ctx)
		if err != nil {
			return err
		}
		for i := range orgs {
			if orgs[i].Kind == identity.KindCoordinator {
				org = &orgs[i]
				break
			}
		}
		if org == nil {
			return usageError{fmt.Errorf("there is no coordinator organization; name one with --org")}
		}
	}
	principal, err := ids.OrgPrincipal(ctx, org.ID, "cli")
	if err != nil {
		return err
	}
	store := sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{PublicFeed: c.cfg.PublicFeed})
	sub := sharing.Submission{Source: sharing.SourceImport, DefaultTLP: access.Clear, Actor: "cli", Principal: principal}
	rep, err := store.Ingest(ctx, sub, objs)
	if err != nil {
		return cliError(err)
	}
	for _, o := range rep.Outcomes {
		if o.Status == sharing.StatusRejected {
			fmt.Fprintf(c.env.stderr, "%s: rejected: %v\n", o.ID, o.Errors)
		}
	}
	fmt.Fprintf(c.env.stdout, "%d added, %d unchanged, %d rejected, %d unreadable (submitted as %s)\n", rep.Added, rep.Unchanged, rep.Rejected, bad, org.Name)
	if rep.Rejected > 0 || bad > 0 {
		return errReported
	}
	return nil
}
