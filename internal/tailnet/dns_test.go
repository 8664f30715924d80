package tailnet_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/postern/postern"
)

func TestUpdateDNSCommitsAuditsAndEmits(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	got, err := f.svc.UpdateDNS(ctx, ac, f.tn.ID, func(d *postern.DNS) error {
		d.Nameservers = []string{"1.1.1.1", " 2606:4700:4700::1111", "1.1.1.1"}
		d.SearchPaths = []string{"Corp.Example.com."}
		d.SplitDNS = map[string][]string{"Internal.Example.COM": {"10.0.0.53"}}
		d.MagicDNS = false
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := postern.DNS{
		Nameservers: []string{"1.1.1.1", "2606:4700:4700::1111"},
		SearchPaths: []string{"corp.example.com"},
		SplitDNS:    map[string][]string{"internal.example.com": {"10.0.0.53"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("returned: got %+v, want %+v", got, want)
	}
	tn, err := f.st.Tailnet(ctx, f.tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tn.DNS, want) {
		t.Errorf("stored: got %+v, want %+v", tn.DNS, want)
	}
	if c := f.lastChange(); !c.DNS || c.Policy || c.Settings {
		t.Errorf("change: got %+v, want DNS only", c)
	}
	if n := f.events(t, "TAILNET.UPDATE.DNS"); n != 1 {
		t.Errorf("audit events: got %d, want 1", n)
	}

	// The same configuration again writes, audits and emits nothing.
	before := len(f.changes)
	if _, err := f.svc.UpdateDNS(ctx, ac, f.tn.ID, func(d *postern.DNS) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if len(f.changes) != before || f.events(t, "TAILNET.UPDATE.DNS") != 1 {
		t.Errorf("a no-op update emitted or audited")
	}
}

func TestUpdateDNSRefusesInvalidAndChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*postern.DNS)
		msg  string
	}{
		{"hostname nameserver", func(d *postern.DNS) { d.Nameservers = []string{"dns.google"} }, `nameserver "dns.google" is not an IP address`},
		{"unspecified nameserver", func(d *postern.DNS) { d.Nameservers = []string{"0.0.0.0"} }, "cannot answer queries"},
		{"zoned nameserver", func(d *postern.DNS) { d.Nameservers = []string{"fe80::1%eth0"} }, "is not an IP address"},
		{"bad search path", func(d *postern.DNS) { d.SearchPaths = []string{"corp..example"} }, `search path "corp..example" is not a valid domain name`},
		{"search path with space", func(d *postern.DNS) { d.SearchPaths = []string{"a b"} }, "is not a valid domain name"},
		{"bad split domain", func(d *postern.DNS) { d.SplitDNS = map[string][]string{"-x.example": {"10.0.0.1"}} }, `split DNS domain "-x.example" is not a valid domain name`},
		{"split domain without nameserver", func(d *postern.DNS) { d.SplitDNS = map[string][]string{"x.example": {}} }, "needs at least one nameserver"},
		{"split nameserver not an IP", func(d *postern.DNS) { d.SplitDNS = map[string][]string{"x.example": {"ns1.x.example"}} }, `split DNS domain "x.example": nameserver "ns1.x.example" is not an IP address`},
		{"same split domain twice", func(d *postern.DNS) {
			d.SplitDNS = map[string][]string{"x.example": {"10.0.0.1"}, "X.example.": {"10.0.0.2"}}
		}, "is given twice"},
		{"too many nameservers", func(d *postern.DNS) { d.Nameservers = strings.Split(strings.Repeat("1.1.1.1,", 17)[:8*17-1], ",") }, "at most 16 nameservers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0)
			ctx := context.Background()
			before, _ := f.st.Tailnet(ctx, f.tn.ID)
			_, err := f.svc.UpdateDNS(ctx, ac, f.tn.ID, func(d *postern.DNS) error { tc.set(d); return nil })
			if postern.ErrorCode(err) != postern.EINVALID || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want EINVALID containing %q", err, tc.msg)
			}
			after, _ := f.st.Tailnet(ctx, f.tn.ID)
			if !reflect.DeepEqual(before.DNS, after.DNS) {
				t.Errorf("stored DNS changed: got %+v, want %+v", after.DNS, before.DNS)
			}
			if c := f.lastChange(); c.DNS {
				t.Errorf("a refused update emitted %+v", c)
			}
			if n := f.events(t, "TAILNET.UPDATE.DNS"); n != 0 {
				t.Errorf("audit events: got %d, want 0", n)
			}
		})
	}
}
