package tailnet_test

import (
	"context"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
)

func TestParseAccessQuery(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	tn := storetest.NewTailnet(t, st)
	d := postern.Device{TailnetID: tn.ID, Name: "db", MachineKey: "mkey:db", Authorized: true}
	if err := st.CreateDevice(ctx, &d); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dst, proto string
		wantDst    string
		wantPort   uint16
		wantProto  int
		wantCode   postern.Code
	}{
		{dst: "100.64.0.9:22", wantDst: "100.64.0.9", wantPort: 22, wantProto: 6},
		{dst: "[fd7a:115c:a1e0::1]:443", proto: "UDP", wantDst: "fd7a:115c:a1e0::1", wantPort: 443, wantProto: 17},
		{dst: "db:5432", wantDst: d.IPv4.String(), wantPort: 5432, wantProto: 6},
		{dst: "DB.example.ts.net.:5432", proto: "132", wantDst: d.IPv4.String(), wantPort: 5432, wantProto: 132},
		{dst: d.NodeID + ":1", wantDst: d.IPv4.String(), wantPort: 1, wantProto: 6},
		{dst: "db", wantCode: postern.EINVALID},
		{dst: "db:99999", wantCode: postern.EINVALID},
		{dst: "db:22", proto: "bogus", wantCode: postern.EINVALID},
		{dst: "db:22", proto: "256", wantCode: postern.EINVALID},
		{dst: "nope:22", wantCode: postern.ENOTFOUND},
	} {
		t.Run(tc.dst+"/"+tc.proto, func(t *testing.T) {
			q, err := tailnet.ParseAccessQuery(ctx, st, tn.ID, "example.ts.net", tc.dst, tc.proto)
			if code := postern.ErrorCode(err); code != tc.wantCode {
				t.Fatalf("got error %v, want code %q", err, tc.wantCode)
			}
			if err != nil {
				return
			}
			if q.Dst.String() != tc.wantDst || q.Port != tc.wantPort || q.Proto != tc.wantProto {
				t.Errorf("got %s:%d proto %d, want %s:%d proto %d", q.Dst, q.Port, q.Proto, tc.wantDst, tc.wantPort, tc.wantProto)
			}
		})
	}
}
