package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

func (c *cli) auditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify and read the hash-chained audit log",
		Long: `The audit log records every write, sign-in, token use for a write and read of
TLP:AMBER+STRICT and TLP:RED content. Each entry carries the hash of the one before,
so changing, removing or reordering entries is detectable with "audit verify".`,
	}
	cmd.AddCommand(c.auditVerifyCmd(), c.auditListCmd())
	return cmd
}

func (c *cli) auditVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check the whole audit log's hash chain; exit 1 if it is broken",
		Long: `verify reads every entry in order and checks its hash, its link to the entry
before, that no entry is missing, and that the log ends where the head record says.
It prints "audit log intact: N entries" and exits 0, or "audit log broken at entry N:
REASON" and exits 1.

It also prints the newest entry's hash. Keep a copy of it somewhere else: someone
who can write the database freely could rewrite the whole log consistently, and
only a hash kept elsewhere that no longer appears in the log reveals that.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			d, err := c.openDB(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			rep, err := audit.Verify(ctx, d)
			if err != nil {
				return err
			}
			if b := rep.FirstBroken; b != nil {
				fmt.Fprintf(c.env.stdout, "audit log broken at entry %d: %s\n", b.Seq, b.Reason)
				return exitError{code: 1}
			}
			fmt.Fprintf(c.env.stdout, "audit log intact: %d entries\n", rep.Checked)
			if rep.HeadSeq > 0 {
				fmt.Fprintf(c.env.stdout, "newest entry %d has hash %s\n", rep.HeadSeq, rep.HeadHash)
			}
			return nil
		},
	}
}

func (c *cli) auditListCmd() *cobra.Command {
	var f audit.Filter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Print audit log entries, newest first",
		Long: `list prints entries newest first. --org keeps one organization's entries, --action
those whose action starts with the prefix given ("user." for everything about
users). When more entries remain, the last line says which --before to pass for
the next page.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			d, err := c.openDB(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			list, next, err := audit.List(ctx, d.Reader(), f)
			if errs.Is(err, errs.Invalid) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if asJSON {
				if list == nil {
					list = []audit.Entry{}
				}
				enc := json.NewEncoder(c.env.stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Entries []audit.Entry `json:"entries"`
					Next    string        `json:"next"`
				}{list, next})
			}
			tw := tabwriter.NewWriter(c.env.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ENTRY\tTIME (UTC)\tACTOR\tACTION\tTARGET\tORGANIZATION")
			for _, e := range list {
				target := e.TargetKind
				if e.TargetID != "" {
					target += " " + e.TargetID
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.Format("2006-01-02 15:04:05"),
					dash(e.ActorLabel), e.Action, dash(target), dash(e.OrgScope))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if next != "" {
				fmt.Fprintf(c.env.stdout, "more: --before %s\n", next)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.OrgScope, "org", "", "only entries concerning this organization id")
	fl.StringVar(&f.Action, "action", "", "only entries whose action starts with this prefix")
	fl.StringVar(&f.Before, "before", "", "only entries older than this cursor (from the previous page)")
	fl.IntVar(&f.Limit, "limit", audit.DefaultLimit, fmt.Sprintf("entries per page, at most %d", audit.MaxLimit))
	fl.BoolVar(&asJSON, "json", false, `print {"entries": [...], "next": "cursor"} as JSON`)
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
