package sharing

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// WarningList is a list of values never to alert on — public resolvers,
// the most visited domains, documentation address ranges — as MISP's
// warning lists are. An indicator whose observables hit one is flagged,
// not refused: the analyst decides.
type WarningList struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Kind        string    `json:"kind"` // cidr, domain, string
	Entries     []string  `json:"entries,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// The kinds of warning list.
const (
	ListCIDR   = "cidr"   // addresses and networks; an address inside one matches
	ListDomain = "domain" // a domain matches itself and its subdomains
	ListString = "string" // exact, case-insensitive
)

// Warning says that an observable of an object is on a warning list.
type Warning struct {
	List  string `json:"list"`
	Entry string `json:"entry"`
	Value string `json:"value"`
}

// BuiltinWarningLists are created when missing. They are deliberately
// short: the well-known public resolvers and ranges that show up in
// reports but are never evidence by themselves.
var BuiltinWarningLists = []WarningList{
	{Name: "Public DNS resolvers", Kind: ListCIDR, Description: "Addresses of large public recursive resolvers; traffic to them is normal.",
		Entries: []string{"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112", "208.67.222.222", "208.67.220.220",
			"2001:4860:4860::8888", "2001:4860:4860::8844", "2606:4700:4700::1111", "2606:4700:4700::1001", "2620:fe::fe"}},
	{Name: "Special-purpose address ranges", Kind: ListCIDR, Description: "Private, loopback, link-local and documentation ranges (RFC 1918, 5737, 3849, 6598, 4193).",
		Entries: []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10",
			"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "0.0.0.0/8", "::1/128", "fc00::/7", "fe80::/10", "2001:db8::/32"}},
	{Name: "Widely used domains", Kind: ListDomain, Description: "Domains of very large services; an indicator on them alone would alert on everyone.",
		Entries: []string{"google.com", "googleapis.com", "gstatic.com", "microsoft.com", "windowsupdate.com", "office.com", "live.com",
			"apple.com", "icloud.com", "amazon.com", "amazonaws.com", "cloudflare.com", "akamai.net", "facebook.com", "github.com",
			"wikipedia.org", "youtube.com", "yahoo.com", "linkedin.com", "example.com", "example.org", "example.net"}},
}

// warningSet is the lists in a form that answers quickly.
type warningSet struct {
	nets    []namedPrefix
	domains map[string]string // domain -> list name
	strs    map[string]string
}

type namedPrefix struct {
	p    netip.Prefix
	list string
}

// warnings caches the lists for a short while: they change rarely and are
// consulted on every object page and list.
type warnings struct {
	mu     sync.Mutex
	set    *warningSet
	loaded time.Time
}

const warningsTTL = 10 * time.Second

// EnsureWarningLists creates the built-in lists that are missing.
func (s *Store) EnsureWarningLists(ctx context.Context) error {
	for _, l := range BuiltinWarningLists {
		var n int
		if err := s.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM warning_lists WHERE name = $1`, l.Name).Scan(&n); err != nil {
			return fmt.Errorf("sharing: warning lists: %w", err)
		}
		if n > 0 {
			continue
		}
		if _, err := s.SaveWarningList(ctx, "system", l); err != nil {
			return err
		}
	}
	return nil
}

// SaveWarningList creates a list, or replaces the entries of the list of
// that name. Entries are checked for their kind: a malformed one is an
// Invalid error naming it, and nothing is saved.
func (s *Store) SaveWarningList(ctx context.Context, actor string, l WarningList) (WarningList, error) {
	l.Name = strings.TrimSpace(l.Name)
	if l.Name == "" {
		return l, errs.E(errs.Invalid, "A warning list needs a name.")
	}
	var clean []string
	for i, e := range l.Entries {
		e = strings.TrimSpace(e)
		if e == "" || strings.HasPrefix(e, "#") {
			continue
		}
		switch l.Kind {
		case ListCIDR:
			if _, err := parsePrefix(e); err != nil {
				return l, errs.E(errs.Invalid, "entry %d: %q is not an address or a network in CIDR form.", i+1, e)
			}
		case ListDomain:
			e = strings.TrimSuffix(strings.ToLower(e), ".")
			if strings.ContainsAny(e, " /:@") || !strings.Contains(e, ".") {
				return l, errs.E(errs.Invalid, "entry %d: %q is not a domain name.", i+1, e)
			}
		case ListString:
			e = strings.ToLower(e)
		default:
			return l, errs.E(errs.Invalid, "kind %q: use cidr, domain or string.", l.Kind)
		}
		clean = append(clean, e)
	}
	slices.Sort(clean)
	l.Entries = slices.Compact(clean)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM warning_lists WHERE name = $1`, l.Name).Scan(&id)
		switch {
		case err == sql.ErrNoRows:
			l.ID, l.CreatedAt = newID(), time.Now()
			if _, err := tx.ExecContext(ctx, `INSERT INTO warning_lists (id, name, description, kind, created_at) VALUES ($1, $2, $3, $4, $5)`,
				l.ID, l.Name, l.Description, l.Kind, db.Micros(l.CreatedAt)); err != nil {
				return fmt.Errorf("sharing: warning list: %w", err)
			}
		case err != nil:
			return fmt.Errorf("sharing: warning list: %w", err)
		default:
			l.ID = id
			if _, err := tx.ExecContext(ctx, `UPDATE warning_lists SET description = $1, kind = $2 WHERE id = $3`, l.Description, l.Kind, id); err != nil {
				return fmt.Errorf("sharing: warning list: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM warning_list_entries WHERE list_id = $1`, id); err != nil {
				return fmt.Errorf("sharing: warning list: %w", err)
			}
		}
		for _, e := range l.Entries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO warning_list_entries (list_id, value) VALUES ($1, $2)`, l.ID, e); err != nil {
				return fmt.Errorf("sharing: warning list entry: %w", err)
			}
		}
		_, err = audit.Append(ctx, tx, s.db.Engine(), audit.Entry{ActorLabel: actor, Action: "warninglist.save", TargetKind: "warning_list",
			TargetID: l.ID, Detail: map[string]any{"name": l.Name, "entries": len(l.Entries)}})
		return err
	})
	if err == nil {
		s.warn.mu.Lock()
		s.warn.set = nil
		s.warn.mu.Unlock()
	}
	return l, err
}

// WarningLists returns every list with its entries.
func (s *Store) WarningLists(ctx context.Context) ([]WarningList, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT l.id, l.name, l.description, l.kind, l.created_at, COALESCE(e.value, '')
		FROM warning_lists l LEFT JOIN warning_list_entries e ON e.list_id = l.id ORDER BY l.name, e.value`)
	if err != nil {
		return nil, fmt.Errorf("sharing: warning lists: %w", err)
	}
	defer rows.Close()
	var out []WarningList
	for rows.Next() {
		var l WarningList
		var created int64
		var entry string
		if err := rows.Scan(&l.ID, &l.Name, &l.Description, &l.Kind, &created, &entry); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != l.ID {
			l.CreatedAt = db.FromMicros(created)
			out = append(out, l)
		}
		if entry != "" {
			out[len(out)-1].Entries = append(out[len(out)-1].Entries, entry)
		}
	}
	return out, rows.Err()
}

