package control

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"tailscale.com/tailcfg"
	"tailscale.com/types/key"
	"tailscale.com/types/opt"
)

// peerHostinfoFields are the Hostinfo fields peers see; every other field
// must be in droppedHostinfoFields, so that a field added to tailcfg
// fails TestHostinfoFieldsDecided until someone decides whether peers
// need it.
var peerHostinfoFields = []string{
	"IPNVersion", "OS", "OSVersion", "DeviceModel", "Hostname", "ShieldsUp", "ShareeNode",
	"WireIngress", "IngressEnabled", "Userspace", "UserspaceRouter", "AppConnector", "PeerRelay",
	"RoutableIPs", "Services", "SSH_HostKeys", "Location",
}

var droppedHostinfoFields = []string{
	"FrontendLogID", "BackendLogID", "Container", "Env", "Distro", "DistroVersion", "DistroCodeName",
	"App", "Desktop", "Package", "PushDeviceToken", "NoLogsNoSupport", "RemoteConfig", "AllowsUpdate",
	"Machine", "GoArch", "GoArchVar", "GoVersion", "RequestTags", "WoLMACs", "NetInfo", "Cloud",
	"ServicesHash", "ExitNodeID", "TPM", "StateEncrypted",
}

func TestHostinfoFieldsDecided(t *testing.T) {
	rt := reflect.TypeFor[tailcfg.Hostinfo]()
	for i := range rt.NumField() {
		f := rt.Field(i).Name
		if !slices.Contains(peerHostinfoFields, f) && !slices.Contains(droppedHostinfoFields, f) {
			t.Errorf("Hostinfo.%s: neither shown to peers nor dropped; decide in peerHostinfo", f)
		}
	}
}

// fatHostinfo sets every Hostinfo field, most of them too big.
func fatHostinfo() *tailcfg.Hostinfo {
	big := strings.Repeat("x", 4000)
	hi := &tailcfg.Hostinfo{
		IPNVersion: "1.102.5", FrontendLogID: big, BackendLogID: big, OS: "linux", OSVersion: "6.1",
		Container: opt.NewBool(true), Env: big, Distro: big, DistroVersion: big, DistroCodeName: big, App: big,
		Desktop: opt.NewBool(true), Package: big, DeviceModel: "box", PushDeviceToken: big, Hostname: "fat",
		ShieldsUp: true, NoLogsNoSupport: true, Machine: big, GoArch: big, GoVersion: big,
		RequestTags: []string{"tag:a"}, WoLMACs: []string{big}, Cloud: big, ServicesHash: big,
		NetInfo:  &tailcfg.NetInfo{DERPLatency: map[string]float64{big: 1}},
		Location: &tailcfg.Location{City: big, Country: "Canada"},
	}
	for i := range 1000 {
		hi.Services = append(hi.Services, tailcfg.Service{Proto: tailcfg.TCP, Port: uint16(i + 1), Description: big[:200]})
		hi.SSH_HostKeys = append(hi.SSH_HostKeys, fmt.Sprintf("ssh-ed25519 KEY%d", i))
	}
	hi.Services = append(hi.Services, tailcfg.Service{Proto: tailcfg.PeerAPI4, Port: 4242})
	return hi
}

func TestPeerMapCarriesOnlyPeerHostinfo(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	fat, viewer := ts.addDevice(t, "fat"), ts.addDevice(t, "viewer")
	ts.pol.mu.Lock()
	ts.pol.peers[viewer.ID] = []int64{fat.ID}
	ts.pol.mu.Unlock()
	var mk key.MachinePublic
	mk.UnmarshalText([]byte(fat.MachineKey))
	w := ts.noiseRequest(ctx, mk, "/machine/map", &tailcfg.MapRequest{
		Version: tailcfg.CurrentCapabilityVersion, NodeKey: nodeKeyOf(fat.NodeKey), OmitPeers: true, Hostinfo: fatHostinfo(),
	})
	if w.Code != http.StatusOK {
		t.Fatalf("Hostinfo report: got %d %q, want 200", w.Code, w.Body.String())
	}
	stored, err := ts.st.Device(ctx, fat.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Hostinfo) > 16<<10 {
		t.Errorf("stored Hostinfo: got %d bytes, want at most 16 KiB", len(stored.Hostinfo))
	}
	_, m := ts.connect(t, viewer)
	if len(m.Peers) != 1 {
		t.Fatalf("viewer's peers: got %d, want 1", len(m.Peers))
	}
	hi := m.Peers[0].Hostinfo
	b, err := json.Marshal(hi)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	json.Unmarshal(b, &fields)
	for f := range fields {
		if !slices.Contains(peerHostinfoFields, f) && f != "sshHostKeys" {
			t.Errorf("peer map Hostinfo carries %s, want only %v", f, peerHostinfoFields)
		}
	}
	if hi.Hostname() != "fat" || hi.OS() != "linux" {
		t.Errorf("peer Hostinfo: got hostname %q, OS %q; want fat, linux", hi.Hostname(), hi.OS())
	}
	if n := hi.Services().Len(); n != maxServices {
		t.Errorf("peer services: got %d, want %d", n, maxServices)
	}
	if s := hi.Services().At(0); s.Proto != tailcfg.PeerAPI4 {
		t.Errorf("first peer service: got %v, want the PeerAPI port kept first", s.Proto)
	}
	if n := hi.SSH_HostKeys().Len(); n != maxSSHHostKeys {
		t.Errorf("peer SSH host keys: got %d, want %d", n, maxSSHHostKeys)
	}
	if len(b) > 16<<10 {
		t.Errorf("peer Hostinfo: got %d bytes, want at most 16 KiB", len(b))
	}
}
