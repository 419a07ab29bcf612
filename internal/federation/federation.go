// Package federation shares objects in real time with other instances (6
// U.S.C. § 659(r)(1)(C)): another Rampart or any TAXII 2.1 server, set up
// by coordinators as a peer. A peer is pulled (its remote collection read
// from a stored cursor into a local collection) and/or pushed (what is
// added to the local collection sent to it, from a push cursor), every
// interval and, for pushes, within a second of a local addition.
//
// Loops end by themselves: a pulled version whose content is stored
// already, from any source, is unchanged (sharing.Submission.SkipKnown),
// and a push never sends a version to the peer it was pulled from. TLP:RED
// is never federated either way, and a push sends nothing above the peer's
// max_tlp or hidden from the peer's owner organization.
//
// Several replicas may run the same peers: a run claims its peer with a
// lease in the database, and the backoff after failures lives there too.
package federation

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/taxii"
)

// Options configure a Service.
type Options struct {
	DB       *db.DB
	Sharing  *sharing.Store
	Identity *identity.Store
	Logger   *slog.Logger
	// HTTPClient sends the requests to peers; nil means one with a
	// 60-second timeout.
	HTTPClient *http.Client
	// Retry is the TAXII client's retry of one request; a run that still
	// fails is retried at the next interval, with backoff.
	Retry taxii.RetryPolicy
	// Owner names this process in leases; "" means host, pid and a random
	// suffix.
	Owner string
	// Tick is how often the worker looks for peers that are due; default 1s.
	Tick time.Duration
	// LeaseTTL is how long a claim on a peer lasts without renewal: a
	// replica that dies mid-run holds its peers no longer than this.
	// Default 2 minutes; each page or batch renews it.
	LeaseTTL time.Duration
	// MaxParallel bounds the peers one process runs at once; default 8.
	MaxParallel int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service keeps the peers and runs their pulls and pushes. It is safe for
// concurrent use.
type Service struct {
	db          *db.DB
	store       *sharing.Store
	ids         *identity.Store
	logger      *slog.Logger
	hc          *http.Client
	retry       taxii.RetryPolicy
	owner       string
	tick        time.Duration
	leaseTTL    time.Duration
	maxParallel int
	now         func() time.Time
	wake        chan struct{}
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{
		db: o.DB, store: o.Sharing, ids: o.Identity, logger: o.Logger, hc: o.HTTPClient, retry: o.Retry,
		owner: o.Owner, tick: o.Tick, leaseTTL: o.LeaseTTL, maxParallel: o.MaxParallel, now: o.Now,
		wake: make(chan struct{}, 1),
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: taxii.DefaultTimeout}
	}
	if s.owner == "" {
		host, _ := os.Hostname()
		s.owner = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), newID()[:8])
	}
	if s.tick <= 0 {
		s.tick = time.Second
	}
	if s.leaseTTL <= 0 {
		s.leaseTTL = 2 * time.Minute
	}
	if s.maxParallel <= 0 {
		s.maxParallel = 8
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Wake makes the worker look for due peers now rather than at its next
// tick.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// client returns a TAXII client for p.
func (s *Service) client(p Peer) *taxii.Client {
	o := p.clientOptions()
	o.HTTPClient, o.Retry = s.hc, s.retry
	return taxii.NewClient(o)
}

// newID returns a random id: 26 characters of base32, 130 bits.
func newID() string { return strings.ToLower(rand.Text()) }
