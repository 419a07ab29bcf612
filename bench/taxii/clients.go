package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-project/rampart/taxii"
)

// A client session is what a TAXII consumer does when it wakes up: ask
// for a first page, then follow next until it has caught up or stops.
// The kinds and their weights:
//
//	full    from the beginning of the collection (a new subscriber)
//	after   from added_after at a random point (a client catching up)
//	type    match[type]=indicator, half from a random point
//	poll    added_after close to the end (a client polling often)
type sessionKind int

const (
	sessionFull sessionKind = iota
	sessionAfter
	sessionType
	sessionPoll
	sessionKinds
)

var sessionNames = [...]string{"full", "after", "type", "poll"}

// sessionWeights are in percent.
var sessionWeights = [...]int{20, 40, 30, 10}

// maxSessionPages bounds a session, so that every client keeps starting
// new ones and the mix stays as weighted.
const maxSessionPages = 20

// sample is one request.
type sample struct {
	latency time.Duration
	kind    sessionKind
	next    bool // it followed a next token
	status  int  // 0: transport error
	bytes   int
	objects int // -1 when the body was not counted
}

// target is the server and what clients need to page through it.
type target struct {
	base        string // .../collections/{id}/objects/
	members     []member
	first, last time.Time // date_added range of the collection
}

type clientOptions struct {
	clients  int
	duration time.Duration
	warmup   time.Duration
	limit    int
	think    time.Duration // mean pause between requests; 0 = none (closed loop)
	rate     float64       // pages per second offered by all clients together; 0 = as think says
	seed     uint64
}

// countEvery says how often a response is decoded whole to count its
// objects. Clients share the server's cores, so the others are only read
// to the end and scanned for next, which the server writes first.
const countEvery = 8

// runClients runs the clients and returns the samples taken after the
// warm-up.
func runClients(ctx context.Context, tg target, o clientOptions) ([]sample, time.Duration) {
	tr := &http.Transport{
		MaxIdleConns: o.clients, MaxIdleConnsPerHost: o.clients, IdleConnTimeout: time.Minute,
		DisableCompression: true,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, o.warmup+o.duration)
	defer cancel()
	measureFrom := time.Now().Add(o.warmup)
	var mu sync.Mutex
	var all []sample
	var wg sync.WaitGroup
	var counter atomic.Int64
	for i := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &client{hc: hc, tg: tg, o: o, m: tg.members[i%len(tg.members)],
				rng: rand.New(rand.NewPCG(o.seed, uint64(i))), counter: &counter}
			got := c.run(ctx, measureFrom)
			mu.Lock()
			all = append(all, got...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all, time.Since(measureFrom)
}

type client struct {
	hc      *http.Client
	tg      target
	o       clientOptions
	m       member
	rng     *rand.Rand
	counter *atomic.Int64 // responses of all clients, for countEvery
}

func (c *client) run(ctx context.Context, measureFrom time.Time) []sample {
	var out []sample
	due := time.Now()
	for ctx.Err() == nil {
		kind := c.kind()
		q := url.Values{}
		q.Set("limit", strconv.Itoa(c.o.limit))
		span := c.tg.last.Sub(c.tg.first)
		switch kind {
		case sessionAfter:
			q.Set("added_after", taxii.FormatTimestamp(c.tg.first.Add(time.Duration(c.rng.Int64N(int64(span)+1)))))
		case sessionType:
			q.Set("match[type]", "indicator")
			if c.rng.IntN(2) == 0 {
				q.Set("added_after", taxii.FormatTimestamp(c.tg.first.Add(time.Duration(c.rng.Int64N(int64(span)+1)))))
			}
		case sessionPoll:
			back := time.Duration(c.rng.Int64N(int64(span)/200 + 1))
			q.Set("added_after", taxii.FormatTimestamp(c.tg.last.Add(-back)))
		}
		pages := 1 + c.rng.IntN(maxSessionPages)
		for p := 0; p < pages && ctx.Err() == nil; p++ {
			if c.o.rate > 0 {
				// Open loop: requests are due on a Poisson schedule of
				// the client's share of the rate, and a late answer does
				// not move the schedule, so latency counts from when the
				// request was due (no coordinated omission).
				due = due.Add(time.Duration(c.rng.ExpFloat64() * float64(c.o.clients) / c.o.rate * float64(time.Second)))
				if wait := time.Until(due); wait > 0 {
					select {
					case <-time.After(wait):
					case <-ctx.Done():
					}
				}
				if ctx.Err() != nil {
					break
				}
			} else if p > 0 && c.o.think > 0 {
				// Exponential pauses: the clients' requests arrive
				// independently, not in lockstep.
				pause := time.Duration(c.rng.ExpFloat64() * float64(c.o.think))
				select {
				case <-time.After(pause):
				case <-ctx.Done():
				}
				if ctx.Err() != nil {
					break
				}
			}
			start := time.Now()
			if c.o.rate > 0 {
				start = due
			}
			s, next := c.get(ctx, q)
			s.latency, s.kind, s.next = time.Since(start), kind, p > 0
			if ctx.Err() != nil && s.status == 0 {
				break // cut off by the end of the run, not an error
			}
			if start.After(measureFrom) {
				out = append(out, s)
			}
			if next == "" {
				break
			}
			q.Set("next", next)
		}
	}
	return out
}

func (c *client) kind() sessionKind {
	n := c.rng.IntN(100)
	for k := range sessionKinds {
		if n < sessionWeights[k] {
			return k
		}
		n -= sessionWeights[k]
	}
	return sessionFull
}

var nextKey = []byte(`"next":"`)

// get fetches one page and returns its next token, "" at the end or on
// an error.
func (c *client) get(ctx context.Context, q url.Values) (sample, string) {
	s := sample{objects: -1}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.tg.base+"?"+q.Encode(), nil)
	if err != nil {
		return s, ""
	}
	req.Header.Set("Accept", taxii.MediaTypeTAXII)
	req.SetBasicAuth(c.m.Email, c.m.Token)
	res, err := c.hc.Do(req)
	if err != nil {
		return s, ""
	}
	defer res.Body.Close()
	s.status = res.StatusCode
	var body bytes.Buffer
	n, err := io.Copy(&body, res.Body)
	s.bytes = int(n)
	if err != nil {
		s.status = 0
		return s, ""
	}
	if res.StatusCode != http.StatusOK {
		return s, ""
	}
	b := body.Bytes()
	if c.counter.Add(1)%countEvery == 0 {
		var env struct {
			Objects []json.RawMessage `json:"objects"`
		}
		if json.Unmarshal(b, &env) == nil {
			s.objects = len(env.Objects)
		}
	}
	// The envelope is written as more, next, objects: the token, when
	// there is one, is in the first bytes.
	head := b[:min(len(b), 256)]
	i := bytes.Index(head, nextKey)
	if i < 0 {
		return s, ""
	}
	rest := head[i+len(nextKey):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return s, ""
	}
	return s, string(rest[:j])
}

