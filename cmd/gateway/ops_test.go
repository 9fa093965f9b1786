package main

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/demo"
)

func TestReadyzFollowsTheBackend(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	srv := demo.NewServer()
	go func() { _ = srv.Serve(lis) }()
	defer func() { srv.Stop() }()

	gw := startGateway(t, nil, "--backend", addr, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0")
	admin := "http://" + gw.line(t, "health and metrics on http://")
	if code, body := get(t, http.DefaultClient, admin+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz %d %s while the backend is up", code, body)
	}

	srv.Stop()
	eventually(t, 10*time.Second, "/readyz failing while the backend is down", func() bool {
		code, body := get(t, http.DefaultClient, admin+"/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "backend default")
	})
	if code, _ := get(t, http.DefaultClient, admin+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz %d while the backend is down: the process is alive", code)
	}

	// The backend comes back on the same address.
	lis, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv = demo.NewServer()
	go func() { _ = srv.Serve(lis) }()
	eventually(t, 20*time.Second, "/readyz passing once the backend is back", func() bool {
		code, _ := get(t, http.DefaultClient, admin+"/readyz")
		return code == http.StatusOK
	})
	// Health and metrics are not on the main listener then.
	if code, _ := get(t, http.DefaultClient, gw.base+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the main listener: %d, want 404 with an admin listener", code)
	}
}

func TestReadyzUsesTheChannelWithoutHealthService(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	demov1.RegisterDemoServiceServer(srv, &demo.Service{})
	reflection.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	gw := startGateway(t, nil, "--backend", lis.Addr().String(), "--listen", "127.0.0.1:0")
	if code, body := get(t, http.DefaultClient, gw.base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz %d %s", code, body)
	}
	srv.Stop()
	eventually(t, 10*time.Second, "/readyz failing", func() bool {
		code, body := get(t, http.DefaultClient, gw.base+"/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "connection")
	})
}

func TestMetricsEndpointCountsAStream(t *testing.T) {
	backend, _ := startBackend(t)
	gw := startGateway(t, nil, "--backend", backend, "--listen", "127.0.0.1:0", "--backend-name", "demo")
	_, events := readStream(t, http.DefaultClient, gw.base+"/v1/streams/met/events?last_seq=7&interval=0.001s")
	if len(events) != 8 {
		t.Fatalf("%d events, want 7 and end", len(events))
	}
	labels := `backend="demo",method="GET",route="/v1/{name=streams/*}/events"`
	var families map[string]float64
	eventually(t, 5*time.Second, "the stream's end counted", func() bool {
		families = scrapeText(t, gw.base+"/metrics")
		return families[`ssegw_streams_ended_total{backend="demo",code="OK",method="GET",reason="end",route="/v1/{name=streams/*}/events"}`] == 1
	})
	for key, want := range map[string]float64{
		`ssegw_events_sent_total{` + labels + `}`:                      7,
		`ssegw_streams_open{` + labels + `}`:                           0,
		`ssegw_backend_connection_state{backend="demo",state="READY"}`: 1,
	} {
		if families[key] != want {
			t.Errorf("%s = %v, want %v", key, families[key], want)
		}
	}
	if _, ok := families["go_goroutines{}"]; !ok {
		t.Error("the Go runtime's metrics are missing")
	}
}

// scrapeText fetches a /metrics page in the Prometheus text format and
// returns counters and gauges by name and labels, sorted by name.
func scrapeText(t *testing.T, url string) map[string]float64 {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var parts []string
			for _, l := range m.GetLabel() {
				parts = append(parts, l.GetName()+`="`+l.GetValue()+`"`)
			}
			slices.Sort(parts)
			key := name + "{" + strings.Join(parts, ",") + "}"
			switch {
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

func TestPrintConfigShowsEffectiveConfigAndRoutes(t *testing.T) {
	backend, _ := startBackend(t)
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	content := "listen: 127.0.0.1:1111\nlimits: {max_streams: 7, write_timeout: 3s}\nbackends:\n  - name: demo\n    target: " + backend +
		"\n    methods:\n      examples.demo.v1.DemoService.Ticks: {get: '/prices/{symbol}', heartbeat: 5s}\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	env := map[string]string{"SSEGW_MAX_STREAMS": "8", "SSEGW_CONFIG": file}
	err := runEnv(t.Context(), []string{"--print-config", "--write-timeout", "4s"},
		func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &out, discard{})
	if err != nil {
		t.Fatal(err)
	}
	var printed struct {
		Listen string
		Limits struct {
			MaxStreams   int    `yaml:"max_streams"`
			WriteTimeout string `yaml:"write_timeout"`
		}
	}
	if err := yaml.Unmarshal([]byte(out.String()), &printed); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out.String())
	}
	if printed.Listen != "127.0.0.1:1111" || printed.Limits.MaxStreams != 8 || printed.Limits.WriteTimeout != "4s" {
		t.Errorf("effective config %+v, want file, env and flag values", printed)
	}
	for _, want := range []string{
		"GET  /prices/{symbol}  ->  /examples.demo.v1.DemoService/Ticks  (backend demo)",
		"GET  /v1/{name=streams/*}/events  ->  /examples.demo.v1.DemoService/Sequence",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("route table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestVersion(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), []string{"--version"}, &out, discard{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "ssegw ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("--version printed %q", out.String())
	}
}

func TestConfigErrorsAreUsageErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(file, []byte("demo: true\nlimits:\n  max_streams: lots\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(t.Context(), []string{"--config", file}, discard{}, discard{})
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "limits.max_streams") || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("run: %v (exit %d), want a usage error naming limits.max_streams at line 3", err, exitCode(err))
	}
}

// TestSeveralBackendsInOneGateway: one configuration file lists two
// backends, the second with its methods' routes overridden, and one
// gateway serves both; metrics tell which backend served each stream.
func TestSeveralBackendsInOneGateway(t *testing.T) {
	first, _ := startBackend(t)
	second, _ := startBackend(t)
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	content := "listen: 127.0.0.1:0\nbackends:\n" +
		"  - name: prices\n    target: " + first + "\n" +
		"  - name: replays\n    target: " + second + "\n    methods:\n" +
		"      examples.demo.v1.DemoService.Ticks: {get: '/replay/{symbol}/ticks', event: replayed}\n" +
		"      examples.demo.v1.DemoService.Sequence: {get: '/replay/{name=streams/*}'}\n" +
		"      examples.demo.v1.DemoService.Fail: {get: '/replay/fail'}\n" +
		"      examples.demo.v1.DemoService.PlaceOrder: {post: '/replay/orders'}\n" +
		"      examples.demo.v1.DemoService.WatchOrder: {get: '/replay/{name=orders/*}/updates'}\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	gw := startGateway(t, nil, "--config", file)
	for _, tc := range []struct{ path, event string }{
		{"/v1/symbols/A/ticks?count=2&interval=0.001s", "tick"},
		{"/replay/A/ticks?count=2&interval=0.001s", "replayed"},
	} {
		_, events := readStream(t, http.DefaultClient, gw.base+tc.path)
		if len(events) != 3 || events[0].Event != tc.event || events[2].Event != "end" {
			t.Fatalf("%s: events %v, want two %q events and end", tc.path, events, tc.event)
		}
	}
	eventually(t, 5*time.Second, "both streams counted by backend", func() bool {
		families := scrapeText(t, gw.base+"/metrics")
		return families[`ssegw_streams_ended_total{backend="prices",code="OK",method="GET",reason="end",route="/v1/symbols/{symbol}/ticks"}`] == 1 &&
			families[`ssegw_streams_ended_total{backend="replays",code="OK",method="GET",reason="end",route="/replay/{symbol}/ticks"}`] == 1
	})
}
