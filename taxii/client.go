package taxii

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of ClientOptions and RetryPolicy.
const (
	DefaultTimeout          = 60 * time.Second
	DefaultMaxResponseBytes = 64 << 20
	DefaultUserAgent        = "rampart-taxii"
	DefaultMaxAttempts      = 4
	DefaultBaseBackoff      = 500 * time.Millisecond
	DefaultMaxBackoff       = time.Minute
)

// ClientOptions configures a Client. The zero value is usable: no
// credentials, the defaults above.
type ClientOptions struct {
	// HTTPClient sends the requests; nil means a client with
	// DefaultTimeout, so that a server that stops answering cannot hang a
	// caller that passed a context without a deadline.
	HTTPClient *http.Client

	// Username and Password are sent with HTTP Basic authentication when
	// Username is set. BearerToken, when set, is sent instead as
	// "Authorization: Bearer"; a server takes one scheme, so setting both
	// is a configuration mistake resolved in favour of the token.
	Username    string
	Password    string
	BearerToken string

	// UserAgent identifies the client to the server; "" means
	// DefaultUserAgent.
	UserAgent string

	Retry RetryPolicy

	// MaxResponseBytes bounds every response body the client reads, so a
	// hostile or broken server cannot exhaust memory; 0 means
	// DefaultMaxResponseBytes. Ask for smaller pages (Filter.Limit) rather
	// than raising it much.
	MaxResponseBytes int64
}

// RetryPolicy says how a Client retries a request that failed for a
// reason that may pass: a network error, or a 429, 502, 503 or 504
// response. Other responses are final; in particular a POST refused with
// a 4xx other than 429 is never sent again, since the server has judged
// the request itself.
//
// The wait before attempt n+1 is BaseBackoff·2^(n-1), capped at
// MaxBackoff, with jitter so that clients refused together do not return
// together. A Retry-After header (seconds or an HTTP date) replaces the
// computed wait; when it asks for more than MaxBackoff the client gives up
// at once and returns the response's error rather than block for longer
// than the policy allows.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt; 1 disables retries, 0 means
	// DefaultMaxAttempts.
	MaxAttempts int
	BaseBackoff time.Duration // 0 means DefaultBaseBackoff
	MaxBackoff  time.Duration // 0 means DefaultMaxBackoff
}

// Client is a TAXII 2.1 client. It is safe for concurrent use.
//
// Every method takes absolute URLs: the discovery URL, or an API root URL
// (with or without its trailing slash) from which the method builds the
// endpoint, such as root + "collections/{id}/objects/". Identifiers are
// escaped as single path segments.
type Client struct {
	hc          *http.Client
	username    string
	password    string
	bearerToken string
	userAgent   string
	retry       RetryPolicy
	maxBody     int64
}

// NewClient returns a Client configured by opts, with defaults filled in.
func NewClient(opts ClientOptions) *Client {
	c := &Client{
		hc:          opts.HTTPClient,
		username:    opts.Username,
		password:    opts.Password,
		bearerToken: opts.BearerToken,
		userAgent:   opts.UserAgent,
		retry:       opts.Retry,
		maxBody:     opts.MaxResponseBytes,
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultTimeout}
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.retry.MaxAttempts <= 0 {
		c.retry.MaxAttempts = DefaultMaxAttempts
	}
	if c.retry.BaseBackoff <= 0 {
		c.retry.BaseBackoff = DefaultBaseBackoff
	}
	if c.retry.MaxBackoff <= 0 {
		c.retry.MaxBackoff = DefaultMaxBackoff
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	return c
}

// response is a fully read HTTP response.
type response struct {
	method, url string
	status      int
	header      http.Header
	body        []byte
}

// do sends a request, retrying as the policy allows, and returns the 2xx
// response; any other final response comes back as *Error.
func (c *Client) do(ctx context.Context, method, u string, body []byte) (*response, error) {
	for attempt := 1; ; attempt++ {
		req, err := c.newRequest(ctx, method, u, body)
		if err != nil {
			return nil, fmt.Errorf("taxii: %w", err)
		}
		res, err := c.send(req)
		var (
			wait     time.Duration
			explicit bool
		)
		switch {
		case err != nil:
			if ctx.Err() != nil || !retryableError(err) {
				return nil, fmt.Errorf("taxii: %w", err)
			}
			err = fmt.Errorf("taxii: %w", err)
		case res.status >= 200 && res.status <= 299:
			return res, nil
		default:
			err = res.error()
			if !retryableStatus(res.status) {
				return nil, err
			}
			if wait, explicit = retryAfter(res.header.Get("Retry-After"), time.Now()); explicit && wait > c.retry.MaxBackoff {
				return nil, err
			}
		}
		if attempt >= c.retry.MaxAttempts {
			return nil, err
		}
		if !explicit {
			wait = c.backoff(attempt)
		}
		if serr := sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("taxii: %s %s: gave up after attempt %d: %w (last error: %v)", method, u, attempt, serr, err)
		}
	}
}

