package audit_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
)

// BenchmarkAppend measures one entry appended in its own write transaction,
// the way a module records a change: serially, and from many goroutines
// (which on PostgreSQL contend for the advisory lock).
func BenchmarkAppend(b *testing.B) {
	for _, engine := range dbtest.Engines() {
		b.Run(string(engine)+"/serial", func(b *testing.B) {
			d := dbtest.Open(b, engine)
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				if err := d.Tx(ctx, func(tx *sql.Tx) error {
					_, err := audit.Append(ctx, tx, d.Engine(), sample(i))
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(engine)+"/parallel", func(b *testing.B) {
			d := dbtest.Open(b, engine)
			ctx := context.Background()
			b.SetParallelism(4)
			b.ResetTimer() // RunParallel does not, unlike b.Loop
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := d.Tx(ctx, func(tx *sql.Tx) error {
						_, err := audit.Append(ctx, tx, d.Engine(), sample(7))
						return err
					}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkVerify measures how fast Verify walks a log of 20,000 entries,
// reported as entries per second.
func BenchmarkVerify(b *testing.B) {
	const n = 20000
	for _, engine := range dbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			d := dbtest.Open(b, engine)
			for first := 0; first < n; first += 5000 {
				appendN(b, d, first, 5000)
			}
			for b.Loop() {
				rep, err := audit.Verify(context.Background(), d)
				if err != nil || rep.Checked != n {
					b.Fatalf("%v %+v", err, rep)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
