package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certCheckInterval is how often a certificate's files are looked at
// again.
const certCheckInterval = 2 * time.Second

// certFiles is a certificate and key read from files, and read again when
// either file changes (as when cert-manager or a Kubernetes secret renews
// them). The files are looked at, with a stat each, at most once per
// interval, during a handshake; a pair that cannot be loaded is logged and
// the previous one kept.
type certFiles struct {
	certFile, keyFile string
	interval          time.Duration
	logger            *slog.Logger

	mu       sync.Mutex
	current  *tls.Certificate
	stamp    string // modification times and sizes of both files
	lastLook time.Time
}

func loadCertFiles(certFile, keyFile string, logger *slog.Logger) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, interval: certCheckInterval, logger: logger}
	stamp, err := c.fileStamp()
	if err != nil {
		return nil, err
	}
	if err := c.load(stamp); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certFiles) fileStamp() (string, error) {
	var stamp string
	for _, name := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return "", err
		}
		stamp += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return stamp, nil
}

func (c *certFiles) load(stamp string) error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("loading %s and %s: %w", c.certFile, c.keyFile, err)
	}
	c.current, c.stamp, c.lastLook = &cert, stamp, time.Now()
	return nil
}

// get returns the current certificate, reloading it first when its files
// changed.
func (c *certFiles) get() *tls.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.lastLook) < c.interval {
		return c.current
	}
	c.lastLook = time.Now()
	stamp, err := c.fileStamp()
	if err != nil {
		c.logger.Warn("cannot look at the certificate files; keeping the loaded certificate", "cert_file", c.certFile, "error", err)
		return c.current
	}
	if stamp != c.stamp {
		if err := c.load(stamp); err != nil {
			c.logger.Warn("cannot reload the certificate; keeping the loaded one", "error", err)
		} else {
			c.logger.Info("certificate reloaded", "cert_file", c.certFile)
		}
	}
	return c.current
}

// serverTLS is the listener's TLS configuration: TLS 1.2 at least, and
// the certificate of files.
func serverTLS(files *certFiles) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return files.get(), nil
		},
	}
}

// readCAPool reads PEM certificates into a pool.
func readCAPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