// summary is the figures of one run.
type summary struct {
	n, errors             int
	throughput            float64
	p50, p90, p99, max    time.Duration
	meanBytes, meanObjs   float64
	counted, fullPages    int
	fullPageBytesPerObj   float64
	nextShare             float64
	byKind                [sessionKinds]kindSummary
	elapsed, cpu          time.Duration
	poolWaits             int64
	poolWaitMean          time.Duration
	serverP50, serverP99  time.Duration
	serverN               int
	loadBefore, loadAfter string
	writes                int // commits beside the clients (-writes), warm-up included
}

type kindSummary struct {
	n        int
	p50, p99 time.Duration
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func summarise(samples []sample, elapsed time.Duration, limit int) summary {
	s := summary{n: len(samples), elapsed: elapsed}
	var lat []time.Duration
	byKind := make([][]time.Duration, sessionKinds)
	var bytesSum, objSum, fullBytes, fullObjs, next int
	for _, x := range samples {
		if x.status != http.StatusOK {
			s.errors++
			continue
		}
		lat = append(lat, x.latency)
		byKind[x.kind] = append(byKind[x.kind], x.latency)
		bytesSum += x.bytes
		if x.next {
			next++
		}
		if x.objects >= 0 {
			s.counted++
			objSum += x.objects
			if x.objects == limit {
				s.fullPages++
				fullBytes += x.bytes
				fullObjs += x.objects
			}
		}
	}
	slices.Sort(lat)
	s.p50, s.p90, s.p99 = percentile(lat, 0.50), percentile(lat, 0.90), percentile(lat, 0.99)
	if len(lat) > 0 {
		s.max = lat[len(lat)-1]
		s.meanBytes = float64(bytesSum) / float64(len(lat))
		s.nextShare = float64(next) / float64(len(lat))
	}
	if s.counted > 0 {
		s.meanObjs = float64(objSum) / float64(s.counted)
	}
	if fullObjs > 0 {
		s.fullPageBytesPerObj = float64(fullBytes) / float64(fullObjs)
	}
	s.throughput = float64(len(lat)) / elapsed.Seconds()
	for k := range sessionKinds {
		slices.Sort(byKind[k])
		s.byKind[k] = kindSummary{n: len(byKind[k]), p50: percentile(byKind[k], 0.5), p99: percentile(byKind[k], 0.99)}
	}
	return s
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