// newRequest builds the request of one attempt; each attempt needs its own
// reader of the body.
func (c *Client) newRequest(ctx context.Context, method, u string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", MediaTypeTAXII)
	if body != nil {
		req.Header.Set("Content-Type", MediaTypeTAXII)
	}
	req.Header.Set("User-Agent", c.userAgent)
	switch {
	case c.bearerToken != "":
		req.Header.Set("Authorization", "Bearer "+c.bearerToken)
	case c.username != "":
		req.SetBasicAuth(c.username, c.password)
	}
	return req, nil
}

// send makes one attempt and reads the body. An error means no usable
// response: a network failure, or a 2xx body over the size limit.
func (c *Client) send(req *http.Request) (*response, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res := &response{method: req.Method, url: req.URL.String(), status: resp.StatusCode, header: resp.Header}
	res.body, err = readBody(resp, c.maxBody)
	var tooLarge *bodyTooLargeError
	switch {
	case errors.As(err, &tooLarge) && (resp.StatusCode < 200 || resp.StatusCode > 299):
		// An error response is still an answer; only its details are lost.
		res.body = nil
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", req.Method, res.url, err)
	}
	return res, nil
}

type bodyTooLargeError struct{ limit int64 }

func (e *bodyTooLargeError) Error() string {
	return fmt.Sprintf("response body exceeds the limit of %d bytes", e.limit)
}

func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if resp.ContentLength > limit {
		return nil, &bodyTooLargeError{limit}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, &bodyTooLargeError{limit}
	}
	return data, nil
}

// retryableError reports whether a failed attempt may succeed if repeated.
// A certificate the client rejects will be rejected again, and a body over
// the limit will be as large next time.
func retryableError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var tooLarge *bodyTooLargeError
	return !errors.As(err, &certErr) && !errors.As(err, &tooLarge)
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryAfter reads a Retry-After value: delay-seconds or an HTTP date
// (RFC 9110 section 10.2.3). ok is false when the header is absent or
// unreadable, and the client falls back to its own backoff.
func retryAfter(h string, now time.Time) (d time.Duration, ok bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if allDigits(h) {
		secs, err := strconv.ParseInt(h, 10, 64)
		if err != nil || secs > int64((1<<63-1)/time.Second) {
			return time.Duration(1<<63 - 1), true // longer than any policy
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// backoff is the wait after the given failed attempt: exponential, capped,
// with "equal jitter" (half fixed, half random) so the wait never drops to
// nothing.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.retry.BaseBackoff
	for i := 1; i < attempt && d < c.retry.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.retry.MaxBackoff)
	half := d / 2
	return half + rand.N(d-half+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// error turns a non-2xx response into *Error, from the TAXII error body
// when there is one. application/json is read too: a proxy or framework in
// front of the server may relabel the body, and the message is worth more
// than the label here.
func (r *response) error() *Error {
	e := &Error{}
	ct := r.header.Get("Content-Type")
	mt, ok := parseMediaType(ct)
	if ok && (mt.isTAXII() || mt.typ == "application" && mt.subtype == "json") && len(r.body) > 0 {
		if err := json.Unmarshal(r.body, e); err != nil || e.Title == "" {
			e = &Error{}
		}
	}
	if e.Title == "" {
		e.Title = http.StatusText(r.status)
		if e.Title == "" {
			e.Title = "HTTP status " + strconv.Itoa(r.status)
		}
		e.Description = r.method + " " + r.url
	}
	e.StatusCode = r.status
	return e
}

// decode checks that a 2xx response is TAXII JSON and decodes it into out.
func (r *response) decode(out any) error {
	ct := r.header.Get("Content-Type")
	if !isTAXIIResponseType(ct) {
		return fmt.Errorf("taxii: %s %s: response Content-Type is %q, want %s", r.method, r.url, ct, MediaTypeTAXII)
	}
	if err := json.Unmarshal(r.body, out); err != nil {
		return fmt.Errorf("taxii: %s %s: decode response: %w", r.method, r.url, err)
	}
	return nil
}

// getJSON GETs u with the filter's parameters and decodes the response.
func (c *Client) getJSON(ctx context.Context, u string, q url.Values, out any) (http.Header, error) {
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	res, err := c.do(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return res.header, res.decode(out)
}

// checkURL accepts absolute http and https URLs without a fragment.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("taxii: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("taxii: %q is not an absolute http or https URL", raw)
	}
	if u.Fragment != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("taxii: URL %q must not have a query or fragment", raw)
	}
	return u, nil
}

// endpoint appends path segments to an API root URL, each escaped as one
// segment and followed by the slash TAXII URLs end with. "." and ".." are
// refused because a server or proxy would resolve them to another endpoint.
func endpoint(root string, segments ...string) (string, error) {
	u, err := checkURL(root)
	if err != nil {
		return "", err
	}
	p := u.EscapedPath()
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	for _, s := range segments {
		if s == "" || s == "." || s == ".." {
			return "", fmt.Errorf("taxii: %q is not a valid identifier in a URL path", s)
		}
		p += url.PathEscape(s) + "/"
	}
	unescaped, err := url.PathUnescape(p)
	if err != nil {
		return "", fmt.Errorf("taxii: %w", err)
	}
	u.Path, u.RawPath = unescaped, p
	return u.String(), nil
}
