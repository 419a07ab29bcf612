package db

import (
	"crypto/sha256"
	"database/sql/driver"
	"encoding/binary"
	"fmt"

	"modernc.org/sqlite"
)

// Key64 is a compact, fixed-width index key for a pair of strings: the
// first 8 bytes of SHA-256 of "a b", as a signed 64-bit integer. An index
// of such keys is a fraction of the size of one of the strings themselves
// (a STIX id is 45 to 70 bytes), so a batch of random inserts dirties that
// many fewer pages. SHA-256 rather than a fast hash: nobody can choose an
// id whose key is that of someone else's, which would take a second
// preimage of 64 bits. Distinct pairs may still share a key by chance (one
// in 2^64 per pair), so a lookup checks what it finds.
//
// Both engines compute the same key in SQL as key64(a, b): a function
// registered with SQLite here, and one the PostgreSQL migrations create.
// The value is stored: it must never change.
func Key64(a, b string) int64 {
	h := sha256.New()
	h.Write([]byte(a))
	h.Write([]byte{' '})
	h.Write([]byte(b))
	var sum [sha256.Size]byte
	return int64(binary.BigEndian.Uint64(h.Sum(sum[:0])))
}

func init() {
	err := sqlite.RegisterDeterministicScalarFunction("key64", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var s [2]string
		for i, v := range args {
			switch v := v.(type) {
			case string:
				s[i] = v
			case []byte:
				s[i] = string(v)
			default:
				return nil, fmt.Errorf("key64: argument %d is %T, not text", i+1, v)
			}
		}
		return Key64(s[0], s[1]), nil
	})
	if err != nil {
		panic(err) // only if registered twice: a programming error
	}
}
