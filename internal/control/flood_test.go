package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/types/key"
)

// floodHostinfo is as large as a Hostinfo may be and still be kept: every
// bounded field at its limit, plus fields that are dropped.
func floodHostinfo() *tailcfg.Hostinfo {
	hi := &tailcfg.Hostinfo{
		Hostname:        strings.Repeat("h", maxHostnameLen),
		OS:              strings.Repeat("o", maxOSLen),
		OSVersion:       strings.Repeat("v", maxVersionLen),
		IPNVersion:      strings.Repeat("i", maxVersionLen),
		DeviceModel:     strings.Repeat("m", maxVersionLen),
		PushDeviceToken: strings.Repeat("p", 2048),
		NetInfo:         &tailcfg.NetInfo{DERPLatency: map[string]float64{strings.Repeat("d", 1024): 1}},
	}
	for i := range maxRequestTags {
		hi.RequestTags = append(hi.RequestTags, fmt.Sprintf("tag:%0*d", maxTagLen-4, i))
	}
	for i := range maxServices {
		hi.Services = append(hi.Services, tailcfg.Service{Proto: tailcfg.TCP, Port: uint16(i + 1), Description: strings.Repeat("s", maxServiceDescLen)})
	}
	return hi
}

// heapBytes is the heap's live and not yet collected objects, read
// without stopping the world.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkRegistrationFlood sends 100,000 interactive registration
// requests, each from a new machine key and source address with a new
// node key and a maximal Hostinfo, through the Noise request handler, as
// a client that completed the handshake but holds no auth key would. It
// reports the peak heap above idle ("peak-heap-MB", sampled every
// millisecond), the heap still held afterwards ("retained-MB") and how
// many logins were left pending.
func BenchmarkRegistrationFlood(b *testing.B) {
	const attempts = 100_000
	const workers = 8
	ts := newTestServer(b)
	placeholder := key.NewNode().Public()
	tmpl, err := json.Marshal(&tailcfg.RegisterRequest{
		Version: tailcfg.CurrentCapabilityVersion, NodeKey: placeholder, Hostinfo: floodHostinfo(),
	})
	if err != nil {
		b.Fatal(err)
	}
	var peak, retained float64
	for b.Loop() {
		ts.mu.Lock()
		clear(ts.pending)
		ts.mu.Unlock()
		runtime.GC()
		idle := heapBytes()
		var top atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			for {
				if h := heapBytes(); h > top.Load() {
					top.Store(h)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		var next atomic.Int64
		var refused atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= attempts {
						return
					}
					mk, nk := key.NewMachine().Public(), key.NewNode().Public()
					body := bytes.Replace(tmpl, []byte(placeholder.String()), []byte(nk.String()), 1)
					src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
					ctx := withPeer(context.Background(), &noisePeer{machine: mk, source: src})
					r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/machine/register", bytes.NewReader(body))
					w := httptest.NewRecorder()
					ts.noiseMux.ServeHTTP(w, r)
					var resp tailcfg.RegisterResponse
					if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || (resp.AuthURL == "" && resp.Error == "") {
						b.Errorf("attempt %d: got %d %q, want a login URL or a refusal", i, w.Code, w.Body.String())
						return
					}
					if resp.Error != "" {
						refused.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		<-sampled
		runtime.GC()
		peak = float64(top.Load()-min(idle, top.Load())) / (1 << 20)
		retained = float64(heapBytes()-min(idle, heapBytes())) / (1 << 20)
		b.ReportMetric(float64(ts.pendingCount()), "pending")
		b.ReportMetric(float64(refused.Load()), "refused")
	}
	b.ReportMetric(float64(len(tmpl))/1024, "request-KiB")
	b.ReportMetric(peak, "peak-heap-MB")
	b.ReportMetric(retained, "retained-MB")
	if peak >= 100 {
		b.Errorf("peak heap above idle: got %.1f MB, want under 100 MB", peak)
	}
}
