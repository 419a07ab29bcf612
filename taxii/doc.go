// Package taxii implements the resources and a client of TAXII 2.1 (OASIS
// Committee Specification 01), the HTTP protocol Rampart uses to exchange
// STIX 2.1 content with other sharing platforms.
//
// The resource types (Discovery, APIRoot, Collection, Envelope, Manifest,
// Versions, Status, Error) carry the JSON names of the specification, so a
// server can encode them and a client can decode them without a translation
// layer. Envelope holds its objects as stix.Object, which keeps the bytes
// each object arrived as: content pulled from one server and pushed to
// another keeps its custom properties and extensions intact.
//
// Servers use AcceptsTAXII and IsTAXIIContentType for content negotiation
// and ParseFilter to read the filter parameters of the objects, manifest and
// versions endpoints; clients build the same parameters with Filter.Values.
// FormatTimestamp and ParseTimestamp handle the microsecond-precision form
// of date_added and of the X-TAXII-Date-Added-First/Last headers.
//
// Client talks to a remote TAXII server. It retries what is worth retrying
// (network errors, 429, 502, 503, 504, honouring Retry-After), limits the
// size of every response body, and turns error responses into *Error:
//
//	c := taxii.NewClient(taxii.ClientOptions{BearerToken: token})
//	for obj, err := range c.AllObjects(ctx, root, collectionID, taxii.Filter{Types: []string{"indicator"}}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(obj.ID())
//	}
//
// The package imports only the standard library and the stix package, so
// other programs can use it as a TAXII client library.
package taxii
