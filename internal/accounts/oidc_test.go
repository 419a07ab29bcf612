package accounts_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
)

// fakeProvider is an OpenID Connect provider in the test process: discovery,
// JWKS, and a token endpoint that checks PKCE and signs ID tokens with a
// test RSA key. The test plays the authorization step itself by
// registering a code with the claims the provider will vouch for.
type fakeProvider struct {
	t     *testing.T
	srv   *httptest.Server
	key   *rsa.PrivateKey
	mu    sync.Mutex
	codes map[string]grant
}

type grant struct {
	challenge string
	claims    map[string]any
}

const clientID, clientSecret = "rampart-test", "s3cret"

func newFakeProvider(t *testing.T) *fakeProvider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeProvider{t: t, key: key, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token",
			"jwks_uri": p.srv.URL + "/jwks", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
		}
		p.mu.Lock()
		g, found := p.codes[r.PostFormValue("code")]
		delete(p.codes, r.PostFormValue("code"))
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		switch {
		case id != clientID || secret != clientSecret:
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		case !found || b64(sum[:]) != g.challenge:
			http.Error(w, `{"error":"invalid_grant"}`, 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": p.sign(g.claims)})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (p *fakeProvider) sign(claims map[string]any) string {
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	signing := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, sum[:])
	if err != nil {
		p.t.Fatal(err)
	}
	return signing + "." + b64(sig)
}

// signIn runs the flow for b: start at Rampart, "authorize" at the
// provider with claims (change may alter them, and the returned state),
// and come back to the callback. It returns the callback's answer.
func (p *fakeProvider) signIn(b *browser, sub string, claims map[string]any, change func(q url.Values, claims map[string]any)) (int, string, *http.Response) {
	p.t.Helper()
	status, body, res := b.do("GET", "/signin/oidc?next=%2Fcommunities", nil, nil)
	if status != 302 {
		p.t.Fatalf("start: %d %s", status, body)
	}
	auth, _ := url.Parse(res.Header.Get("Location"))
	q := auth.Query()
	if !strings.HasPrefix(auth.String(), p.srv.URL+"/authorize") || q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("client_id") != clientID {
		p.t.Fatalf("authorization request %s", auth)
	}
	full := map[string]any{"iss": p.srv.URL, "aud": clientID, "sub": sub, "iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix(), "nonce": q.Get("nonce")}
	for k, v := range claims {
		full[k] = v
	}
	back := url.Values{"code": {"code-" + sub + q.Get("state")}, "state": {q.Get("state")}}
	if change != nil {
		change(back, full)
	}
	p.mu.Lock()
	p.codes[back.Get("code")] = grant{challenge: q.Get("code_challenge"), claims: full}
	p.mu.Unlock()
	redirect, _ := url.Parse(q.Get("redirect_uri"))
	return b.do("GET", redirect.Path+"?"+back.Encode(), nil, nil)
}

func TestOIDC(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		p := newFakeProvider(t)
		e := newEnv(t, d, envOptions{config: func(c *config.Config) {
			c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = p.srv.URL, clientID, clientSecret
		}})
		users := func() int {
			list, err := e.ids.Users(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		}
		before := users()

		if _, body := e.browser().get("/signin"); !strings.Contains(body, `href="/signin/oidc?next=`) {
			t.Error("the sign-in page has no single sign-on button")
		}

		newcomer := map[string]any{"email": "sso@examplia.example", "email_verified": true, "name": "Sam Single", "rampart_org": "State of Examplia"}
		cases := []struct {
			name    string
			sub     string
			claims  map[string]any
			change  func(url.Values, map[string]any)
			status  int
			must    []string
			account string // who /account shows afterwards
		}{
			{"unknown organization", "s-1", map[string]any{"email": "x@nowhere.example", "email_verified": true, "rampart_org": "Atlantis"}, nil, 403, []string{"does not know", "Atlantis", "no account was created"}, ""},
			{"no organization claim", "s-1", map[string]any{"email": "x@nowhere.example", "email_verified": true}, nil, 403, []string{"rampart_org"}, ""},
			{"state mismatch", "s-1", newcomer, func(q url.Values, _ map[string]any) { q.Set("state", "forged") }, 400, []string{"state mismatch"}, ""},
			{"nonce mismatch", "s-1", newcomer, func(_ url.Values, c map[string]any) { c["nonce"] = "replayed" }, 401, []string{"nonce"}, ""},
			{"wrong audience", "s-1", newcomer, func(_ url.Values, c map[string]any) { c["aud"] = "someone-else" }, 401, []string{"not valid"}, ""},
			{"unverified e-mail", "s-2", map[string]any{"email": "u@examplia.example", "email_verified": false, "rampart_org": "State of Examplia"}, nil, 403, []string{"verified e-mail"}, ""},
			{"new user", "s-1", newcomer, nil, 303, nil, "Sam Single"},
			{"same subject again", "s-1", newcomer, nil, 303, nil, "Sam Single"},
			{"link by verified e-mail, organization by id", "s-3", map[string]any{"email": e.stateAnalyst.Email, "email_verified": true, "rampart_org": e.state.ID}, nil, 303, nil, e.stateAnalyst.Name},
			{"existing user of another organization", "s-4", map[string]any{"email": e.companyAdmin.Email, "email_verified": true, "rampart_org": "State of Examplia"}, nil, 403, []string{"another organization"}, ""},
		}
		for _, tc := range cases {
			b := e.browser()
			status, body, res := p.signIn(b, tc.sub, tc.claims, tc.change)
			check(t, tc.name, status, body, tc.status, tc.must, nil)
			if tc.account != "" {
				if res.Header.Get("Location") != "/communities" {
					t.Errorf("%s: back to %q", tc.name, res.Header.Get("Location"))
				}
				if s, body := b.get("/account"); s != 200 || !strings.Contains(body, tc.account) {
					t.Errorf("%s: account page %d, want %s", tc.name, s, tc.account)
				}
			} else if s, _ := b.get("/account"); s != 303 {
				t.Errorf("%s: signed in after a refusal", tc.name)
			}
		}
		if got := users(); got != before+1 {
			t.Errorf("users: %d, want %d (one created)", got, before+1)
		}
		u, err := e.ids.UserByEmail(context.Background(), "sso@examplia.example")
		if err != nil || u.OrgID != e.state.ID || len(u.Roles) != 1 || u.Roles[0] != "viewer" || u.HasPassword {
			t.Errorf("created user %+v, %v", u, err)
		}
		actions := strings.Join(e.auditActions(), " ")
		if !strings.Contains(actions, "user.created") {
			t.Error("audit lacks user.created")
		}
	})
}

func TestOIDCOff(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		status, body := e.browser().get("/signin/oidc")
		check(t, "off", status, body, 404, []string{"not configured"}, nil)
	})
}
