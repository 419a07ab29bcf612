package federation

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/taxii"
)

// Peer is another Rampart, or any TAXII 2.1 server, that this instance
// pulls objects from and/or pushes objects to.
type Peer struct {
	ID               string
	Name             string
	APIRootURL       string // the remote API root, e.g. https://peer.example/taxii2/api/
	RemoteCollection string // id (or, on a Rampart, alias) of the remote collection
	Username         string // with Secret, HTTP Basic; without, Secret is a bearer token
	Secret           string // never shown, never logged
	Pull, Push       bool
	Enabled          bool
	LocalCollection  string // the local collection's id: pulled into, pushed from
	OwnerOrg         string // pulled objects are attributed to it; pushes read as it
	Interval         time.Duration
	MaxTLP           access.TLP // the most restricted level pushed; RED never is
	Cursor           string     // added_after of the next pull: the remote's last date_added
	PushCursor       int64      // date_added (µs) in the local collection of the last object pushed
	LastRunAt        time.Time
	LastOKAt         time.Time
	NextRunAt        time.Time
	LastError        string
	Failures         int // consecutive failed runs
	Pulled, Pushed   int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Limits of a peer's settings.
const (
	MinInterval     = time.Second
	MaxInterval     = 24 * time.Hour
	DefaultInterval = time.Minute
	DefaultMaxTLP   = access.Green
)

// peerJSON is a peer as the API shows it: the secret only as "set".
type peerJSON struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	APIRootURL       string     `json:"api_root_url"`
	RemoteCollection string     `json:"remote_collection"`
	Username         string     `json:"username"`
	Secret           string     `json:"secret"`
	Pull             bool       `json:"pull"`
	Push             bool       `json:"push"`
	Enabled          bool       `json:"enabled"`
	LocalCollection  string     `json:"local_collection"`
	OwnerOrg         string     `json:"owner_org"`
	Interval         string     `json:"interval"`
	MaxTLP           access.TLP `json:"max_tlp"`
	Cursor           string     `json:"cursor"`
	PushCursor       string     `json:"push_cursor"`
	LastRunAt        time.Time  `json:"last_run_at,omitzero"`
	LastOKAt         time.Time  `json:"last_ok_at,omitzero"`
	NextRunAt        time.Time  `json:"next_run_at,omitzero"`
	LastError        string     `json:"last_error"`
	Failures         int        `json:"failures"`
	Pulled           int64      `json:"pulled"`
	Pushed           int64      `json:"pushed"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at,omitzero"`
}

// MarshalJSON shows the peer without its secret.
func (p Peer) MarshalJSON() ([]byte, error) {
	return json.Marshal(peerJSON{
		ID: p.ID, Name: p.Name, APIRootURL: p.APIRootURL, RemoteCollection: p.RemoteCollection,
		Username: p.Username, Secret: p.SecretShown(), Pull: p.Pull, Push: p.Push, Enabled: p.Enabled,
		LocalCollection: p.LocalCollection, OwnerOrg: p.OwnerOrg, Interval: p.Interval.String(), MaxTLP: p.MaxTLP,
		Cursor: p.Cursor, PushCursor: p.PushCursorText(), LastRunAt: p.LastRunAt, LastOKAt: p.LastOKAt,
		NextRunAt: p.NextRunAt, LastError: p.LastError, Failures: p.Failures, Pulled: p.Pulled, Pushed: p.Pushed,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	})
}

// SecretShown is what lists show of the secret: "set" or nothing.
func (p Peer) SecretShown() string {
	if p.Secret != "" {
		return "set"
	}
	return ""
}

// PushCursorText is the push cursor as a TAXII timestamp, "" before the
// first push.
func (p Peer) PushCursorText() string {
	if p.PushCursor == 0 {
		return ""
	}
	return taxii.FormatTimestamp(time.UnixMicro(p.PushCursor))
}

// clientOptions authenticate as the peer says: Basic with a user name,
// otherwise the secret as a bearer token.
func (p Peer) clientOptions() taxii.ClientOptions {
	o := taxii.ClientOptions{UserAgent: "rampart-federation"}
	switch {
	case p.Username != "":
		o.Username, o.Password = p.Username, p.Secret
	case p.Secret != "":
		o.BearerToken = p.Secret
	}
	return o
}

