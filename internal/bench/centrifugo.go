package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// Centrifugo v6, the peer of T5: a real-time messaging server that
// fans out what is published to it through its server API to the
// subscribers of a channel, here over its unidirectional SSE transport
// (uni_sse). It is built from tools/centrifugo, a module of its own, and
// run as a process of its own, like the gateways.

const (
	centrifugoModule  = "github.com/centrifugal/centrifugo/v6"
	centrifugoChannel = "feed"
	centrifugoSecret  = "ssebench-hmac-secret"
	centrifugoAPIKey  = "ssebench-api-key"
)

// centrifugoServer is a running Centrifugo.
type centrifugoServer struct {
	cmd      *exec.Cmd
	dir      string
	addr     string // the external port: connections
	internal string // the internal port: the server API
	done     chan error
}

// buildCentrifugo builds Centrifugo into dir from the tools/centrifugo
// module of the repository the bench runs in, and returns the binary.
func buildCentrifugo(ctx context.Context, dir string) (string, error) {
	mod, err := findCentrifugoModule()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "centrifugo")
	cmd := exec.CommandContext(ctx, "go", "build", "-C", mod, "-o", bin, centrifugoModule)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building Centrifugo in %s: %w\n%s", mod, err, out)
	}
	return bin, nil
}

// findCentrifugoModule looks for tools/centrifugo from the working
// directory up.
func findCentrifugoModule() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		mod := filepath.Join(dir, "tools", "centrifugo")
		if _, err := os.Stat(filepath.Join(mod, "go.mod")); err == nil {
			return mod, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("tools/centrifugo/go.mod not found above the working directory: run the bench from the repository, or give -centrifugo")
		}
		dir = parent
	}
}

// startCentrifugo runs bin on two free loopback ports, with uni_sse on,
// HTTP/2 without TLS (h2c) on the external port, connection tokens signed
// with HMAC, and the server API on the internal port.
func startCentrifugo(ctx context.Context, bin, dir string) (*centrifugoServer, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	cfg := map[string]any{
		"http_server": map[string]any{"address": "127.0.0.1", "port": ports[0], "internal_port": strconv.Itoa(ports[1]), "h2c_external": true},
		"log":         map[string]any{"level": "error"},
		"client":      map[string]any{"token": map[string]any{"hmac_secret_key": centrifugoSecret}, "allowed_origins": []string{"*"}},
		"http_api":    map[string]any{"key": centrifugoAPIKey},
		"uni_sse":     map[string]any{"enabled": true},
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "centrifugo.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "--config", path)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting Centrifugo: %w", err)
	}
	c := &centrifugoServer{
		cmd: cmd, dir: dir, done: make(chan error, 1),
		addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		internal: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])),
	}
	go func() { c.done <- cmd.Wait() }()
	deadline := time.Now().Add(startTimeout)
	for {
		err := c.publish(ctx, []byte(`{"ready":true}`))
		if err == nil {
			return c, nil
		}
		select {
		case werr := <-c.done:
			return nil, fmt.Errorf("Centrifugo exited: %w (last publish: %v)", werr, err)
		default:
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("Centrifugo did not answer: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pid returns Centrifugo's process id.
func (c *centrifugoServer) pid() int { return c.cmd.Process.Pid }

// stop ends Centrifugo.
func (c *centrifugoServer) stop() {
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// subscribeURL is the uni_sse address of a subscriber of the channel,
// with a connection token that subscribes it (the channels claim).
func (c *centrifugoServer) subscribeURL() string {
	connect, _ := json.Marshal(map[string]string{"token": centrifugoToken("ssebench", centrifugoChannel)})
	return "http://" + c.addr + "/connection/uni_sse?cf_connect=" + url.QueryEscape(string(connect))
}

// publish publishes data to the channel through the server HTTP API.
func (c *centrifugoServer) publish(ctx context.Context, data []byte) error {
	body, err := json.Marshal(map[string]any{"channel": centrifugoChannel, "data": json.RawMessage(data)})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+c.internal+"/api/publish", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-API-Key", centrifugoAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var answer struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("publish: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err == nil && answer.Error != nil {
		return fmt.Errorf("publish: %d %s", answer.Error.Code, answer.Error.Message)
	}
	return nil
}

// centrifugoToken returns an HS256 JWT for user that subscribes the
// connection to channels.
func centrifugoToken(user string, channels ...string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{"sub": user, "channels": channels})
	unsigned := header + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, []byte(centrifugoSecret))
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil))
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
