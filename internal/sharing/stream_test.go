package sharing_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

func TestStreamDeliversWhatEachSubscriberMaySeeAndNothingElse(t *testing.T) {
	runLive(t, func(t *testing.T, e *liveEnv) {
		subs := map[string]*sseClient{}
		users := map[string]*identity.User{"analystA": e.analystA, "colleagueA": e.colleagueA, "analystB": e.analystB,
			"analystX": e.analystX, "coordinator": e.coordin}
		for name, u := range users {
			subs[name] = e.stream(u, streamOpts{})
		}

		committed := time.Now()
		e.share(e.analystB, share{tlp: access.Green, grants: []access.Grant{{Kind: access.GrantCommunity, ID: e.community.ID}}}, liveIndicator("community-green"))
		// The first object reaches those who may see it within a second.
		for _, name := range []string{"analystA", "colleagueA", "analystB"} {
			ev := subs[name].next(time.Second)
			if _, n := ev.object(t); n != "community-green" || ev.at.Sub(committed) > time.Second {
				t.Fatalf("%s: got %q after %s", name, n, ev.at.Sub(committed))
			}
		}
		e.share(e.analystA, share{tlp: access.Amber}, liveIndicator("amber-of-A"))
		e.share(e.analystA, share{tlp: access.Red}, liveIndicator("red-of-analystA"))
		e.share(e.analystB, share{tlp: access.AmberStrict, grants: []access.Grant{{Kind: access.GrantOrg, ID: e.orgA.ID}}}, liveIndicator("strict-to-A"))
		e.share(e.analystB, share{tlp: access.Green, anonymous: true}, liveIndicator("anonymous-green"))
		e.share(e.analystX, share{tlp: access.Clear}, liveIndicator("sentinel"))

		want := map[string][]string{
			"analystA":    {"community-green", "amber-of-A", "red-of-analystA", "strict-to-A", "anonymous-green", "sentinel"},
			"colleagueA":  {"community-green", "amber-of-A", "strict-to-A", "anonymous-green", "sentinel"},
			"analystB":    {"community-green", "strict-to-A", "anonymous-green", "sentinel"},
			"analystX":    {"anonymous-green", "sentinel"},
			"coordinator": {"anonymous-green", "sentinel"},
		}
		for name, c := range subs {
			evs := c.until("sentinel", 5*time.Second)
			got := names(t, evs)
			if name == "analystA" || name == "colleagueA" || name == "analystB" {
				got = append([]string{"community-green"}, got...)
			}
			if !slices.Equal(got, want[name]) {
				t.Errorf("%s received %v, want %v", name, got, want[name])
			}
			for _, ev := range evs {
				obj, n := ev.object(t)
				switch {
				case n == "anonymous-green" && name == "coordinator" && obj.OwnerOrg != e.orgB.ID:
					t.Errorf("the coordinator should see who submitted anonymously, got %q", obj.OwnerOrg)
				case n == "anonymous-green" && name != "coordinator" && obj.OwnerOrg != "":
					t.Errorf("%s learns the anonymous submitter: %q", name, obj.OwnerOrg)
				case !strings.Contains(ev.data, `"object":{`):
					t.Errorf("%s: the event carries no STIX object: %.200s", name, ev.data)
				}
			}
		}
		// Nothing else arrives.
		time.Sleep(200 * time.Millisecond)
		for name, c := range subs {
			select {
			case ev := <-c.events:
				t.Errorf("%s received more: %s %.200s", name, ev.event, ev.data)
			default:
			}
		}
		// Reading TLP:RED and TLP:AMBER+STRICT from the stream is audited
		// like any other read.
		// One entry may cover several objects sent together.
		byUser := map[string]int{}
		for _, en := range e.auditEntries("object.read_restricted") {
			objs, _ := en.Detail["objects"].([]any)
			byUser[en.ActorUserID] += len(objs)
		}
		if byUser[e.analystA.ID] != 2 || byUser[e.colleagueA.ID] != 1 || byUser[e.analystB.ID] != 1 || len(byUser) != 3 {
			t.Errorf("restricted objects read, by user: %v", byUser)
		}
	})
}