// Input is what a coordinator sets on a peer: the body of POST and PATCH
// /api/v1/peers. A nil field is left as it is (on create: the default).
type Input struct {
	Name             *string `json:"name,omitempty"`
	APIRootURL       *string `json:"api_root_url,omitempty"`
	RemoteCollection *string `json:"remote_collection,omitempty"`
	Username         *string `json:"username,omitempty"`
	Secret           *string `json:"secret,omitempty"`
	Pull             *bool   `json:"pull,omitempty"`
	Push             *bool   `json:"push,omitempty"`
	Enabled          *bool   `json:"enabled,omitempty"`
	LocalCollection  *string `json:"local_collection,omitempty"` // id or alias
	OwnerOrg         *string `json:"owner_org,omitempty"`        // id or name
	Interval         *string `json:"interval,omitempty"`         // "30s", "5m"
	MaxTLP           *string `json:"max_tlp,omitempty"`
	// Cursor sets where the next pull starts: "" pulls everything again,
	// a timestamp what was added after it.
	Cursor *string `json:"cursor,omitempty"`
}

// apply copies the fields that can be checked without the database onto
// p; the collection and organization are resolved by the caller.
func (in Input) apply(p *Peer) error {
	if in.Name != nil {
		p.Name = strings.TrimSpace(*in.Name)
	}
	if in.APIRootURL != nil {
		p.APIRootURL = strings.TrimSpace(*in.APIRootURL)
	}
	if in.RemoteCollection != nil {
		p.RemoteCollection = strings.TrimSpace(*in.RemoteCollection)
	}
	if in.Username != nil {
		p.Username = strings.TrimSpace(*in.Username)
	}
	if in.Secret != nil {
		p.Secret = *in.Secret
	}
	if in.Pull != nil {
		p.Pull = *in.Pull
	}
	if in.Push != nil {
		p.Push = *in.Push
	}
	if in.Enabled != nil {
		p.Enabled = *in.Enabled
	}
	if in.Interval != nil {
		d, err := time.ParseDuration(strings.TrimSpace(*in.Interval))
		if err != nil {
			return errs.E(errs.Invalid, "interval: %q is not a duration such as 30s or 5m.", *in.Interval)
		}
		p.Interval = d
	}
	if in.MaxTLP != nil {
		t, err := access.ParseTLP(*in.MaxTLP)
		if err != nil {
			return errs.E(errs.Invalid, "max_tlp: %v", err)
		}
		p.MaxTLP = t
	}
	if in.Cursor != nil {
		c := strings.TrimSpace(*in.Cursor)
		if c != "" {
			t, err := taxii.ParseTimestamp(c)
			if err != nil {
				return errs.E(errs.Invalid, "cursor: %q is not a timestamp such as 2026-01-02T03:04:05.000000Z.", c)
			}
			c = taxii.FormatTimestamp(t)
		}
		p.Cursor = c
	}
	return p.check()
}

// check validates what apply set.
func (p *Peer) check() error {
	switch {
	case p.Name == "" || len(p.Name) > 100:
		return errs.E(errs.Invalid, "name: give the peer a name of 1 to 100 characters.")
	case p.RemoteCollection == "" || strings.ContainsAny(p.RemoteCollection, "/?#"):
		return errs.E(errs.Invalid, "remote_collection: name the remote collection by its id (or, on a Rampart, its alias).")
	case p.Interval < MinInterval || p.Interval > MaxInterval:
		return errs.E(errs.Invalid, "interval: %s is outside %s to %s.", p.Interval, MinInterval, MaxInterval)
	case !p.Pull && !p.Push:
		return errs.E(errs.Invalid, "A peer pulls, pushes or both; to pause one, set enabled to false.")
	}
	return checkRootURL(p.APIRootURL)
}

// checkRootURL accepts an absolute http(s) URL without credentials in it:
// those belong in username and secret, which are never shown or logged,
// while a URL is.
func checkRootURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case s == "" || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return errs.E(errs.Invalid, "api_root_url: give the remote API root as an absolute URL, e.g. https://peer.example/taxii2/api/.")
	case u.User != nil:
		return errs.E(errs.Invalid, "api_root_url: put credentials in username and secret, not in the URL.")
	case u.RawQuery != "" || u.Fragment != "":
		return errs.E(errs.Invalid, "api_root_url: an API root URL has no query or fragment.")
	}
	return nil
}

// AllowedTLPs returns the levels a push may send: up to maxTLP, and
// never RED, whatever maxTLP says.
func AllowedTLPs(maxTLP access.TLP) []access.TLP {
	var out []access.TLP
	for _, l := range access.Levels {
		if l != access.Red && l.Rank() <= maxTLP.Rank() {
			out = append(out, l)
		}
	}
	return out
}
