package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Store reads and writes identities. Writes take the caller's transaction so
// that they commit together with their audit entries.
type Store struct {
	db      *db.DB
	touches touchGate // see touch.go
}

// NewStore returns a Store over d.
func NewStore(d *db.DB) *Store { return &Store{db: d} }

// DB returns the database, for callers that open write transactions.
func (s *Store) DB() *db.DB { return s.db }

// --- organizations

// CreateOrg validates and inserts an organization. Returns Invalid for bad
// fields and Conflict if the name is taken.
func (s *Store) CreateOrg(ctx context.Context, tx *sql.Tx, o *Organization) error {
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" || len(o.Name) > 200 {
		return errs.E(errs.Invalid, "An organization needs a name of 1 to 200 characters.")
	}
	if !slices.Contains(OrgKinds, o.Kind) {
		return errs.E(errs.Invalid, "Organization kind %q is unknown; use one of %s.", o.Kind, joinKinds())
	}
	for _, sec := range o.Sectors {
		if !validSector(sec) {
			return errs.E(errs.Invalid, "Sector %q is unknown; use a code such as energy, water or election-infrastructure.", sec)
		}
	}
	if !digits(o.StateFIPS, 2) || !digits(o.CountyFIPS, 3) {
		return errs.E(errs.Invalid, "FIPS codes: the state code has 2 digits and the county code 3 (e.g. 06 and 037).")
	}
	if o.ParentID != "" {
		if _, err := s.org(ctx, tx, o.ParentID); err != nil {
			return errs.E(errs.Invalid, "The parent organization %q does not exist.", o.ParentID)
		}
	}
	if o.ID == "" {
		o.ID = newID()
	}
	o.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	o.Sectors, o.Flags = nonNil(o.Sectors), nonNil(o.Flags)
	sectors, _ := json.Marshal(o.Sectors)
	flags, _ := json.Marshal(o.Flags)
	_, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, name, kind, parent_id, sectors, flags, state_fips, county_fips, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		o.ID, o.Name, string(o.Kind), nullable(o.ParentID), string(sectors), string(flags), o.StateFIPS, o.CountyFIPS, db.Micros(o.CreatedAt))
	if isUniqueViolation(err) {
		return errs.E(errs.Conflict, "An organization named %q already exists.", o.Name)
	}
	if err != nil {
		return fmt.Errorf("identity: insert organization: %w", err)
	}
	return s.setContacts(ctx, tx, o.ID, o.Contacts)
}

// SetContacts replaces an organization's security contacts, in escalation
// order.
func (s *Store) setContacts(ctx context.Context, tx *sql.Tx, orgID string, contacts []Contact) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM org_contacts WHERE org_id = $1`, orgID); err != nil {
		return fmt.Errorf("identity: contacts: %w", err)
	}
	for i, c := range contacts {
		if strings.TrimSpace(c.Name) == "" {
			return errs.E(errs.Invalid, "Contact %d needs a name.", i+1)
		}
		if c.Email != "" {
			if _, err := mail.ParseAddress(c.Email); err != nil {
				return errs.E(errs.Invalid, "Contact %d: %q is not an e-mail address.", i+1, c.Email)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO org_contacts (org_id, position, name, email, phone, role) VALUES ($1, $2, $3, $4, $5, $6)`,
			orgID, i+1, c.Name, c.Email, c.Phone, c.Role); err != nil {
			return fmt.Errorf("identity: contacts: %w", err)
		}
	}
	return nil
}

// Org returns an organization with its contacts. Returns NotFound.
func (s *Store) Org(ctx context.Context, id string) (*Organization, error) {
	return s.org(ctx, s.db.Reader(), id)
}

