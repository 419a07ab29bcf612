package taxii

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/rampart-project/rampart/stix"
)

// Page is one response of the objects or object endpoint: the envelope and
// the X-TAXII-Date-Added-First/Last headers, zero when the server left them
// out. DateAddedLast is what a client pages on when the server says more
// without giving a next token.
type Page struct {
	Envelope
	DateAddedFirst time.Time
	DateAddedLast  time.Time
}

// Discovery fetches the discovery resource at discoveryURL (typically
// https://host/taxii2/).
func (c *Client) Discovery(ctx context.Context, discoveryURL string) (*Discovery, error) {
	if _, err := checkURL(discoveryURL); err != nil {
		return nil, err
	}
	var d Discovery
	if _, err := c.getJSON(ctx, discoveryURL, nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// APIRoot fetches the information about an API root.
func (c *Client) APIRoot(ctx context.Context, rootURL string) (*APIRoot, error) {
	var r APIRoot
	if err := c.get(ctx, &r, nil, rootURL); err != nil {
		return nil, err
	}
	return &r, nil
}

// Collections lists the collections of an API root.
func (c *Client) Collections(ctx context.Context, rootURL string) (*Collections, error) {
	var cs Collections
	if err := c.get(ctx, &cs, nil, rootURL, "collections"); err != nil {
		return nil, err
	}
	return &cs, nil
}

// Collection fetches one collection. A collection the requester may not
// see is an *Error with StatusCode 404 (or 403), never a nil result.
func (c *Client) Collection(ctx context.Context, rootURL, id string) (*Collection, error) {
	var coll Collection
	if err := c.get(ctx, &coll, nil, rootURL, "collections", id); err != nil {
		return nil, err
	}
	return &coll, nil
}

// Objects fetches one page of a collection's objects. To read them all,
// use AllObjects, which follows the paging.
func (c *Client) Objects(ctx context.Context, rootURL, collectionID string, f Filter) (*Page, error) {
	return c.page(ctx, f, rootURL, "collections", collectionID, "objects")
}

// Object fetches the versions of one object that f selects (by default the
// latest), as a page because an object may have more versions than fit in
// one response.
func (c *Client) Object(ctx context.Context, rootURL, collectionID, objectID string, f Filter) (*Page, error) {
	return c.page(ctx, f, rootURL, "collections", collectionID, "objects", objectID)
}

// Versions lists the versions of one object.
func (c *Client) Versions(ctx context.Context, rootURL, collectionID, objectID string, f Filter) (*Versions, error) {
	var v Versions
	if err := c.get(ctx, &v, &f, rootURL, "collections", collectionID, "objects", objectID, "versions"); err != nil {
		return nil, err
	}
	return &v, nil
}

// Manifest fetches one page of a collection's manifest.
func (c *Client) Manifest(ctx context.Context, rootURL, collectionID string, f Filter) (*Manifest, error) {
	var m Manifest
	if err := c.get(ctx, &m, &f, rootURL, "collections", collectionID, "manifest"); err != nil {
		return nil, err
	}
	return &m, nil
}

// DeleteObject deletes the versions of one object that f selects
// (match[version], match[spec_version]); with the zero Filter the server
// deletes every version.
func (c *Client) DeleteObject(ctx context.Context, rootURL, collectionID, objectID string, f Filter) error {
	u, err := endpoint(rootURL, "collections", collectionID, "objects", objectID)
	if err != nil {
		return err
	}
	if q := f.Values(); len(q) > 0 {
		u += "?" + q.Encode()
	}
	_, err = c.do(ctx, http.MethodDelete, u, nil)
	return err
}

// AddObjects posts objects to a collection in one envelope and returns the
// status resource the server answers with, which may still be pending (see
// WaitStatus). Each object is sent as the exact bytes it was parsed from.
//
// Objects are not split across requests: keep the envelope under the API
// root's MaxContentLength, or the server answers 413.
func (c *Client) AddObjects(ctx context.Context, rootURL, collectionID string, objects []stix.Object) (*Status, error) {
	u, err := endpoint(rootURL, "collections", collectionID, "objects")
	if err != nil {
		return nil, err
	}
	if len(objects) == 0 {
		return nil, fmt.Errorf("taxii: add objects to %s: no objects", u)
	}
	// Written by hand because encoding/json would compact and re-escape
	// each object's bytes, and the point of stix.Object is to send them
	// as they came.
	var buf bytes.Buffer
	buf.WriteString(`{"objects":[`)
	for i, obj := range objects {
		raw := obj.Raw()
		if len(raw) == 0 {
			return nil, fmt.Errorf("taxii: add objects to %s: object %d is empty", u, i)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(raw)
	}
	buf.WriteString(`]}`)
	res, err := c.do(ctx, http.MethodPost, u, buf.Bytes())
	if err != nil {
		return nil, err
	}
	var st Status
	if err := res.decode(&st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Status fetches the status of an add-objects request.
func (c *Client) Status(ctx context.Context, rootURL, statusID string) (*Status, error) {
	var st Status
	if err := c.get(ctx, &st, nil, rootURL, "status", statusID); err != nil {
		return nil, err
	}
	return &st, nil
}

// WaitStatus polls a status resource every pollEvery (1s when not
// positive) until its status is complete, and returns it. On an error,
// such as ctx ending first, it also returns the last status it saw (nil if
// none), so the caller can tell how far the server got.
func (c *Client) WaitStatus(ctx context.Context, rootURL, statusID string, pollEvery time.Duration) (*Status, error) {
	if pollEvery <= 0 {
		pollEvery = time.Second
	}
	var last *Status
	for {
		st, err := c.Status(ctx, rootURL, statusID)
		if err != nil {
			return last, err
		}
		if st.Status == StatusComplete {
			return st, nil
		}
		last = st
		if err := sleep(ctx, pollEvery); err != nil {
			return last, fmt.Errorf("taxii: wait for status %s: %w", statusID, err)
		}
	}
}

// get GETs the endpoint below rootURL named by segments, with f's
// parameters when f is not nil, and decodes the response into out.
func (c *Client) get(ctx context.Context, out any, f *Filter, rootURL string, segments ...string) error {
	u, err := endpoint(rootURL, segments...)
	if err != nil {
		return err
	}
	var q url.Values
	if f != nil {
		q = f.Values()
	}
	_, err = c.getJSON(ctx, u, q, out)
	return err
}

func (c *Client) page(ctx context.Context, f Filter, rootURL string, segments ...string) (*Page, error) {
	u, err := endpoint(rootURL, segments...)
	if err != nil {
		return nil, err
	}
	var p Page
	h, err := c.getJSON(ctx, u, f.Values(), &p.Envelope)
	if err != nil {
		return nil, err
	}
	for _, hv := range []struct {
		name string
		dst  *time.Time
	}{{HeaderDateAddedFirst, &p.DateAddedFirst}, {HeaderDateAddedLast, &p.DateAddedLast}} {
		v := h.Get(hv.name)
		if v == "" {
			continue
		}
		if *hv.dst, err = ParseTimestamp(v); err != nil {
			return nil, fmt.Errorf("taxii: GET %s: %s: %w", u, hv.name, err)
		}
	}
	return &p, nil
}
