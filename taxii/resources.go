package taxii

import (
	"encoding/json"
	"strconv"

	"github.com/rampart-project/rampart/stix"
)

// The resources below follow the TAXII 2.1 property tables. Required
// properties are always encoded; optional ones are omitted when empty,
// which the specification reads the same as absent (a missing more means
// false). Object versions (ManifestRecord.Version, Versions.Versions,
// StatusDetail.Version) stay strings as written, because match[version]
// compares them as the objects spell their modified or created timestamps.

// Discovery is the server discovery resource, returned by the discovery URL.
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRoot is the information about one API root. MaxContentLength bounds the
// body of an add-objects request the root will take.
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collections lists the collections of an API root the requester may see.
type Collections struct {
	Collections []Collection `json:"collections,omitempty"`
}

// Collection describes one collection.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// Envelope carries STIX objects: the body of the objects and object
// endpoints and of an add-objects request. Next is the server's opaque
// paging token, valid only when More is true.
type Envelope struct {
	More    bool          `json:"more,omitempty"`
	Next    string        `json:"next,omitempty"`
	Objects []stix.Object `json:"objects,omitempty"`
}

// Manifest lists records about the objects of a collection without their
// content.
type Manifest struct {
	More    bool             `json:"more,omitempty"`
	Objects []ManifestRecord `json:"objects,omitempty"`
}

// ManifestRecord describes one version of one object in a collection.
type ManifestRecord struct {
	ID        string    `json:"id"`
	DateAdded Timestamp `json:"date_added"`
	Version   string    `json:"version"`
	MediaType string    `json:"media_type,omitempty"`
}

// Versions lists the versions of one object, oldest added first.
type Versions struct {
	More     bool     `json:"more,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// Values of Status.Status.
const (
	StatusComplete = "complete"
	StatusPending  = "pending"
)

// Status reports how an add-objects request is doing. A server may answer
// the request before it has processed every object; the client then polls
// the status resource until Status is StatusComplete.
type Status struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp Timestamp      `json:"request_timestamp,omitzero"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []StatusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []StatusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []StatusDetail `json:"pendings,omitempty"`
}

// StatusDetail names one object version of an add-objects request and,
// for failures mostly, why it ended as it did.
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// Error is the TAXII error message resource. As a Go error it also carries
// StatusCode, the HTTP status the response came with, which is what a
// caller branches on (HTTPStatus is the server's own, optional, string copy
// of it). Details holds each detail as raw JSON because the specification
// leaves their values free.
type Error struct {
	Title           string                     `json:"title"`
	Description     string                     `json:"description,omitempty"`
	ErrorID         string                     `json:"error_id,omitempty"`
	ErrorCode       string                     `json:"error_code,omitempty"`
	HTTPStatus      string                     `json:"http_status,omitempty"`
	ExternalDetails string                     `json:"external_details,omitempty"`
	Details         map[string]json.RawMessage `json:"details,omitempty"`

	StatusCode int `json:"-"`
}

// Error formats the status, the title and the description; the other
// properties are for programs, not for the message.
func (e *Error) Error() string {
	msg := "taxii: "
	if e.StatusCode != 0 {
		msg += "HTTP " + strconv.Itoa(e.StatusCode) + ": "
	}
	msg += e.Title
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}
