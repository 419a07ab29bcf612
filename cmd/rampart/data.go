package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

// openDB opens and migrates the database the flags name, so that commands
// work on the same data as a running server, or before one has started.
func (c *cli) openDB(ctx context.Context) (*db.DB, error) {
	d, err := app.OpenDB(ctx, c.cfg, c.logger)
	if err != nil {
		return nil, &app.StartupError{Err: err}
	}
	if _, err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// withStore runs fn with the identity store of the configured database.
func (c *cli) withStore(ctx context.Context, fn func(d *db.DB, s *identity.Store) error) error {
	d, err := c.openDB(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	return cliError(fn(d, identity.NewStore(d)))
}

// audited runs fn in a write transaction and records what it did in the
// audit log in the same transaction, with the command line as the actor.
func audited(ctx context.Context, d *db.DB, entry func() audit.Entry, fn func(tx *sql.Tx) error) error {
	return d.Tx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		e := entry()
		e.ActorLabel = "cli"
		_, err := audit.Append(ctx, tx, d.Engine(), e)
		return err
	})
}

// cliError turns a domain error into its message alone: the person at the
// terminal needs "There is no organization X", not a wrapped chain.
func cliError(err error) error {
	var e *errs.Error
	if errors.As(err, &e) && e.Code != errs.Internal {
		return errors.New(e.Message)
	}
	return err
}

func printJSON(c *cli, v any) error {
	enc := json.NewEncoder(c.env.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func table(c *cli, header string, rows [][]any) error {
	tw := tabwriter.NewWriter(c.env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		for i, cell := range r {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, cell)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
