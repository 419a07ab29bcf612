package events

import (
	"net/url"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	published     prometheus.Counter
	publishErrors prometheus.Counter
	outboxPending prometheus.Gauge
	consumed      *prometheus.CounterVec
	handleSeconds *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rampart_events_published_total",
			Help: "Events the relay published to JetStream and JetStream acknowledged.",
		}),
		publishErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rampart_events_publish_errors_total",
			Help: "Failed attempts to publish an outbox event; the event stays in the outbox.",
		}),
		outboxPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rampart_events_outbox_pending",
			Help: "Events in the outbox not yet published, as of the relay's last pass.",
		}),
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_events_consumed_total",
			Help: "Events handled by consumers, by outcome (ok, retry, dead, duplicate).",
		}, []string{"consumer", "outcome"}),
		handleSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rampart_events_handle_seconds",
			Help:    "Time consumers took to handle an event.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9),
		}, []string{"consumer"}),
	}
	if reg != nil {
		reg.MustRegister(m.published, m.publishErrors, m.outboxPending, m.consumed, m.handleSeconds)
	}
	return m
}

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }
