package taxiiserver

import (
	"encoding/base64"
	"encoding/binary"
	"hash/fnv"
	"slices"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/taxii"
)

// A paging token ("next") carries the cursor of the store: the date_added,
// in microseconds, of the last record of the page. date_added is unique
// within a collection and grows in commit order, so "after the cursor"
// continues exactly where the page ended, with no record repeated or
// skipped, however many records share a millisecond.
//
// The token also carries a fingerprint of the query it continues
// (endpoint, collection, object, match filters), so a token replayed with
// other filters is refused instead of silently paging a different result.
// added_after and limit are left out: a client may change its page size,
// or send added_after from the X-TAXII-Date-Added-Last header along with
// the token; both still combine correctly with the cursor.
//
// Tokens are not secret and need not be: whatever cursor a client forges,
// the query still goes through the access decision.

const tokenVersion = 1

// tokenLen is version (1) + cursor (8) + fingerprint (4).
const tokenLen = 13

// listing names an endpoint for fingerprints.
type listing byte

const (
	listObjects  listing = 'o'
	listManifest listing = 'm'
	listObject   listing = 'b'
	listVersions listing = 'v'
)

// query identifies what a token pages through.
type query struct {
	kind       listing
	collection string
	object     string
	filter     taxii.Filter
}

func (q query) fingerprint() uint32 {
	h := fnv.New32a()
	write := func(s string) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	write(string(q.kind))
	write(q.collection)
	write(q.object)
	for _, list := range [][]string{q.filter.IDs, q.filter.Types, q.filter.Versions, q.filter.SpecVersions} {
		// The order of match values does not change the result, so it
		// must not change the fingerprint either.
		sorted := slices.Sorted(slices.Values(list))
		write("|")
		for _, v := range sorted {
			write(v)
		}
	}
	return h.Sum32()
}

// encodeToken returns the token that continues q after cursor.
func encodeToken(q query, cursor int64) string {
	var b [tokenLen]byte
	b[0] = tokenVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(cursor))
	binary.BigEndian.PutUint32(b[9:], q.fingerprint())
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// decodeToken returns the cursor of a token given for q. Returns Invalid
// for anything this server did not give out for the same query.
func decodeToken(q query, token string) (int64, error) {
	bad := errs.E(errs.Invalid, "next: %q is not a paging token this server gave for this query.", clip(token))
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenLen || b[0] != tokenVersion {
		return 0, bad
	}
	cursor := int64(binary.BigEndian.Uint64(b[1:9]))
	if cursor <= 0 || binary.BigEndian.Uint32(b[9:]) != q.fingerprint() {
		return 0, bad
	}
	return cursor, nil
}

// clip shortens client input quoted back in an error message.
func clip(s string) string {
	const most = 64
	if len(s) <= most {
		return s
	}
	return s[:most] + "…"
}