func (s *Store) warningSet(ctx context.Context) (*warningSet, error) {
	s.warn.mu.Lock()
	defer s.warn.mu.Unlock()
	if s.warn.set != nil && time.Since(s.warn.loaded) < warningsTTL {
		return s.warn.set, nil
	}
	lists, err := s.WarningLists(ctx)
	if err != nil {
		return nil, err
	}
	set := &warningSet{domains: map[string]string{}, strs: map[string]string{}}
	for _, l := range lists {
		for _, e := range l.Entries {
			switch l.Kind {
			case ListCIDR:
				if p, err := parsePrefix(e); err == nil {
					set.nets = append(set.nets, namedPrefix{p, l.Name})
				}
			case ListDomain:
				set.domains[e] = l.Name
			case ListString:
				set.strs[e] = l.Name
			}
		}
	}
	s.warn.set, s.warn.loaded = set, time.Now()
	return set, nil
}

// Warnings returns the warning-list hits of a stored version's observables.
func (s *Store) Warnings(ctx context.Context, v Version) ([]Warning, error) {
	set, err := s.warningSet(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT type, op, value FROM stix_observables WHERE version_seq = $1`, v.Seq)
	if err != nil {
		return nil, fmt.Errorf("sharing: warnings: %w", err)
	}
	defer rows.Close()
	var out []Warning
	for rows.Next() {
		var typ, op, value string
		if err := rows.Scan(&typ, &op, &value); err != nil {
			return nil, err
		}
		out = append(out, set.check(typ, op, value)...)
	}
	return out, rows.Err()
}

// check looks one observable up. A network in an indicator (ISSUBSET)
// is flagged when it overlaps a listed network.
func (set *warningSet) check(typ, op, value string) []Warning {
	var out []Warning
	switch typ {
	case "ipv4-addr", "ipv6-addr":
		p, err := parsePrefix(value)
		if err != nil {
			return nil
		}
		for _, n := range set.nets {
			if n.p.Overlaps(p) {
				out = append(out, Warning{List: n.list, Entry: n.p.String(), Value: value})
			}
		}
	case "domain-name", "url", "email-addr":
		host := strings.ToLower(value)
		if typ == "url" {
			host = urlHost(host)
		}
		if typ == "email-addr" {
			_, host, _ = strings.Cut(host, "@")
		}
		for d := host; d != ""; {
			if list, ok := set.domains[d]; ok {
				out = append(out, Warning{List: list, Entry: d, Value: value})
				break
			}
			_, rest, found := strings.Cut(d, ".")
			if !found {
				break
			}
			d = rest
		}
	}
	if list, ok := set.strs[strings.ToLower(value)]; ok {
		out = append(out, Warning{List: list, Entry: strings.ToLower(value), Value: value})
	}
	return out
}

func urlHost(u string) string {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		u = rest
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if _, h, ok := strings.Cut(u, "@"); ok {
		u = h
	}
	if strings.HasPrefix(u, "[") {
		if i := strings.Index(u, "]"); i > 0 {
			return u[1:i]
		}
	}
	if i := strings.LastIndex(u, ":"); i >= 0 && !strings.Contains(u[:i], ":") {
		u = u[:i]
	}
	return u
}

// parsePrefix reads an address (as a one-address network) or a CIDR.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
