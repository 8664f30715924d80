package store_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
)

func TestAudit(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		alice := postern.AuditActor{ID: "u1", Type: "USER", LoginName: "alice@example.com", DisplayName: "Alice"}
		bot := postern.AuditActor{ID: "k9", Type: "AUTOMATED_WORKER", Tags: []string{"tag:bot"}}
		node := postern.AuditTarget{ID: "n1CNTRL", Name: "web-1", Type: "NODE", Property: "ATTRIBUTES"}
		acl := postern.AuditTarget{ID: tn.ID, Name: "example.com", Type: "TAILNET", Property: "ACL"}
		events := []postern.AuditEvent{
			{EventTime: at(1, 0), Actor: alice, Target: acl, Action: "UPDATE", Origin: "CONFIG_API", Old: json.RawMessage(`{"a":1}`), New: json.RawMessage(`{"a":2}`)},
			{EventTime: at(2, 0), Actor: bot, Target: node, Action: "UPDATE", Origin: "AUTOMATED", ActionDetails: "sync", EventGroupID: "g1"},
			{EventTime: at(3, 0), Actor: alice, Target: node, Action: "UPDATE", Origin: "ADMIN_CONSOLE"},
			{EventTime: at(4, 0), Actor: bot, Target: postern.AuditTarget{ID: "n2CNTRL", Type: "NODE", IsEphemeral: true}, Action: "DELETE", Error: "failed"},
		}
		for i := range events {
			events[i].TailnetID = tn.ID
			if err := s.AppendAudit(ctx, &events[i]); err != nil {
				t.Fatal(err)
			}
			if events[i].ID == 0 || events[i].Type != "CONFIG" {
				t.Errorf("event %d: got id %d type %q, want an id and type CONFIG", i, events[i].ID, events[i].Type)
			}
		}
		other := storetest.NewTailnet(t, s)
		if err := s.AppendAudit(ctx, &postern.AuditEvent{TailnetID: other.ID, EventTime: at(2, 5), Actor: alice, Target: acl, Action: "UPDATE"}); err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			name   string
			filter postern.AuditFilter
			want   []int // indexes into events, newest first
		}{
			{"all", postern.AuditFilter{}, []int{3, 2, 1, 0}},
			{"time range", postern.AuditFilter{Start: at(2, 0), End: at(4, 0)}, []int{2, 1}},
			{"actor id", postern.AuditFilter{Actor: "k9"}, []int{3, 1}},
			{"actor login", postern.AuditFilter{Actor: "Alice@Example.com"}, []int{2, 0}},
			{"target id", postern.AuditFilter{Target: "n1CNTRL"}, []int{2, 1}},
			{"target name", postern.AuditFilter{Target: "web-1"}, []int{2, 1}},
			{"event", postern.AuditFilter{Event: "NODE.UPDATE.ATTRIBUTES"}, []int{2, 1}},
			{"event without property", postern.AuditFilter{Event: "NODE.DELETE"}, []int{3}},
			{"combined", postern.AuditFilter{Actor: "u1", Event: "TAILNET.UPDATE.ACL"}, []int{0}},
			{"limit", postern.AuditFilter{Limit: 2}, []int{3, 2}},
			{"none", postern.AuditFilter{Actor: "nobody"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.filter.TailnetID = tn.ID
				got, err := s.AuditEvents(ctx, tc.filter)
				if err != nil {
					t.Fatal(err)
				}
				var want []postern.AuditEvent
				for _, i := range tc.want {
					want = append(want, events[i])
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got  %+v\nwant %+v", got, want)
				}
			})
		}
		t.Run("pages with a cursor", func(t *testing.T) {
			// Events of one transaction share a time: the cursor's id
			// keeps a page boundary between them from losing or
			// repeating any.
			for range 3 {
				e := postern.AuditEvent{TailnetID: tn.ID, EventTime: at(5, 0), Actor: alice, Target: node, Action: "UPDATE"}
				if err := s.AppendAudit(ctx, &e); err != nil {
					t.Fatal(err)
				}
			}
			all, err := s.AuditEvents(ctx, postern.AuditFilter{TailnetID: tn.ID})
			if err != nil {
				t.Fatal(err)
			}
			var paged []postern.AuditEvent
			f := postern.AuditFilter{TailnetID: tn.ID, Limit: 2}
			for range 10 {
				page, err := s.AuditEvents(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				paged = append(paged, page...)
				last := page[len(page)-1]
				f.Before = postern.AuditCursor{Time: last.EventTime, ID: last.ID}
			}
			if len(all) != 7 || !reflect.DeepEqual(paged, all) {
				t.Errorf("paging by 2: got %d events %+v, want the %d of one listing in its order", len(paged), paged, len(all))
			}
		})
		mustCode(t, s.AppendAudit(ctx, &postern.AuditEvent{TailnetID: tn.ID, Old: json.RawMessage(`{bad`)}), postern.EINVALID)
	})
}
