package sseclient

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// errNoAddress is returned for a relative target without a server address.
var errNoAddress = errors.New("no server address: give a full URL, or set one with New, NewConn or WithHost")

// parseAddress parses the base URL given to New or NewConn. An empty base
// is allowed: the address can then be given by parts, or each call can use
// a full URL.
func parseAddress(base string) (url.URL, error) {
	if base == "" {
		return url.URL{}, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return url.URL{}, fmt.Errorf("sseclient: server address %q: %w", base, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return url.URL{}, fmt.Errorf("sseclient: server address %q must be an absolute URL such as http://host:port", base)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Fragment, u.RawFragment = "", ""
	return *u, nil
}

// checkAddress reports whether addr is usable as a base address: empty, or
// with an http or https scheme and a host.
func checkAddress(addr url.URL) error {
	if addr.Host == "" && addr.Scheme == "" && addr.Path == "" {
		return nil
	}
	if addr.Host == "" {
		return fmt.Errorf("sseclient: server address %q has no host", addr.String())
	}
	return checkScheme(addr.Scheme)
}

func checkScheme(scheme string) error {
	switch scheme {
	case "", "http", "https":
		return nil
	}
	return fmt.Errorf("sseclient: unsupported scheme %q: use http or https", scheme)
}

// resolve returns the URL of a stream. An absolute target is used as it is;
// otherwise its path is appended to the path of the configured address and
// the query parameters of both are kept. An empty target stands for the
// address itself.
func (c *config) resolve(target string) (string, error) {
	t, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("sseclient: target %q: %w", target, err)
	}
	if t.Scheme != "" {
		if t.Host == "" {
			return "", fmt.Errorf("sseclient: target %q has no host", target)
		}
		if err := checkScheme(strings.ToLower(t.Scheme)); err != nil {
			return "", err
		}
		t.Fragment, t.RawFragment = "", ""
		return t.String(), nil
	}
	addr := c.addr
	if addr.Host == "" {
		return "", fmt.Errorf("sseclient: target %q: %w", target, errNoAddress)
	}
	scheme := addr.Scheme
	if scheme == "" {
		scheme = "http"
	}
	if err := checkScheme(scheme); err != nil {
		return "", err
	}
	path := strings.TrimSuffix(addr.EscapedPath(), "/")
	if p := t.EscapedPath(); p != "" {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		path += p
	} else if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(addr.Host)
	b.WriteString(path)
	query := addr.RawQuery
	if t.RawQuery != "" {
		if query != "" {
			query += "&"
		}
		query += t.RawQuery
	}
	if query != "" {
		b.WriteByte('?')
		b.WriteString(query)
	}
	return b.String(), nil
}