// OrgByName finds an organization by its exact name, or by id. Returns
// NotFound.
func (s *Store) OrgByName(ctx context.Context, nameOrID string) (*Organization, error) {
	var id string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id FROM organizations WHERE name = $1 OR id = $1`, nameOrID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "There is no organization %q.", nameOrID)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: find organization: %w", err)
	}
	return s.Org(ctx, id)
}

const orgColumns = `id, name, kind, COALESCE(parent_id, ''), sectors, flags, state_fips, county_fips, created_at`

func scanOrg(row interface{ Scan(...any) error }) (*Organization, error) {
	var o Organization
	var kind, sectors, flags string
	var created int64
	if err := row.Scan(&o.ID, &o.Name, &kind, &o.ParentID, &sectors, &flags, &o.StateFIPS, &o.CountyFIPS, &created); err != nil {
		return nil, err
	}
	o.Kind, o.CreatedAt = OrgKind(kind), db.FromMicros(created)
	_ = json.Unmarshal([]byte(sectors), &o.Sectors)
	_ = json.Unmarshal([]byte(flags), &o.Flags)
	o.Sectors, o.Flags = nonNil(o.Sectors), nonNil(o.Flags)
	return &o, nil
}

func (s *Store) org(ctx context.Context, q db.Querier, id string) (*Organization, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "There is no organization %q.", id)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: organization: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT name, email, phone, role FROM org_contacts WHERE org_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("identity: contacts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Contact
		if err := rows.Scan(&c.Name, &c.Email, &c.Phone, &c.Role); err != nil {
			return nil, err
		}
		o.Contacts = append(o.Contacts, c)
	}
	return o, rows.Err()
}

// Orgs lists every organization by name.
func (s *Store) Orgs(ctx context.Context) ([]Organization, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+orgColumns+` FROM organizations ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("identity: organizations: %w", err)
	}
	defer rows.Close()
	var out []Organization
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, rows.Err()
}

// Clients returns the organizations whose parent is orgID: those a
// recipient may extend TLP:AMBER to.
func (s *Store) Clients(ctx context.Context, orgID string) ([]string, error) {
	return queryStrings(ctx, s.db.Reader(), `SELECT id FROM organizations WHERE parent_id = $1 ORDER BY name`, orgID)
}

// --- users

// NormalizeEmail checks and lower-cases an e-mail address.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s, "@") {
		return "", errs.E(errs.Invalid, "%q is not an e-mail address.", s)
	}
	return strings.ToLower(s), nil
}

// CreateUser validates and inserts a user; password may be "" for users who
// sign in with OpenID Connect or accept an invitation later. Returns Invalid,
// NotFound (organization) or Conflict (e-mail taken).
func (s *Store) CreateUser(ctx context.Context, tx *sql.Tx, u *User, password string) error {
	hash := ""
	if password != "" {
		email, err := NormalizeEmail(u.Email)
		if err != nil {
			return err
		}
		if err := CheckPasswordStrength(password, email); err != nil {
			return err
		}
		hash = HashPassword(password)
	}
	return s.CreateUserHashed(ctx, tx, u, hash)
}

// CreateUserHashed is CreateUser with a password hash made by HashPassword
// (or "" for none), for callers that create many users with one password,
// such as the demo.
func (s *Store) CreateUserHashed(ctx context.Context, tx *sql.Tx, u *User, hash string) error {
	email, err := NormalizeEmail(u.Email)
	if err != nil {
		return err
	}
	u.Email, u.Name = email, strings.TrimSpace(u.Name)
	if u.Name == "" {
		return errs.E(errs.Invalid, "A user needs a name.")
	}
	if len(u.Roles) == 0 {
		return errs.E(errs.Invalid, "A user needs at least one role.")
	}
	if _, err := s.org(ctx, tx, u.OrgID); err != nil {
		return err
	}
	if u.ID == "" {
		u.ID = newID()
	}
	u.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	u.HasPassword = hash != ""
	_, err = tx.ExecContext(ctx, `INSERT INTO users (id, email, name, org_id, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		u.ID, u.Email, u.Name, u.OrgID, hash, db.Micros(u.CreatedAt))
	if isUniqueViolation(err) {
		return errs.E(errs.Conflict, "A user with e-mail %s already exists.", u.Email)
	}
	if err != nil {
		return fmt.Errorf("identity: insert user: %w", err)
	}
	return s.SetRoles(ctx, tx, u.ID, u.Roles)
}

// SetRoles replaces a user's roles.
func (s *Store) SetRoles(ctx context.Context, tx *sql.Tx, userID string, roles []Role) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("identity: roles: %w", err)
	}
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return errs.E(errs.Invalid, "Role %q is unknown.", r)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, userID, string(r)); err != nil {
			return fmt.Errorf("identity: roles: %w", err)
		}
	}
	return nil
}

// SetPassword checks a new password's strength and stores its hash.
func (s *Store) SetPassword(ctx context.Context, tx *sql.Tx, userID, email, password string) error {
	if err := CheckPasswordStrength(password, email); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, failed_signins = 0, locked_until = 0 WHERE id = $2`, HashPassword(password), userID)
	if err != nil {
		return fmt.Errorf("identity: set password: %w", err)
	}
	return nil
}