func TestStreamFilters(t *testing.T) {
	runLive(t, func(t *testing.T, e *liveEnv) {
		types := e.stream(e.analystB, streamOpts{query: "?type=malware"})
		tlps := e.stream(e.analystB, streamOpts{query: "?tlp=amber,clear"})
		coll := e.stream(e.analystB, streamOpts{query: "?collection=election"})
		all := e.stream(e.analystB, streamOpts{})

		green := share{tlp: access.Green}
		e.share(e.analystA, green, liveMalware("malware-green"))
		e.share(e.analystA, share{tlp: access.Amber, grants: []access.Grant{{Kind: access.GrantOrg, ID: e.orgB.ID}}}, liveIndicator("indicator-amber"))
		earlier := liveIndicator("stored-before-collected")
		e.share(e.analystA, green, earlier)
		// The same version added to the collection later: news for the
		// collection's stream, not for the others.
		e.share(e.analystA, share{tlp: access.Green, collection: &e.coll}, earlier)
		e.share(e.analystA, share{collection: &e.coll}, liveIndicator("added-to-collection"))
		e.share(e.analystA, share{tlp: access.Clear}, liveMalware("sentinel"))

		check := func(what string, c *sseClient, want ...string) {
			t.Helper()
			got := names(t, c.until(want[len(want)-1], 5*time.Second))
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", what, got, want)
			}
		}
		check("type=malware", types, "malware-green", "sentinel")
		check("tlp=amber,clear", tlps, "indicator-amber", "sentinel")
		check("no filter", all, "malware-green", "indicator-amber", "stored-before-collected", "added-to-collection", "sentinel")
		check("collection", coll, "stored-before-collected", "added-to-collection")

		// A collection's stream counts in date_added, which resumes from the
		// collection's own position.
		c2 := e.stream(e.analystB, streamOpts{query: "?collection=" + e.coll.ID, lastEventID: "0"})
		if got := names(t, c2.until("added-to-collection", 5*time.Second)); !slices.Equal(got, []string{"stored-before-collected", "added-to-collection"}) {
			t.Errorf("collection replay: %v", got)
		}

		for _, tc := range []struct {
			who    *identity.User
			query  string
			header string
			accept string
			status int
		}{
			{e.analystX, "?collection=election", "", "", 404},    // not in the community
			{e.analystB, "?collection=nonesuch", "", "", 404},    // no such collection
			{e.analystB, "?tlp=purple", "", "", 400},             // no such TLP
			{e.analystB, "", "twelve", "", 400},                  // not an id the stream sent
			{e.analystB, "?last_event_id=-1", "", "", 400},       // nor this
			{e.analystB, "", "", "application/json", 406},        // would never end for a JSON client
			{nil, "", "", "", 401},                               // anonymous
			{e.analystB, "?type=indicator", "", "*/*", 200},      // curl's default
			{e.analystB, "", "", "text/event-stream;q=1.0", 200}, // with parameters
		} {
			status, body := e.streamStatus(tc.who, tc.query, tc.header, tc.accept)
			if status != tc.status {
				t.Errorf("%s %s %s: %d, want %d: %s", tc.query, tc.header, tc.accept, status, tc.status, body)
			}
		}
	})
}

