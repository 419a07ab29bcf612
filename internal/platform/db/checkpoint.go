package db

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite's WAL has to be copied back into the database file now and then
// (a checkpoint). By default the connection whose commit pushes the WAL past
// 1,000 pages does it, inside that commit: a bulk import then spends about
// a fifth of its time copying pages while holding the only write lock. The
// writer connection turns that off (wal_autocheckpoint(0)) and a
// checkpointer does it on a connection of its own, beside the writer: a
// PASSIVE checkpoint never waits for the writer or readers, and copies what
// they have let go of.

// checkpointEvery is how often the checkpointer looks at the WAL.
const checkpointEvery = 200 * time.Millisecond

// walLimitPages is when a checkpoint that could not finish (readers kept
// old pages, or writes outran it) asks to be run again at once rather than
// at the next tick, so the WAL stays near its normal size.
const walLimitPages = 4000

type checkpointer struct {
	conn *sql.DB
	stop chan struct{}
	done sync.WaitGroup
}

func startCheckpointer(path string) (*checkpointer, error) {
	conn, err := sql.Open("sqlite", sqliteDSN(path, checkpointConn))
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	c := &checkpointer{conn: conn, stop: make(chan struct{})}
	c.done.Add(1)
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer c.done.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		for c.passive() > walLimitPages {
			select {
			case <-c.stop:
				return
			default:
			}
		}
	}
}

// passive runs one PASSIVE checkpoint and returns the pages left in the WAL
// that it could not copy.
func (c *checkpointer) passive() int {
	var busy, logPages, copied int
	if err := c.conn.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logPages, &copied); err != nil {
		return 0
	}
	return logPages - copied
}

// close stops the checkpointer after a last checkpoint that empties the
// WAL, so a closed database is one file.
func (c *checkpointer) close() error {
	close(c.stop)
	c.done.Wait()
	_, _ = c.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`)
	return c.conn.Close()
}
