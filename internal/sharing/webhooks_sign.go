package sharing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// The headers of a webhook delivery. See webhooks.go for the scheme.
const (
	HeaderWebhookEvent     = "X-Rampart-Event"     // object.added or ping
	HeaderWebhookDelivery  = "X-Rampart-Delivery"  // the delivery's id; the same on every retry
	HeaderWebhookTimestamp = "X-Rampart-Timestamp" // Unix seconds when this attempt was signed
	HeaderWebhookSignature = "X-Rampart-Signature" // sha256=<hex HMAC-SHA256>
)

// SignWebhook returns the X-Rampart-Signature value of a delivery: "sha256="
// and the lower-case hex HMAC-SHA256, keyed with the webhook's secret
// exactly as it was shown at creation (the whole "whsec_..." string), of
// the timestamp, a full stop and the body bytes as sent.
func SignWebhook(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether header (the X-Rampart-Signature value)
// signs timestamp (the X-Rampart-Timestamp value) and body with secret. It
// compares in constant time. A header may list several comma-separated
// signatures; one that matches suffices. Receivers should also refuse a
// timestamp more than a few minutes from their clock, which VerifySignature
// leaves to them, so that a captured request cannot be replayed later.
func VerifySignature(secret, timestamp string, body []byte, header string) bool {
	want, _ := hex.DecodeString(strings.TrimPrefix(SignWebhook(secret, timestamp, body), "sha256="))
	for _, part := range strings.Split(header, ",") {
		hexSig, ok := strings.CutPrefix(strings.TrimSpace(part), "sha256=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(hexSig)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}
