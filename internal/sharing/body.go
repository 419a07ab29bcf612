package sharing

import (
	"bytes"
	"database/sql"
	"fmt"

	"github.com/klauspost/compress/s2"
)

// A version's body is stored as the JSON it was received as, or — when
// that saves an eighth or more — compressed: a 0 byte (no JSON text
// begins with one) and an S2 block. ATT&CK's 46 MB of bodies store as
// 27 MB, so an import writes a third fewer pages, and a page of a large
// store holds that many more objects (decision 30). Readers go through
// OpenBody; the content hash is of the JSON.
const compressedBody = 0x00

// maxBodyBytes bounds what a stored body may claim to decompress to, so a
// damaged one cannot ask for gigabytes.
const maxBodyBytes = 1 << 28

// packBody returns what to store for the JSON js.
func packBody(js []byte) []byte {
	buf := make([]byte, 1+s2.MaxEncodedLen(len(js)))
	enc := s2.EncodeBetter(buf[1:], js)
	if len(enc) > len(js)-len(js)/8 {
		return js
	}
	buf[0] = compressedBody
	return buf[:1+len(enc)]
}

// OpenBody returns the JSON of a stored body.
func OpenBody(stored []byte) ([]byte, error) {
	if !packed(stored) {
		return stored, nil
	}
	if n, err := s2.DecodedLen(stored[1:]); err != nil || n > maxBodyBytes {
		return nil, fmt.Errorf("sharing: a stored body does not decompress: it claims %d bytes (%v)", n, err)
	}
	js, err := s2.Decode(nil, stored[1:])
	if err != nil {
		return nil, fmt.Errorf("sharing: a stored body does not decompress: %w", err)
	}
	return js, nil
}

// StoredJSON is a scan destination for a stored body: it sets *dst to the
// body's JSON.
func StoredJSON(dst *[]byte) sql.Scanner { return bodyScanner{dst} }

type bodyScanner struct{ dst *[]byte }

func (b bodyScanner) Scan(src any) error {
	var raw []byte
	switch v := src.(type) {
	case nil:
		*b.dst = nil
		return nil
	case []byte:
		raw = v
	case string:
		raw = []byte(v)
	default:
		return fmt.Errorf("sharing: a body of type %T", src)
	}
	if !packed(raw) {
		*b.dst = bytes.Clone(raw) // the driver may reuse src
		return nil
	}
	js, err := OpenBody(raw)
	*b.dst = js
	return err
}

func packed(stored []byte) bool { return len(stored) > 0 && stored[0] == compressedBody }