const userColumns = `u.id, u.email, u.name, u.org_id, u.password_hash <> '', u.disabled, u.created_at, u.last_signin_at`

func (s *Store) scanUsers(ctx context.Context, q db.Querier, where string, args ...any) ([]User, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+userColumns+` FROM users u `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("identity: users: %w", err)
	}
	var out []User
	for rows.Next() {
		var u User
		var created, last int64
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.OrgID, &u.HasPassword, &u.Disabled, &created, &last); err != nil {
			rows.Close()
			return nil, err
		}
		u.CreatedAt = db.FromMicros(created)
		if last > 0 {
			u.LastSignInAt = db.FromMicros(last)
		}
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Roles, err = s.roles(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) roles(ctx context.Context, q db.Querier, userID string) ([]Role, error) {
	rows, err := q.QueryContext(ctx, `SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role`, userID)
	if err != nil {
		return nil, fmt.Errorf("identity: roles: %w", err)
	}
	defer rows.Close()
	var out []Role
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, Role(r))
	}
	return out, rows.Err()
}

// User returns a user by id. Returns NotFound.
func (s *Store) User(ctx context.Context, id string) (*User, error) {
	return s.oneUser(ctx, `WHERE u.id = $1`, id)
}

// UserByEmail returns a user by e-mail, in any case. Returns NotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	return s.oneUser(ctx, `WHERE u.email = $1`, strings.ToLower(strings.TrimSpace(email)))
}

func (s *Store) oneUser(ctx context.Context, where string, arg string) (*User, error) {
	users, err := s.scanUsers(ctx, s.db.Reader(), where, arg)
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, errs.E(errs.NotFound, "There is no user %q.", arg)
	}
	return &users[0], nil
}

// Users lists users, of one organization when orgID is set, by e-mail.
func (s *Store) Users(ctx context.Context, orgID string) ([]User, error) {
	if orgID == "" {
		return s.scanUsers(ctx, s.db.Reader(), `ORDER BY u.email`)
	}
	return s.scanUsers(ctx, s.db.Reader(), `WHERE u.org_id = $1 ORDER BY u.email`, orgID)
}

// PasswordHash returns the stored hash, for sign-in.
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	var h string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = $1`, userID).Scan(&h)
	return h, err
}

// --- helpers

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func digits(s string, n int) bool {
	if s == "" {
		return true
	}
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func validSector(code string) bool {
	for _, s := range Sectors {
		if s.Code == code {
			return true
		}
	}
	return false
}

func joinKinds() string {
	k := make([]string, len(OrgKinds))
	for i, o := range OrgKinds {
		k[i] = string(o)
	}
	return strings.Join(k, ", ")
}

// queryStrings runs a query of one text column and collects it.
func queryStrings(ctx context.Context, q db.Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("identity: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// isUniqueViolation recognises a unique-constraint failure on either engine.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) && coded.SQLState() == "23505" {
		return true
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}
