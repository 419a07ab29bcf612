package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Each engine has its own folder of migrations with the same version numbers,
// so a schema change is written once per dialect and reviewed side by side.
//
//go:embed migrations
var migrations embed.FS

// MigrationResult is one applied migration.
type MigrationResult struct {
	Version int64
	Source  string
}

// Migrate applies every pending migration and returns those it applied. On
// PostgreSQL an advisory lock makes replicas that start together take turns.
func (d *DB) Migrate(ctx context.Context) ([]MigrationResult, error) {
	p, err := d.provider()
	if err != nil {
		return nil, err
	}
	// An older binary must not run on a schema it does not know: goose
	// would find nothing to apply and start, and then misread what the
	// newer one wrote (compressed bodies, say).
	if current, err := p.GetDBVersion(ctx); err == nil {
		if sources := p.ListSources(); len(sources) > 0 && current > sources[len(sources)-1].Version {
			return nil, fmt.Errorf("database %s: its schema is at version %d, newer than this binary's %d: run the newer binary, or restore a backup from before it",
				d.where, current, sources[len(sources)-1].Version)
		}
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("database %s: migrate: %w", d.where, err)
	}
	out := make([]MigrationResult, 0, len(results))
	for _, r := range results {
		out = append(out, MigrationResult{Version: r.Source.Version, Source: r.Source.Path})
	}
	return out, nil
}

// SchemaVersion returns the current schema version and the newest one this
// binary knows.
func (d *DB) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := d.provider()
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("database %s: schema version: %w", d.where, err)
	}
	sources := p.ListSources()
	if n := len(sources); n > 0 {
		latest = sources[n-1].Version
	}
	return current, latest, nil
}

func (d *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(d.engine))
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	dialect := goose.DialectSQLite3
	if d.engine == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("db: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, d.write, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	return p, nil
}
