package taxii

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"

	"github.com/rampart-project/rampart/stix"
)

// ErrNoProgress is returned (wrapped) by AllObjects when the server's
// paging does not advance: a next token or an added_after it gave before,
// or the same page again. Such a server would otherwise keep a client
// fetching forever.
var ErrNoProgress = errors.New("taxii: paging made no progress")

// AllObjects returns an iterator over every object of a collection that f
// selects, fetching pages as the loop needs them. It pages as the server
// says: with the next token when the response has one; when a response
// says more without a next token, with added_after set to the page's
// X-TAXII-Date-Added-Last header, which the specification describes for
// servers that page by date. It stops when a response says no more.
//
// An error ends the iteration: it is yielded once with a zero object. A
// server that says more but gives neither a token nor the header, or whose
// paging repeats itself (ErrNoProgress), is an error, not an endless loop.
// Objects yielded before the error stay valid.
func (c *Client) AllObjects(ctx context.Context, rootURL, collectionID string, f Filter) iter.Seq2[stix.Object, error] {
	return func(yield func(stix.Object, error) bool) {
		seenNext := map[string]bool{}
		if f.Next != "" {
			seenNext[f.Next] = true
		}
		var prev [sha256.Size]byte
		for n := 1; ; n++ {
			page, err := c.Objects(ctx, rootURL, collectionID, f)
			if err != nil {
				yield(stix.Object{}, err)
				return
			}
			// Checked before yielding, so a repeated page is not
			// handed to the caller twice.
			sum := pageSum(page.Objects)
			if n > 1 && len(page.Objects) > 0 && sum == prev {
				yield(stix.Object{}, fmt.Errorf("%w: page %d repeats page %d", ErrNoProgress, n, n-1))
				return
			}
			prev = sum
			for _, obj := range page.Objects {
				if !yield(obj, nil) {
					return
				}
			}
			if !page.More {
				return
			}
			switch {
			case page.Next != "":
				if seenNext[page.Next] {
					yield(stix.Object{}, fmt.Errorf("%w: page %d gave next token %q again", ErrNoProgress, n, page.Next))
					return
				}
				seenNext[page.Next] = true
				f.Next = page.Next
			case !page.DateAddedLast.IsZero():
				if !page.DateAddedLast.After(f.AddedAfter) {
					yield(stix.Object{}, fmt.Errorf("%w: page %d says more but its %s %s is not after added_after %s",
						ErrNoProgress, n, HeaderDateAddedLast, FormatTimestamp(page.DateAddedLast), FormatTimestamp(f.AddedAfter)))
					return
				}
				f.AddedAfter = page.DateAddedLast
				f.Next = ""
			default:
				yield(stix.Object{}, fmt.Errorf("taxii: page %d says more but has neither next nor %s", n, HeaderDateAddedLast))
				return
			}
		}
	}
}

// pageSum fingerprints a page's objects by their bytes, length-prefixed so
// that different splits of the same bytes differ.
func pageSum(objs []stix.Object) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, o := range objs {
		raw := o.Raw()
		binary.BigEndian.PutUint64(n[:], uint64(len(raw)))
		h.Write(n[:])
		h.Write(raw)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}
