package control

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tailscale.com/control/ts2021"
	"tailscale.com/net/netmon"
	"tailscale.com/net/tsdial"
	"tailscale.com/tailcfg"
	"tailscale.com/types/key"
	"tailscale.com/util/zstdframe"

	"github.com/postern/postern"
)

// loadClient is one in-process node holding a streaming map session over
// a real Noise connection, as tailscaled's control client does.
type loadClient struct {
	nc      *ts2021.Client
	filters atomic.Int64 // map messages carrying a packet filter
	notify  chan struct{}
}

// BenchmarkPostureFlipFanOut connects many nodes (POSTERN_LOAD_NODES,
// default 1000) over Noise and HTTP/2, then measures how long one
// device's posture flip, which changes every node's filter, takes to
// reach all of them. It reports ms/flip and the heap per connected node
// (client and server side together, both being in this process).
func BenchmarkPostureFlipFanOut(b *testing.B) {
	nodes := 1000
	if v, err := strconv.Atoi(os.Getenv("POSTERN_LOAD_NODES")); err == nil && v > 0 {
		nodes = v
	}
	ts := newTestServer(b, func(c *Config) { c.Coalesce = 0 }) // the production default
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: ts.Handler()}
	go hs.Serve(ln)
	b.Cleanup(func() { hs.Close() })
	url := "http://" + ln.Addr().String()

	// One hub device whose posture flips; every node may be reached from
	// it while its posture holds.
	hub := ts.addDevice(b, "hub")
	var devs []postern.Device
	nodeKeys := map[int64]key.NodePrivate{}
	machineKeys := map[int64]key.MachinePrivate{}
	var all []int64
	for i := range nodes {
		nk, mk := key.NewNode(), key.NewMachine()
		d := postern.Device{
			TailnetID: ts.tn.ID, UserID: ts.user.ID, Name: fmt.Sprintf("n%d", i), Hostname: fmt.Sprintf("n%d", i),
			MachineKey: mk.Public().String(), NodeKey: nk.Public().String(), Authorized: true, Created: time.Now(),
		}
		if err := ts.st.CreateDevice(context.Background(), &d); err != nil {
			b.Fatal(err)
		}
		devs = append(devs, d)
		nodeKeys[d.ID], machineKeys[d.ID] = nk, mk
		all = append(all, d.ID)
	}
	var postureOK atomic.Bool
	postureOK.Store(true)
	ts.pol.mu.Lock()
	for _, d := range devs {
		ts.pol.peers[d.ID] = []int64{hub.ID}
		ts.pol.filter[d.ID] = rule(hub.IPv4.String())
	}
	ts.pol.mu.Unlock()
	flip := func() {
		ok := !postureOK.Load()
		postureOK.Store(ok)
		ts.pol.mu.Lock()
		for _, d := range devs {
			if ok {
				ts.pol.filter[d.ID] = rule(hub.IPv4.String())
			} else {
				delete(ts.pol.filter, d.ID)
			}
		}
		ts.pol.mu.Unlock()
	}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	dialer := tsdial.NewDialer(netmon.NewStatic())
	clients := make([]*loadClient, len(devs))
	var connected sync.WaitGroup
	sem := make(chan struct{}, 32) // bound concurrent handshakes
	for i, d := range devs {
		connected.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			c, err := connectLoadClient(ctx, url, ts.MachinePublicKey(), dialer, machineKeys[d.ID], nodeKeys[d.ID], &connected)
			if err != nil {
				b.Error(err)
				connected.Done()
				return
			}
			clients[i] = c
		}()
	}
	connected.Wait()
	if b.Failed() {
		b.FailNow()
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	perNode := float64(after.HeapAlloc-before.HeapAlloc) / float64(nodes)

	b.ResetTimer()
	var total time.Duration
	for b.Loop() {
		start := make([]int64, len(clients))
		for i, c := range clients {
			start[i] = c.filters.Load()
		}
		flip()
		t0 := time.Now()
		ts.Notify(Change{Filters: all})
		for i, c := range clients {
			for c.filters.Load() <= start[i] {
				select {
				case <-c.notify:
				case <-time.After(30 * time.Second):
					b.Fatalf("node %d got no new filter within 30s", i)
				}
			}
		}
		total += time.Since(t0)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/flip")
	b.ReportMetric(perNode/1024, "KiB/node")
	b.ReportMetric(float64(nodes), "nodes")
	for _, c := range clients {
		c.nc.Close()
	}
}

// connectLoadClient opens a Noise connection, starts a streaming map
// request and counts the filters it receives; ready is marked done after
// the first, full map.
func connectLoadClient(ctx context.Context, url string, serverKey key.MachinePublic, dialer *tsdial.Dialer, mk key.MachinePrivate, nk key.NodePrivate, ready *sync.WaitGroup) (*loadClient, error) {
	nc, err := ts2021.NewClient(ts2021.ClientOpts{
		ServerURL: url, PrivKey: mk, ServerPubKey: serverKey, Dialer: dialer, Logf: func(string, ...any) {},
	})
	if err != nil {
		return nil, err
	}
	res, err := nc.Post(ctx, "/machine/map", nk.Public(), &tailcfg.MapRequest{
		Version: tailcfg.CurrentCapabilityVersion, NodeKey: nk.Public(), Stream: true, Compress: "zstd",
	})
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("map request: %s", res.Status)
	}
	c := &loadClient{nc: nc, notify: make(chan struct{}, 1)}
	go func() {
		defer res.Body.Close()
		first := true
		var size [4]byte
		for {
			if _, err := io.ReadFull(res.Body, size[:]); err != nil {
				return
			}
			buf := make([]byte, binary.LittleEndian.Uint32(size[:]))
			if _, err := io.ReadFull(res.Body, buf); err != nil {
				return
			}
			js, err := zstdframe.AppendDecode(nil, buf)
			if err != nil {
				return
			}
			var m tailcfg.MapResponse
			if json.Unmarshal(js, &m) != nil {
				return
			}
			if first {
				first = false
				ready.Done()
				continue
			}
			if m.PacketFilters != nil {
				c.filters.Add(1)
				select {
				case c.notify <- struct{}{}:
				default:
				}
			}
		}
	}()
	return c, nil
}
