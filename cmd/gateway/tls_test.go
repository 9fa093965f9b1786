package main

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/ssegw/ssegw/sse"
)

// readStream opens an SSE stream with client and returns its events.
func readStream(t *testing.T, client *http.Client, url string) (*http.Response, []sse.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	var events []sse.Event
	r := sse.NewReader(resp.Body)
	for range 1000 {
		ev, err := r.Next()
		if err != nil {
			break
		}
		events = append(events, ev)
	}
	return resp, events
}

func TestTLSListenerServesHTTP2(t *testing.T) {
	backend, _ := startBackend(t)
	ca := newCA(t)
	cert, key := ca.issue(t, "gateway")
	gw := startGateway(t, nil, "--backend", backend, "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key)
	if !strings.HasPrefix(gw.base, "https://") {
		t.Fatalf("base %q, want https", gw.base)
	}

	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ca.pool()},
		ForceAttemptHTTP2: true,
	}}
	defer client.CloseIdleConnections()
	resp, events := readStream(t, client, gw.base+"/v1/streams/tls/events?last_seq=3&interval=0.001s")
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol %s, want HTTP/2 through ALPN", resp.Proto)
	}
	if len(events) != 4 || events[3].Event != "end" {
		t.Errorf("events %q, want 3 and end", events)
	}

	// TLS 1.1 is refused.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool(), MaxVersion: tls.VersionTLS11}}}
	if resp, err := old.Get(gw.base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("a TLS 1.1 client was served")
	}
}

func TestH2CServesHTTP2WithoutTLS(t *testing.T) {
	backend, _ := startBackend(t)
	gw := startGateway(t, nil, "--backend", backend, "--listen", "127.0.0.1:0")
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: tr}
	defer client.CloseIdleConnections()
	resp, events := readStream(t, client, gw.base+"/v1/streams/h2c/events?last_seq=2&interval=0.001s")
	if resp.ProtoMajor != 2 || len(events) != 3 {
		t.Errorf("protocol %s, events %q: want HTTP/2 and 2 events and end", resp.Proto, events)
	}
}

func TestCertificateFilesAreReloaded(t *testing.T) {
	ca := newCA(t)
	certFile, keyFile := ca.issue(t, "first")
	files, err := loadCertFiles(certFile, keyFile, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	files.interval = 0
	if cn := leafCN(t, files.get()); cn != "first" {
		t.Fatalf("certificate %q, want first", cn)
	}

	// Renewed files replace the old ones, as a secret update does.
	newCert, newKey := ca.issue(t, "second")
	for from, to := range map[string]string{newCert: certFile, newKey: keyFile} {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o600); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Minute)
		if err := os.Chtimes(to, later, later); err != nil {
			t.Fatal(err)
		}
	}
	if cn := leafCN(t, files.get()); cn != "second" {
		t.Fatalf("certificate %q after renewal, want second", cn)
	}

	// A broken pair is logged and the last good one kept.
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cn := leafCN(t, files.get()); cn != "second" {
		t.Fatalf("certificate %q after a broken renewal, want second kept", cn)
	}
}

func leafCN(t *testing.T, c *tls.Certificate) string {
	t.Helper()
	if c == nil || c.Leaf == nil {
		t.Fatal("no certificate")
	}
	return c.Leaf.Subject.CommonName
}

func TestMutualTLSBackend(t *testing.T) {
	ca := newCA(t)
	serverCert, serverKey := ca.issue(t, "backend")
	clientCert, clientKey := ca.issue(t, "gateway-client")
	pair, err := tls.LoadX509KeyPair(serverCert, serverKey)
	if err != nil {
		t.Fatal(err)
	}
	creds := credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.pool(),
		MinVersion:   tls.VersionTLS12,
	})
	backend, _ := startBackend(t, grpc.Creds(creds))

	gw := startGateway(t, nil, "--backend", backend, "--listen", "127.0.0.1:0",
		"--backend-ca", ca.file, "--backend-cert", clientCert, "--backend-key", clientKey)
	_, events := readStream(t, http.DefaultClient, gw.base+"/v1/streams/mtls/events?last_seq=2&interval=0.001s")
	if len(events) != 3 || events[2].Event != "end" {
		t.Errorf("events %q over mutual TLS, want 2 and end", events)
	}
	if code, body := get(t, http.DefaultClient, gw.base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz %d %s", code, body)
	}

	// Without a client certificate the backend refuses the gateway.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err = run(ctx, []string{"--backend", backend, "--listen", "127.0.0.1:0", "--backend-ca", ca.file, "--discovery-timeout", "1s"}, discard{}, discard{})
	if err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Errorf("run without a client certificate: %v, want the backend not reachable", err)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
