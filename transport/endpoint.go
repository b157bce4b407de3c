package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// DefaultPort is the QOSST TCP port.
const DefaultPort = 8181

// Network names of an Endpoint.
const (
	NetworkTCP  = "tcp"
	NetworkUnix = "unix"
)

// ErrEndpoint reports an address that cannot be parsed.
var ErrEndpoint = errors.New("invalid endpoint")

// Dialer opens a byte stream to one peer. Endpoint and Pipe implement it;
// tests and callers may supply their own (for example to inject faults).
type Dialer interface {
	DialContext(ctx context.Context) (net.Conn, error)
}

// DialerFunc adapts a function to the Dialer interface.
type DialerFunc func(ctx context.Context) (net.Conn, error)

// DialContext calls f.
func (f DialerFunc) DialContext(ctx context.Context) (net.Conn, error) { return f(ctx) }

// Endpoint is where a station listens or what it dials: a TCP host:port or a
// Unix socket path.
type Endpoint struct {
	Network string // NetworkTCP or NetworkUnix
	Address string // host:port, or a file system path
}

// ParseEndpoint reads an address as written in configuration and on the
// command line. The family is inferred from the form:
//
//	tcp://host:port, host:port   TCP
//	tcp://host, host             TCP on DefaultPort
//	unix:///run/qosst.sock       Unix socket (also unix:relative/path)
//	/run/qosst.sock, ./x.sock    Unix socket (anything starting with / or .)
func ParseEndpoint(s string) (Endpoint, error) {
	switch {
	case s == "":
		return Endpoint{}, fmt.Errorf("transport: %w: empty address", ErrEndpoint)
	case strings.HasPrefix(s, "unix://"):
		return unixEndpoint(strings.TrimPrefix(s, "unix://"))
	case strings.HasPrefix(s, "unix:"):
		return unixEndpoint(strings.TrimPrefix(s, "unix:"))
	case strings.HasPrefix(s, "/"), strings.HasPrefix(s, "."):
		return unixEndpoint(s)
	}
	hp := strings.TrimPrefix(s, "tcp://")
	if strings.Contains(hp, "://") {
		return Endpoint{}, fmt.Errorf("transport: %w %q: scheme must be tcp:// or unix://", ErrEndpoint, s)
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		// No port: a bare host name or address (IPv6 literals in brackets).
		host = strings.TrimSuffix(strings.TrimPrefix(hp, "["), "]")
		if strings.ContainsAny(host, "[]/") {
			return Endpoint{}, fmt.Errorf("transport: %w %q: %v", ErrEndpoint, s, err)
		}
		port = strconv.Itoa(DefaultPort)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return Endpoint{}, fmt.Errorf("transport: %w %q: bad port %q", ErrEndpoint, s, port)
	}
	return Endpoint{Network: NetworkTCP, Address: net.JoinHostPort(host, port)}, nil
}

func unixEndpoint(path string) (Endpoint, error) {
	if path == "" {
		return Endpoint{}, fmt.Errorf("transport: %w: empty Unix socket path", ErrEndpoint)
	}
	return Endpoint{Network: NetworkUnix, Address: path}, nil
}

// String returns the endpoint in the form ParseEndpoint reads.
func (e Endpoint) String() string { return e.Network + "://" + e.Address }

// DialContext connects to the endpoint.
func (e Endpoint) DialContext(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, e.Network, e.Address)
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", e, err)
	}
	return c, nil
}

// Listen opens a listener on the endpoint. A Unix socket file is made
// accessible to its owner only (mode 0600); a stale socket file left by a
// previous run is not removed (remove it, or choose another path).
func (e Endpoint) Listen() (net.Listener, error) {
	switch e.Network {
	case NetworkTCP, NetworkUnix:
	default:
		return nil, fmt.Errorf("transport: %w: network %q", ErrEndpoint, e.Network)
	}
	l, err := net.Listen(e.Network, e.Address)
	if err != nil {
		return nil, fmt.Errorf("transport: listen %s: %w", e, err)
	}
	if e.Network == NetworkUnix {
		if err := os.Chmod(e.Address, 0o600); err != nil {
			l.Close()
			return nil, fmt.Errorf("transport: listen %s: %w", e, err)
		}
	}
	return l, nil
}

// Pipe is an in-memory listener and dialer: each DialContext returns one end
// of a synchronous net.Pipe whose other end a pending Accept returns. Both
// ends support deadlines. The zero value is not usable; call NewPipe.
type Pipe struct {
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

// NewPipe returns an open in-memory listener.
func NewPipe() *Pipe {
	return &Pipe{conns: make(chan net.Conn), done: make(chan struct{})}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// Accept waits for the next DialContext.
func (p *Pipe) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.done:
		return nil, fmt.Errorf("transport: accept on pipe: %w", net.ErrClosed)
	}
}

// DialContext connects to a pending or future Accept.
func (p *Pipe) DialContext(ctx context.Context) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case p.conns <- server:
		return client, nil
	case <-p.done:
		err := fmt.Errorf("transport: dial pipe: %w", net.ErrClosed)
		server.Close()
		client.Close()
		return nil, err
	case <-ctx.Done():
		server.Close()
		client.Close()
		return nil, fmt.Errorf("transport: dial pipe: %w", ctx.Err())
	}
}

// Close stops the listener; connections already made stay open.
func (p *Pipe) Close() error {
	p.closeOnce.Do(func() { close(p.done) })
	return nil
}

// Addr returns a placeholder address ("pipe").
func (p *Pipe) Addr() net.Addr { return pipeAddr{} }

var _ net.Listener = (*Pipe)(nil)