// streamStatus opens the stream and returns the status, and the body for
// an error; a stream that opens is closed at once.
func (e *liveEnv) streamStatus(u *identity.User, query, lastID, accept string) (int, string) {
	e.t.Helper()
	if accept == "" {
		accept = "text/event-stream"
	}
	req, _ := http.NewRequest("GET", e.base+"/api/v1/stream"+query, nil)
	req.Header.Set("Accept", accept)
	if u != nil {
		req.Header.Set("Authorization", "Bearer "+e.tokens[u.ID])
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 {
		return 200, resp.Header.Get("Content-Type")
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestStreamResumesWithLastEventID(t *testing.T) {
	runLive(t, func(t *testing.T, e *liveEnv) {
		amberB := share{tlp: access.Amber}
		community := share{tlp: access.Green, grants: []access.Grant{{Kind: access.GrantCommunity, ID: e.community.ID}}}

		// A client that has received nothing yet still has a position: the
		// opening block carries one.
		c := e.stream(e.analystA, streamOpts{})
		if !c.opened.hasID {
			t.Fatal("the opening block has no id")
		}
		start := c.opened.id
		c.close()
		e.share(e.analystB, community, liveIndicator("while-away-1"))
		e.share(e.analystB, amberB, liveIndicator("hidden-from-A"))
		e.share(e.analystB, community, liveIndicator("while-away-2"))
		c = e.stream(e.analystA, streamOpts{lastEventID: strconv.FormatInt(start, 10)})
		evs := c.until("while-away-2", 5*time.Second)
		if got := names(t, evs); !slices.Equal(got, []string{"while-away-1", "while-away-2"}) {
			t.Fatalf("after reconnecting: %v", got)
		}
		last := evs[len(evs)-1].id

		// Live again after the replay; then away again.
		e.share(e.analystB, community, liveIndicator("live-1"))
		if got := names(t, c.until("live-1", 5*time.Second)); !slices.Equal(got, []string{"live-1"}) {
			t.Fatalf("live after replay: %v", got)
		}
		c.close()
		for i := range 5 {
			e.share(e.analystB, community, liveIndicator(fmt.Sprintf("missed-%d", i)))
			e.share(e.analystB, amberB, liveIndicator(fmt.Sprintf("never-%d", i)))
		}
		// EventSource's reconnect: the query parameter of the first
		// connection, the header with the newest id. The header wins.
		c = e.stream(e.analystA, streamOpts{query: "?last_event_id=" + strconv.FormatInt(start, 10), lastEventID: strconv.FormatInt(last, 10)})
		// Objects stored while the replay runs come once, after it.
		e.share(e.analystB, community, liveIndicator("during-replay"))
		got := names(t, c.until("during-replay", 5*time.Second))
		want := []string{"live-1", "missed-0", "missed-1", "missed-2", "missed-3", "missed-4", "during-replay"}
		if !slices.Equal(got, want) {
			t.Fatalf("resumed: %v, want %v", got, want)
		}
		e.share(e.analystX, share{tlp: access.Clear}, liveIndicator("end"))
		if got := names(t, c.until("end", 5*time.Second)); !slices.Equal(got, []string{"end"}) {
			t.Fatalf("duplicates after the replay: %v", got)
		}

		// The query parameter alone, as a first EventSource connection has.
		q := e.stream(e.analystA, streamOpts{query: "?last_event_id=" + strconv.FormatInt(last, 10)})
		if got := names(t, q.until("end", 5*time.Second)); !slices.Equal(got, append(want, "end")) {
			t.Fatalf("last_event_id parameter: %v", got)
		}
	})
}

// A subscriber that stops reading must not hold up the hub: once too much
// is queued for it, its stream ends with an overflow event, and it resumes
// from its last id without a gap.
func TestStreamOverflowEndsTheSlowSubscriberOnly(t *testing.T) {
	runLive(t, func(t *testing.T, e *liveEnv) {
		slow := e.stream(e.analystB, streamOpts{paused: true})
		fast := e.stream(e.analystB, streamOpts{})
		// Large objects fill the socket buffers and then the queue.
		padding := `"description":"` + strings.Repeat("x", 300<<10) + `"`
		const n = 48
		for i := range n {
			e.share(e.analystA, share{tlp: access.Green}, liveIndicator(fmt.Sprintf("big-%02d", i), padding))
		}
		// Once the reading subscriber has everything, the hub has handed
		// out every event, and the slow one has fallen behind. (Names are
		// picked out without decoding: megabytes of JSON are slow under
		// the race detector, and the slow stream's server side gives up on
		// a write that waits too long.)
		for i := range n {
			if ev := fast.next(20 * time.Second); quickName(ev) != fmt.Sprintf("big-%02d", i) {
				t.Fatalf("the reading subscriber's object %d is %q", i, quickName(ev))
			}
		}
		slow.start()
		var received []string
		var last int64
		overflowed := false
		for ev := range slow.events {
			switch ev.event {
			case "object":
				received = append(received, quickName(ev))
				last = ev.id
			case "overflow":
				overflowed = true
			}
		}
		t.Logf("the slow subscriber received %d objects, then overflow=%v", len(received), overflowed)
		if !overflowed || len(received) == n {
			t.Fatalf("the slow subscriber got %d objects and overflow=%v", len(received), overflowed)
		}
		again := e.stream(e.analystB, streamOpts{lastEventID: strconv.FormatInt(last, 10)})
		all := received
		for len(all) < n {
			all = append(all, quickName(again.next(20*time.Second)))
		}
		for i, name := range all {
			if want := fmt.Sprintf("big-%02d", i); name != want {
				t.Fatalf("after resuming, object %d is %s, want %s (received %d before the overflow)", i, name, want, len(received))
			}
		}
		if len(all) != n {
			t.Fatalf("%d objects in all, want %d", len(all), n)
		}
	})
}

// quickName is the name of a streamed version, read without decoding it.
func quickName(ev sseEvent) string {
	_, rest, _ := strings.Cut(ev.data, `"name":"`)
	name, _, _ := strings.Cut(rest, `"`)
	return name
}

// Streams do not hold up a graceful shutdown: the server ends them.
func TestStreamEndsWhenTheServerShutsDown(t *testing.T) {
	runLive(t, func(t *testing.T, e *liveEnv) {
		clients := []*sseClient{e.stream(e.analystA, streamOpts{}), e.stream(e.analystB, streamOpts{query: "?type=indicator"})}
		took := e.shutdown()
		if took > 2*time.Second {
			t.Errorf("HTTP shutdown took %s with open streams", took)
		}
		for _, c := range clients {
			select {
			case <-c.done:
			case <-time.After(2 * time.Second):
				t.Fatal("a stream is still open after shutdown")
			}
		}
	})
}
