// Package sharing is the real-time sharing module (6 U.S.C. § 659(r),
// clause C): the store of STIX 2.1 objects that entities share — every
// version, with its owner, TLP and audience — and its API, pages, live
// stream and webhooks. Every read goes through the access decision;
// every write is one transaction with its audit entry and its event.
package sharing
