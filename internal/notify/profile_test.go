package notify_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/notify"
)

// TestProfileChangeNotifies: a county whose profile comes to include a
// sector that an existing intrusion set (by x_rampart_sectors) and an
// existing targets relationship (to a class identity of that sector)
// already target is told of both once the profile is saved through the
// API, and of each only once.
func TestProfileChangeNotifies(t *testing.T) {
	engines(t, func(t *testing.T, database, natsURL, prefix string) {
		s := startSite(t, database, natsURL, prefix, notify.New(notify.Options{}))
		now := stamp(time.Now())
		set := "intrusion-set--3d1f2c4b-5a6e-4f7a-8b9c-0d1e2f3a4b5c"
		malware := "malware--4e2a3b5c-6d7f-4a8b-9c0d-1e2f3a4b5c6d"
		hospitals := "identity--5f3b4c6d-7e8a-4b9c-8d1e-2f3a4b5c6d7e"
		rel := "relationship--6a4c5d7e-8f9b-4c0d-9e2f-3a4b5c6d7e8f"
		publish(t, s, stateAnalyst, "green",
			fmt.Sprintf(`{"type":"intrusion-set","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Ward Nine","x_rampart_sectors":["healthcare-public-health"]}`, set, now, now),
			fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Gurney","is_family":true}`, malware, now, now),
			fmt.Sprintf(`{"type":"identity","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Hospitals","identity_class":"class","sectors":["healthcare"]}`, hospitals, now, now),
			fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"relationship_type":"targets","source_ref":%q,"target_ref":%q}`, rel, now, now, malware, hospitals))
		// A marker published after them: once the county has been told of
		// it, the objects before it have been matched too.
		marker := "intrusion-set--7b5d6e8f-9a0c-4d1e-8f3a-4b5c6d7e8f9a"
		publish(t, s, stateAnalyst, "green", fmt.Sprintf(`{"type":"intrusion-set","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Marker","x_rampart_regions":["fips:52001"]}`, marker, now, now))
		waitFor(t, "the marker", func() bool { return len(s.inbox(county, marker)) == 1 })
		if len(s.inbox(county, set)) != 0 || len(s.inbox(county, rel)) != 0 {
			t.Fatal("the county was told before its profile named the sector")
		}

		path := "/api/v1/orgs/" + s.orgID("Ashford County") + "/profile"
		body := `{"sectors":["government-facilities","healthcare-public-health"],"flags":[],"state_fips":"52","county_fips":"001"}`
		if code, resp := s.json("PUT", path, county, body, nil); code != 200 {
			t.Fatalf("PUT profile: %d %s", code, resp)
		}
		var got []notify.Notification
		waitFor(t, "the intrusion set's notification", func() bool { got = s.inbox(county, set); return len(got) == 1 })
		if got[0].ReasonKind != notify.ReasonTargeting || !strings.Contains(got[0].Reason, "healthcare-public-health") {
			t.Errorf("intrusion set notification = %+v", got[0])
		}
		waitFor(t, "the relationship's notification", func() bool { got = s.inbox(county, rel); return len(got) == 1 })
		if !strings.Contains(got[0].Reason, `its sectors "healthcare"`) || !strings.Contains(got[0].Reason, "Gurney") {
			t.Errorf("relationship notification = %+v", got[0])
		}
		// Only the county: Birch County, in the same state, is not
		// healthcare and hears nothing of it.
		if n := s.inbox("admin@birch.example", set); len(n) != 0 {
			t.Errorf("Birch County was told: %+v", n)
		}

		// Saving again (another sector) does not repeat them.
		body = `{"sectors":["government-facilities","healthcare-public-health","water"],"flags":[],"state_fips":"52","county_fips":"001"}`
		if code, resp := s.json("PUT", path, county, body, nil); code != 200 {
			t.Fatalf("PUT profile again: %d %s", code, resp)
		}
		time.Sleep(300 * time.Millisecond)
		if n := len(s.inbox(county, set)); n != 1 {
			t.Errorf("%d notifications of the intrusion set after a second change, want 1", n)
		}
	})
}
