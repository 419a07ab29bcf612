package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

func (c *cli) inventoryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Import and list what organizations own, for notifications",
		Long: `An organization's inventory is what Rampart matches threat information
against to tell it what affects it: networks (IPv4 and IPv6 CIDRs), AS numbers,
domains (with their subdomains), e-mail domains, public URLs, and software as
CPE 2.3 names or package URLs with versions. Only the organization and the
instance's coordinators see it.`,
	}
	cmd.AddCommand(c.inventoryImportCmd(), c.inventoryListCmd())
	return cmd
}

type inventoryImportOptions struct {
	org, format     string
	replace, asJSON bool
}

func (c *cli) inventoryImportCmd() *cobra.Command {
	var o inventoryImportOptions
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Add the entries of a CSV or JSON file to an organization's inventory",
		Long: `import reads FILE ("-" for standard input) and adds its entries to the
inventory of --org. CSV has a header naming the columns kind,value,version (any
order, version optional); JSON is an array of {"kind", "value", "version"}
objects, or {"items": [...]}, as "inventory list --json" prints it. kind is one
of cidr, asn, domain, email-domain, url, cpe, purl.

Every line is checked: bad ones are reported with their line number and reason,
the good ones are stored; entries the inventory already has are kept as they
are. With --replace the file becomes the whole inventory (entries not in it are
removed), and nothing is changed if any line is rejected. Exit status 1 when a
line was rejected.`,
		Example: `  rampart inventory import --org "Example County" inventory.csv
  rampart inventory list --org "Example County" --json > inv.json && rampart inventory import --org "Example County" --replace inv.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.org == "" {
				return usageError{errors.New("name the organization with --org NAME")}
			}
			switch o.format {
			case "auto", "csv", "json":
			default:
				return usageError{fmt.Errorf("--format %q: use auto, csv or json", o.format)}
			}
			return c.runInventoryImport(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.org, "org", "", "organization, by name or id (required)")
	f.StringVar(&o.format, "format", "auto", "auto (by extension, else by content), csv or json")
	f.BoolVar(&o.replace, "replace", false, "make the file the whole inventory: remove entries not in it")
	f.BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	return cmd
}

// inventoryReport is what import prints.
type inventoryReport struct {
	File     string             `json:"file"`
	Format   string             `json:"format"`
	Valid    int                `json:"valid"`
	Added    int                `json:"added"`
	Kept     int                `json:"kept"`
	Removed  int                `json:"removed"`
	Rejected []notify.Rejection `json:"rejected"`
	Warnings []notify.Warning   `json:"warnings"`
	Changed  bool               `json:"changed"`
}

func (c *cli) runInventoryImport(ctx context.Context, path string, o inventoryImportOptions) error {
	var r io.Reader = c.env.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return usageError{fmt.Errorf("%s: %w", path, unwrapPath(err))}
		}
		defer f.Close()
		r = f
	}
	format := o.format
	if format == "auto" {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".csv":
			format = "csv"
		case ".json":
			format = "json"
		}
	}
	var parsed notify.Parsed
	var err error
	switch format {
	case "csv":
		parsed, err = notify.ParseCSV(r)
	case "json":
		parsed, err = notify.ParseJSON(r)
	default:
		parsed, err = notify.Parse(r)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, cliError(err))
	}
	rep := inventoryReport{File: path, Format: parsed.Format, Valid: len(parsed.Items), Rejected: parsed.Rejected, Warnings: parsed.Warnings}
	if rep.Rejected == nil {
		rep.Rejected = []notify.Rejection{}
	}
	if rep.Warnings == nil {
		rep.Warnings = []notify.Warning{}
	}

	d, err := c.openDB(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	org, err := identity.NewStore(d).OrgByName(ctx, o.org)
	if err != nil {
		return cliError(err)
	}
	store := notify.NewStore(d)
	actor := notify.Actor{Label: "cli"}
	switch {
	case o.replace && len(parsed.Rejected) > 0:
		// Replacing with a partial file would delete what the rejected
		// lines meant to keep.
	case o.replace:
		res, err := store.Replace(ctx, org.ID, parsed.Items, actor)
		if err != nil {
			return cliError(err)
		}
		rep.Added, rep.Kept, rep.Removed, rep.Changed = res.Added, res.Kept, res.Removed, true
	case len(parsed.Items) > 0:
		res, err := store.Import(ctx, org.ID, parsed.Items, actor)
		if err != nil {
			return cliError(err)
		}
		rep.Added, rep.Kept, rep.Changed = res.Added, res.Kept, true
	}
	if err := c.printInventoryReport(rep, org.Name, o); err != nil {
		return err
	}
	if len(rep.Rejected) > 0 {
		return errReported
	}
	return nil
}

func (c *cli) printInventoryReport(rep inventoryReport, orgName string, o inventoryImportOptions) error {
	if o.asJSON {
		return printJSON(c, rep)
	}
	w := c.env.stdout
	removed := ""
	if o.replace {
		removed = fmt.Sprintf(", %d removed", rep.Removed)
	}
	fmt.Fprintf(w, "%s (%s) into %s: %d added, %d kept, %d rejected%s\n",
		rep.File, rep.Format, orgName, rep.Added, rep.Kept, len(rep.Rejected), removed)
	const shown = 100
	for i, r := range rep.Rejected {
		if i == shown {
			fmt.Fprintf(w, "  ... and %d more (use --json for all)\n", len(rep.Rejected)-shown)
			break
		}
		fmt.Fprintf(w, "  line %d: rejected: %s\n", r.Line, r.Reason)
	}
	for i, wn := range rep.Warnings {
		if i == shown {
			fmt.Fprintf(w, "  ... and %d more warnings\n", len(rep.Warnings)-shown)
			break
		}
		fmt.Fprintf(w, "  line %d: warning: %s\n", wn.Line, wn.Message)
	}
	if o.replace && !rep.Changed {
		fmt.Fprintln(w, "  nothing was changed: with --replace, every line must be valid")
	}
	return nil
}

func (c *cli) inventoryListCmd() *cobra.Command {
	var org, kind string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List an organization's inventory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if org == "" {
				return usageError{errors.New("name the organization with --org NAME")}
			}
			if kind != "" {
				k, err := notify.ParseKind(kind)
				if err != nil {
					return usageError{fmt.Errorf("--kind: %w", cliError(err))}
				}
				kind = string(k)
			}
			ctx := cmd.Context()
			d, err := c.openDB(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			o, err := identity.NewStore(d).OrgByName(ctx, org)
			if err != nil {
				return cliError(err)
			}
			// The command line acts as the organization, like import --org.
			p := access.Principal{UserID: "cli", OrgID: o.ID}
			entries, _, err := notify.NewStore(d).List(ctx, p, o.ID, notify.ListQuery{Kind: notify.Kind(kind)})
			if err != nil {
				return cliError(err)
			}
			if asJSON {
				if entries == nil {
					entries = []notify.Entry{}
				}
				return printJSON(c, entries)
			}
			rows := make([][]any, len(entries))
			for i, e := range entries {
				rows[i] = []any{e.Kind, e.Value, e.Version, e.AddedAt.Format("2006-01-02 15:04"), e.AddedBy}
			}
			return table(c, "KIND\tVALUE\tVERSION\tADDED\tBY", rows)
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "organization, by name or id (required)")
	cmd.Flags().StringVar(&kind, "kind", "", "only entries of this kind")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (which inventory import reads)")
	return cmd
}
