// Package taxiiserver is Rampart's TAXII 2.1 server (OASIS TAXII Version
// 2.1, Committee Specification 01), mounted at /taxii2/. It is a window on
// the sharing module's store: what a client reads or adds here is what
// members read and add through the API and the pages, under the same
// access decision.
//
// # Endpoints
//
//	GET    /taxii2/                                         discovery
//	GET    /taxii2/{root}/                                  API root
//	GET    /taxii2/{root}/status/{id}/                      status of an add
//	GET    /taxii2/{root}/collections/                      collections
//	GET    /taxii2/{root}/collections/{id}/                 one collection (id or alias)
//	GET    /taxii2/{root}/collections/{id}/manifest/        manifest records
//	GET    /taxii2/{root}/collections/{id}/objects/         objects (envelope)
//	POST   /taxii2/{root}/collections/{id}/objects/         add objects (envelope in, status out)
//	GET    /taxii2/{root}/collections/{id}/objects/{oid}/   one object's versions (envelope)
//	DELETE /taxii2/{root}/collections/{id}/objects/{oid}/   remove versions from the collection
//	GET    /taxii2/{root}/collections/{id}/objects/{oid}/versions/
//
// Every endpoint needs a signed-in caller: HTTP Basic with the e-mail
// address and an API token, or the token as a Bearer credential. GET needs
// the token's read scope, POST and DELETE its write scope. Responses are
// application/taxii+json;version=2.1; a request whose Accept header does
// not allow it is answered 406 (an absent header allows anything), and an
// add whose Content-Type is not that type 415. Every error, including
// those of authentication and of the body limit that happen before a
// handler runs, is a TAXII error resource (the platform's web.WriteError
// renders them for paths under /taxii2/) with error_id set to the
// request id.
//
// # Collections, communities and organizations
//
// A collection belongs to a community or to an organization (its
// audience) and is owned by one organization. Members of the audience may
// read it when its can_read flag is set and add to it when can_write is
// set; the owner organization may always do both. can_read and can_write
// in the collection resource are computed for the caller. A collection the
// caller may neither read nor write is answered 404, as if it did not
// exist; one it may see but not read (a submission inbox) is 403 on the
// reading endpoints, and one it may not write is 403 on POST.
//
// Within a collection each object version is still subject to the TLP
// decision: a caller sees only the versions its organization may see
// (TLP:AMBER of another organization only when shared with it, TLP:RED
// only when addressed to the user). "last" and "first" in match[version]
// are chosen among the versions the caller may see, so a hidden newer
// version is never revealed by its absence. Objects added through TAXII
// take the collection's audience and, when unmarked, its default TLP; the
// collection's anonymous flag hides the submitter's organization.
//
// API roots are the distinct api_root values of the collections, and the
// default root "api", which always exists. The API root's
// max_content_length is the server's request body limit.
//
// # Paging
//
// Listing endpoints return records oldest added first, at most 1,000 per
// response whatever limit asks for, with more, X-TAXII-Date-Added-First
// and X-TAXII-Date-Added-Last. A response with more carries next, an
// opaque token (see token.go) holding the date_added, in microseconds, of
// the page's last record and a fingerprint of the query; the next request
// continues strictly after that record. date_added is unique within a
// collection and grows in commit order, so neither next nor added_after
// set from X-TAXII-Date-Added-Last repeats or skips a record. The manifest
// and versions resources carry next too, beyond the specification, which
// gives them only more; clients that ignore it page by the headers.
//
// # Adds and status
//
// An envelope of at most 1,000 objects is stored before the answer: 202
// with a complete status listing each object under successes (added, or
// already stored) or failures with the validator's message. A larger
// envelope is answered at once, 202 with a pending status, and stored in
// the background in chunks of 1,000 under the module's Run context;
// pending_count and the pendings list shrink as chunks commit, and the
// full lists are written when it completes. A server that stops mid-add
// records the remaining objects as failures; a status left pending for
// over an hour by a process that died is shown complete with those
// failures. Status resources live in taxii_status and are visible only to
// the user who made the request; to others they are 404. An envelope that
// is not JSON, not an object or has no objects list is 422 and stores
// nothing; a body over the limit is 413.
//
// DELETE removes versions from the collection, not from the store: by
// default every version, or those match[version] and match[spec_version]
// select. Only the organization that submitted a version, or the
// collection's owner, may remove it (403 otherwise).
package taxiiserver
