package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// instance is a gateway run in-process by a test.
type instance struct {
	base  string      // "http://127.0.0.1:port"
	lines chan string // what it printed after the first line
	stop  context.CancelFunc
	done  chan error
}

// startGateway runs the command in-process with args and env, and returns
// once it prints the address it serves. The test's end stops it and checks
// that it exited cleanly.
func startGateway(t *testing.T, env map[string]string, args ...string) *instance {
	t.Helper()
	return startGatewayLogging(t, io.Discard, env, args...)
}

// startGatewayLogging is startGateway with the gateway's log written to
// stderr.
func startGatewayLogging(t *testing.T, stderr io.Writer, env map[string]string, args ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	inst := &instance{stop: cancel, done: make(chan error, 1), lines: make(chan string, 1000)}
	go func() {
		err := runEnv(ctx, args, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, pw, stderr)
		pw.CloseWithError(io.EOF)
		inst.done <- err
	}()
	first := make(chan string, 1)
	go func() {
		defer close(inst.lines)
		lines := bufio.NewScanner(pr)
		for lines.Scan() {
			if base, ok := strings.CutPrefix(lines.Text(), "ssegw listening on "); ok {
				first <- base
				continue
			}
			select {
			case inst.lines <- lines.Text():
			default:
			}
		}
		close(first)
	}()
	select {
	case base, ok := <-first:
		if !ok {
			cancel()
			t.Fatalf("the gateway exited before serving: %v", <-inst.done)
		}
		inst.base = base
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("the gateway did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-inst.done:
			if err != nil {
				t.Errorf("the gateway exited with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the gateway did not stop")
		}
	})
	return inst
}

// line waits for a printed line that starts with prefix (after spaces),
// and returns the rest of it.
func (inst *instance) line(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-inst.lines:
			if !ok {
				t.Fatalf("no line starting with %q", prefix)
			}
			if rest, ok := strings.CutPrefix(strings.TrimSpace(l), prefix); ok {
				return rest
			}
		case <-timeout:
			t.Fatalf("no line starting with %q", prefix)
		}
	}
}

// startDemoBackend serves the demo backend on a loopback port with opts,
// and returns its address and server.
func startBackend(t *testing.T, opts ...grpc.ServerOption) (string, *grpc.Server) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := demo.NewServer(opts...)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String(), srv
}

// get fetches url with client and returns the status and body.
func get(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// eventually calls check until it returns true, or fails after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testCA is a certificate authority made for a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // PEM
	dir  string
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ssegw test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, dir: t.TempDir()}
	ca.file = filepath.Join(ca.dir, "ca.pem")
	writePEM(t, ca.file, "CERTIFICATE", der)
	return ca
}

// pool is a pool holding the CA.
func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// issue makes a certificate for 127.0.0.1 and localhost, good for servers
// and clients, named cn, and returns its PEM files.
func (ca *testCA) issue(t *testing.T, cn string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(ca.dir, cn+".pem")
	keyFile = filepath.Join(ca.dir, cn+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// kitchenSinkConfig starts the kitchen-sink backend for the test and
// writes a configuration file of one backend, it, whose methods map is
// methods (YAML, indented under it), listening on a free loopback port.
// It returns the file's path.
func kitchenSinkConfig(t *testing.T, methods string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	srv, err := kitchensink.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	content := "listen: 127.0.0.1:0\nbackends:\n  - target: " + srv.Addr + "\n    methods:\n" + methods
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
