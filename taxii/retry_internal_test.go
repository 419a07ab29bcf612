package taxii

import (
	"testing"
	"time"
)

// Internal because the wait itself is not observable from outside without
// making the tests slow.

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h      string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"  7 ", 7 * time.Second, true},
		{"120", 2 * time.Minute, true},
		{"99999999999999999999", 1<<63 - 1, true}, // absurd, so longer than any policy
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sunday, 01-Mar-26 12:01:00 GMT", time.Minute, true}, // RFC 850 form
		{"Sun Mar  1 12:00:10 2026", 10 * time.Second, true},  // asctime form
		{"Sat, 28 Feb 2026 12:00:00 GMT", 0, true},            // in the past
		{"-5", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.h, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.h, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	c := NewClient(ClientOptions{Retry: RetryPolicy{BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}})
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 200 * time.Millisecond, 400 * time.Millisecond},
		{4, 400 * time.Millisecond, 800 * time.Millisecond},
		{5, 500 * time.Millisecond, time.Second}, // capped
		{60, 500 * time.Millisecond, time.Second},
	}
	for _, tt := range tests {
		for range 50 {
			if d := c.backoff(tt.attempt); d < tt.min || d > tt.max {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tt.attempt, d, tt.min, tt.max)
			}
		}
	}
}

func TestNewClientDefaults(t *testing.T) {
	t.Parallel()
	c := NewClient(ClientOptions{})
	if c.hc == nil || c.hc.Timeout != DefaultTimeout {
		t.Errorf("HTTP client %+v, want one with a %v timeout", c.hc, DefaultTimeout)
	}
	want := RetryPolicy{MaxAttempts: DefaultMaxAttempts, BaseBackoff: DefaultBaseBackoff, MaxBackoff: DefaultMaxBackoff}
	if c.retry != want || c.maxBody != DefaultMaxResponseBytes || c.userAgent != DefaultUserAgent {
		t.Errorf("retry %+v, max body %d, user agent %q", c.retry, c.maxBody, c.userAgent)
	}
}
