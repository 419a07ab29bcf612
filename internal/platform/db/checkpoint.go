package db

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// SQLite's WAL has to be copied back into the database file now and then
// (a checkpoint). By default the connection whose commit pushes the WAL past
// 1,000 pages does it, inside that commit: a bulk import then spends about
// a fifth of its time copying pages while holding the only write lock. A
// checkpointer does the copying on a connection of its own, beside the
// writer: a PASSIVE checkpoint never waits for the writer or readers, and
// copies what they have let go of.
//
// The writer still checkpoints, at a higher mark (writerCheckpointPages),
// because only it can start the WAL over: SQLite rewinds the log when a
// write transaction begins with every frame copied, and a writer that
// commits back to back always begins before a checkpointer beside it has
// finished — without this the WAL of a long import grew to four times the
// database. By then the checkpointer has copied nearly everything, so the
// writer's own checkpoint is short.

// writerCheckpointPages is the WAL size (in pages) at which a commit of
// the writer checkpoints and so lets the next transaction rewind the log:
// 16 MiB with 4 KiB pages.
const writerCheckpointPages = 4000

// checkpointEvery is how often the checkpointer looks at the WAL.
const checkpointEvery = 200 * time.Millisecond

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
		// One checkpoint a tick: a reader holding an old snapshot keeps
		// pages from being copied however often it runs, and the WAL's
		// size is the writer's to bound (writerCheckpointPages).
		_, _ = c.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
	}
}

// checkpointAll copies the whole WAL into the database file and empties
// it, waiting for readers and the writer to let go of it (busy_timeout).
func (c *checkpointer) checkpointAll(ctx context.Context) error {
	var busy, frames, copied int
	if err := c.conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied); err != nil {
		return err
	}
	if busy != 0 {
		return errors.New("db: checkpoint: the WAL is still in use")
	}
	return nil
}

// close stops the checkpointer after a last checkpoint that empties the
// WAL, so a closed database is one file.
func (c *checkpointer) close() error {
	close(c.stop)
	c.done.Wait()
	_, _ = c.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`)
	return c.conn.Close()
}
