package sharing

import "time"

// Failed deliveries in tests are retried within milliseconds, so the whole
// schedule up to a dead delivery takes well under a second. The deliverer
// copies the schedule when it is built, after this has run.
func init() {
	webhookBackoff = []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond, 80 * time.Millisecond,
		100 * time.Millisecond, 120 * time.Millisecond, 140 * time.Millisecond}
}

// WebhookBackoff is the schedule the tests run with.
func WebhookBackoff() []time.Duration { return append([]time.Duration(nil), webhookBackoff...) }
