package db

import (
	"context"
	"database/sql"
	"sync"
)

// SQLite compiles a statement each time it is prepared, and database/sql
// prepares every QueryContext on a *sql.DB anew: for a TAXII page the
// compiling of its query (the access predicate, the version filter) was a
// seventh of the page's CPU, and the caller's identity queries paid it
// again. stmtCache keeps the prepared statements of the reader pool by
// text; database/sql keeps each one prepared on the connections that have
// run it. (pgx caches statements itself, so PostgreSQL does not use this.)
type stmtCache struct {
	pool *sql.DB
	mu   sync.Mutex
	byQ  map[string]*sql.Stmt
}

// stmtCacheSize bounds the cache. Query texts differ by shape (filters
// given, the length of an IN list), not by values, so a server has some
// dozens; the bound is for callers that build many, and for memory: each
// text may be prepared on every reader connection.
const stmtCacheSize = 128

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, byQ: map[string]*sql.Stmt{}}
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	s := c.byQ[query]
	c.mu.Unlock()
	if s != nil {
		return s, nil
	}
	s, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.byQ[query]; prev != nil {
		s.Close() // prepared twice at once; keep the first
		return prev, nil
	}
	if len(c.byQ) >= stmtCacheSize {
		// Evict one at random (map order). Closing a statement that a
		// query is still reading is safe: database/sql closes it on that
		// connection once the rows are done.
		for q, old := range c.byQ {
			old.Close()
			delete(c.byQ, q)
			break
		}
	}
	c.byQ[query] = s
	return s, nil
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext reports a failure to prepare through the returned Row,
// as *sql.DB does: database/sql offers no way to make a Row with an error,
// so the pool runs the query unprepared and returns its error.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return c.pool.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.byQ {
		s.Close()
		delete(c.byQ, q)
	}
}
