package sharing

import "context"

// mountWebhooks sets up webhook deliveries. (Placeholder until webhooks
// land in this change set.)
func (m *Module) mountWebhooks(ctx context.Context) error { return nil }
