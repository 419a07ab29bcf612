package sharing

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/access"
)

// Every event decodes to what was encoded, whichever fields its objects
// share, and an event written before "common" existed still decodes.
func TestAddedEventRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(vals ...string) string { return vals[rng.IntN(len(vals))] }
	for range 2000 {
		// Each field is either the same for every object or drawn per
		// object, so both paths of every field are taken.
		fixed := rng.Uint64()
		var ev AddedEvent
		for i := range rng.IntN(5) {
			vary := func(bit int) bool { return fixed&(1<<bit) == 0 }
			o := AddedObject{Seq: int64(i + 1), ItemID: pick("a", "b"), StixID: "indicator--" + pick("1", "2")}
			choose := func(bit int, vals ...string) string {
				if vary(bit) {
					return pick(vals...)
				}
				return vals[0]
			}
			o.Type = choose(0, "indicator", "malware", "")
			o.TLP = access.TLP(choose(1, "GREEN", "RED", ""))
			o.OwnerOrg = choose(2, "org-1", "org-2", "")
			o.CreatedBy = choose(3, "user-1", "", "system")
			o.Anonymous = choose(4, "", "y") != ""
			o.Source = choose(5, "import", "taxii", "")
			o.SourcePeer = choose(6, "", "peer-1")
			o.Stored = choose(7, "y", "") != ""
			switch choose(8, "none", "one", "two") {
			case "one":
				o.Collections = []string{"c1"}
			case "two":
				o.Collections = []string{"c1", "c2"}
			}
			switch choose(9, "none", "community", "org") {
			case "community":
				o.Audience = []access.Grant{{Kind: access.GrantCommunity, ID: "comm-1"}}
			case "org":
				o.Audience = []access.Grant{{Kind: access.GrantOrg, ID: "org-3", ExtendedBy: "org-1"}}
			}
			ev.Objects = append(ev.Objects, o)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var got AddedEvent
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if len(ev.Objects) == 0 {
			ev.Objects = []AddedObject{}
		}
		if !reflect.DeepEqual(got, ev) {
			t.Fatalf("round trip of %s\n got %+v\nwant %+v", b, got.Objects, ev.Objects)
		}
	}
}

func TestAddedEventSharedFieldsWrittenOnce(t *testing.T) {
	var ev AddedEvent
	for i := range 3 {
		ev.Objects = append(ev.Objects, AddedObject{Seq: int64(i), ItemID: "item", StixID: "indicator--x", Type: "indicator",
			TLP: access.Green, OwnerOrg: "org-owner", CreatedBy: "user-1", Source: SourceImport, Stored: true,
			Audience: []access.Grant{{Kind: access.GrantCommunity, ID: "comm-1"}}})
	}
	b, _ := json.Marshal(ev)
	for _, v := range []string{"org-owner", "user-1", "comm-1", `"import"`, "GREEN"} {
		if n := strings.Count(string(b), v); n != 1 {
			t.Errorf("%s is written %d times, want once: %s", v, n, b)
		}
	}
}

func TestAddedEventOfEarlierVersionsDecodes(t *testing.T) {
	old := `{"objects":[{"seq":1,"item_id":"i1","stix_id":"attack-pattern--1","type":"attack-pattern","tlp":"CLEAR","owner_org":"o1","created_by":"cli","source":"import","stored":true},` +
		`{"seq":2,"item_id":"i2","stix_id":"malware--2","type":"malware","tlp":"AMBER","owner_org":"o1","created_by":"cli","source":"import","collections":["c1"],"audience":[{"Kind":"org","ID":"o2","ExtendedBy":""}],"stored":false}]}`
	var ev AddedEvent
	if err := json.Unmarshal([]byte(old), &ev); err != nil {
		t.Fatal(err)
	}
	want := []AddedObject{
		{Seq: 1, ItemID: "i1", StixID: "attack-pattern--1", Type: "attack-pattern", TLP: access.Clear, OwnerOrg: "o1", CreatedBy: "cli", Source: "import", Stored: true},
		{Seq: 2, ItemID: "i2", StixID: "malware--2", Type: "malware", TLP: access.Amber, OwnerOrg: "o1", CreatedBy: "cli", Source: "import",
			Collections: []string{"c1"}, Audience: []access.Grant{{Kind: access.GrantOrg, ID: "o2"}}},
	}
	if !reflect.DeepEqual(ev.Objects, want) {
		t.Fatalf("got %+v\nwant %+v", ev.Objects, want)
	}
}
