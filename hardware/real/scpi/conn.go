// Package scpi owns the drivers for real instruments behind the hardware
// interfaces: a strict SCPI client over raw TCP (the LXI socket, port 5025)
// and, on top of it, Bob's receiver on a digitizer (Receiver), Alice's
// emitter on an arbitrary waveform generator with a power meter (Emitter),
// and a polarisation controller (Polariser).
//
// Everything an instrument returns is parsed strictly and bounded: a reply
// line is at most Limits.MaxLine bytes, a binary block (IEEE 488.2
// definite-length, "#<n><length><bytes>") at most Limits.MaxBlock bytes and
// must be followed by a newline; indefinite-length blocks ("#0") are
// refused. Failures wrap hardware.ErrNoDevice (cannot connect, wrong
// identity) or hardware.ErrDevice (error status, malformed or oversized
// reply, timeout). A reply interrupted half-way leaves the byte stream
// unusable, so the connection is then marked broken and the next call
// redials (connect, *IDN?, *CLS) before it proceeds; a failed redial wraps
// ErrBroken and hardware.ErrNoDevice.
package scpi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qosst/qosst-go/hardware"
)

// DefaultPort is the LXI raw SCPI socket port.
const DefaultPort = 5025

// Limits bound what the client accepts from an instrument.
type Limits struct {
	MaxLine  int           `toml:"max_line"`  // longest reply line, bytes (default 4096)
	MaxBlock int           `toml:"max_block"` // largest binary block, bytes (default 256 MiB)
	Timeout  time.Duration `toml:"timeout"`   // per call when the context has no earlier deadline (default 30 s)
}

func (l Limits) withDefaults() Limits {
	if l.MaxLine <= 0 {
		l.MaxLine = 4096
	}
	if l.MaxBlock <= 0 {
		l.MaxBlock = 256 << 20
	}
	if l.Timeout <= 0 {
		l.Timeout = 30 * time.Second
	}
	return l
}

// ErrBroken: an earlier call was interrupted mid-reply and the connection
// could not be redialled. It wraps hardware.ErrDevice.
var ErrBroken = fmt.Errorf("scpi: connection out of step after an interrupted reply: %w", hardware.ErrDevice)

// Conn is one SCPI session over TCP. Its methods are safe for concurrent
// use; calls are serialised (SCPI is strictly request/reply).
type Conn struct {
	addr   string
	limits Limits

	mu     sync.Mutex
	nc     net.Conn
	r      *bufio.Reader
	broken error
}

// Dial connects to an instrument at addr ("host:port"; the port defaults
// to 5025). A failure to connect wraps hardware.ErrNoDevice.
func Dial(ctx context.Context, addr string, limits Limits) (*Conn, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, strconv.Itoa(DefaultPort))
	}
	limits = limits.withDefaults()
	dctx, cancel := context.WithTimeout(ctx, limits.Timeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("scpi: dial %s: %w: %w", addr, hardware.ErrNoDevice, err)
	}
	return &Conn{addr: addr, limits: limits, nc: nc, r: bufio.NewReaderSize(nc, 64<<10)}, nil
}

// Addr returns the instrument's address.
func (c *Conn) Addr() string { return c.addr }

// Close closes the connection.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken == nil {
		c.broken = fmt.Errorf("scpi: %s: %w", c.addr, hardware.ErrClosed)
	}
	return c.nc.Close()
}

// call runs fn with the connection's deadline bound to ctx and the
// timeout. An I/O failure inside fn marks the connection broken.
func (c *Conn) call(ctx context.Context, what string, fn func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil && errors.Is(c.broken, hardware.ErrClosed) {
		return c.broken
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("scpi: %s: %s: %w", c.addr, what, err)
	}
	if c.broken != nil {
		if err := c.redialLocked(ctx); err != nil {
			return fmt.Errorf("scpi: %s: %s: %w (%w)", c.addr, what, c.broken, err)
		}
	}
	deadline := time.Now().Add(c.limits.Timeout)
	ctxBound := false // the context's deadline, not the timeout, is the limit
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, ctxBound = d, true
	}
	_ = c.nc.SetDeadline(deadline)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = c.nc.SetDeadline(time.Unix(1, 0)) // wake the blocked read or write
		close(fired)
	})
	err := fn()
	if !stop() {
		<-fired // the deadline must not fall on the next call
	}
	if err == nil {
		return nil
	}
	var pe *protocolError
	if errors.As(err, &pe) && !pe.desync {
		// A well-framed but unacceptable reply: the stream is intact.
		return fmt.Errorf("scpi: %s: %s: %w", c.addr, what, err)
	}
	c.broken = ErrBroken
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("scpi: %s: %s: %w (%w)", c.addr, what, cerr, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && ctxBound {
		// The socket's deadline can fire a hair before the context's timer.
		return fmt.Errorf("scpi: %s: %s: %w (%w)", c.addr, what, context.DeadlineExceeded, err)
	}
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("scpi: %s: %s: timed out: %w: %w", c.addr, what, hardware.ErrDevice, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("scpi: %s: %s: instrument closed the connection: %w: %w", c.addr, what, hardware.ErrDevice, err)
	}
	if errors.As(err, &pe) {
		return fmt.Errorf("scpi: %s: %s: %w", c.addr, what, err)
	}
	return fmt.Errorf("scpi: %s: %s: %w: %w", c.addr, what, hardware.ErrDevice, err)
}

// redialTimeout bounds a redial, also when the call's context does not
// (cleanup commands run without cancellation).
const redialTimeout = 5 * time.Second

// redialLocked replaces a connection left out of step by an interrupted
// reply: it closes it, connects again, checks that the instrument
// identifies (*IDN?, four fields) and clears its status (*CLS), all within
// ctx, Limits.Timeout and redialTimeout. A failure wraps hardware.ErrNoDevice and leaves
// the connection broken.
func (c *Conn) redialLocked(ctx context.Context) error {
	_ = c.nc.Close()
	dctx, cancel := context.WithTimeout(ctx, min(c.limits.Timeout, redialTimeout))
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(dctx, "tcp", c.addr)
	if err != nil {
		return fmt.Errorf("redial: %w: %w", hardware.ErrNoDevice, err)
	}
	deadline, _ := dctx.Deadline()
	_ = nc.SetDeadline(deadline)
	stop := context.AfterFunc(dctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	r := bufio.NewReaderSize(nc, 64<<10)
	_, err = io.WriteString(nc, "*IDN?\n")
	var line string
	if err == nil {
		line, err = readLine(r, c.limits.MaxLine)
	}
	if err == nil && strings.Count(line, ",") != 3 {
		err = fmt.Errorf("*IDN? reply %q is not an identity", truncate(line))
	}
	if err == nil {
		_, err = io.WriteString(nc, "*CLS\n")
	}
	if !stop() && err == nil {
		err = dctx.Err() // the deadline may have been cut short on the new socket
	}
	if err != nil {
		_ = nc.Close()
		return fmt.Errorf("redial: %w: %w", hardware.ErrNoDevice, err)
	}
	c.nc, c.r, c.broken = nc, r, nil
	return nil
}

// protocolError is a malformed reply. desync tells whether unread reply
// bytes may remain in the stream.
type protocolError struct {
	msg    string
	desync bool
}

func (e *protocolError) Error() string { return "malformed reply: " + e.msg }
func (e *protocolError) Unwrap() error { return hardware.ErrDevice }

func malformed(desync bool, format string, a ...any) error {
	return &protocolError{msg: fmt.Sprintf(format, a...), desync: desync}
}

func (c *Conn) writeLine(cmd string) error {
	if strings.ContainsAny(cmd, "\n\r") {
		return malformed(false, "command %q contains a line break", cmd)
	}
	_, err := io.WriteString(c.nc, cmd+"\n")
	return err
}

// Write sends one command (a newline is appended).
func (c *Conn) Write(ctx context.Context, cmd string) error {
	return c.call(ctx, cmd, func() error { return c.writeLine(cmd) })
}

// WriteBlock sends cmd followed by data as a definite-length block, e.g.
// ":TRACe1:DATA #43200<bytes>".
func (c *Conn) WriteBlock(ctx context.Context, cmd string, data []byte) error {
	return c.call(ctx, cmd, func() error {
		if strings.ContainsAny(cmd, "\n\r") {
			return malformed(false, "command %q contains a line break", cmd)
		}
		n := strconv.Itoa(len(data))
		if len(n) > 9 {
			return malformed(false, "block of %d bytes is too long for IEEE 488.2", len(data))
		}
		hdr := cmd + " #" + strconv.Itoa(len(n)) + n
		bufs := net.Buffers{[]byte(hdr), data, []byte("\n")}
		_, err := bufs.WriteTo(c.nc)
		return err
	})
}

// Query sends cmd and returns the reply line without its terminator.
func (c *Conn) Query(ctx context.Context, cmd string) (string, error) {
	var line string
	err := c.call(ctx, cmd, func() error {
		if err := c.writeLine(cmd); err != nil {
			return err
		}
		var err error
		line, err = readLine(c.r, c.limits.MaxLine)
		return err
	})
	return line, err
}

// QueryFloat sends cmd and parses the reply as one number (NR1/NR2/NR3).
func (c *Conn) QueryFloat(ctx context.Context, cmd string) (float64, error) {
	s, err := c.Query(ctx, cmd)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("scpi: %s: %s: %w", c.addr, cmd, malformed(false, "%q is not a number", truncate(s)))
	}
	return v, nil
}

// QueryBlock sends cmd and reads one definite-length binary block of at
// most max bytes (max <= 0: Limits.MaxBlock).
func (c *Conn) QueryBlock(ctx context.Context, cmd string, max int) ([]byte, error) {
	if max <= 0 || max > c.limits.MaxBlock {
		max = c.limits.MaxBlock
	}
	var data []byte
	err := c.call(ctx, cmd, func() error {
		if err := c.writeLine(cmd); err != nil {
			return err
		}
		var err error
		data, err = ReadBlock(c.r, max)
		return err
	})
	return data, err
}

// readLine reads one reply line terminated by "\n" (a preceding "\r" is
// dropped), at most max bytes.
func readLine(r *bufio.Reader, max int) (string, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) > max+2 { // room for "\r\n"
			return "", malformed(true, "reply line longer than %d bytes", max)
		}
		buf = append(buf, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(buf) > 0 {
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	buf = bytes.TrimSuffix(buf[:len(buf)-1], []byte("\r"))
	if len(buf) > max {
		return "", malformed(true, "reply line longer than %d bytes", max)
	}
	return string(buf), nil
}

// ReadBlock reads an IEEE 488.2 definite-length arbitrary block
// ("#" <n digit 1-9> <n ASCII digits: length> <length bytes>) followed by
// its "\n" (or "\r\n") terminator, refusing blocks longer than max bytes
// and the indefinite form "#0".
func ReadBlock(r *bufio.Reader, max int) ([]byte, error) {
	b, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	if b != '#' {
		return nil, malformed(true, "binary block starts with %q, want '#'", b)
	}
	nd, err := r.ReadByte()
	if err != nil {
		return nil, eof(err)
	}
	if nd == '0' {
		return nil, malformed(true, "indefinite-length block (#0) refused")
	}
	if nd < '1' || nd > '9' {
		return nil, malformed(true, "block length digit count %q is not 1-9", nd)
	}
	digits := make([]byte, int(nd-'0'))
	if _, err := io.ReadFull(r, digits); err != nil {
		return nil, eof(err)
	}
	n := 0
	for _, d := range digits {
		if d < '0' || d > '9' {
			return nil, malformed(true, "block length %q is not decimal", digits)
		}
		n = n*10 + int(d-'0')
	}
	if n > max {
		return nil, malformed(true, "block of %d bytes exceeds the limit of %d", n, max)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, eof(err)
	}
	t, err := r.ReadByte()
	if err != nil {
		return nil, eof(err)
	}
	if t == '\r' {
		if t, err = r.ReadByte(); err != nil {
			return nil, eof(err)
		}
	}
	if t != '\n' {
		return nil, malformed(true, "block of %d bytes not followed by a newline (got %q)", n, t)
	}
	return data, nil
}

func eof(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Identity is the reply to *IDN?.
type Identity struct {
	Manufacturer, Model, Serial, Firmware string
}

func (id Identity) String() string {
	return strings.Join([]string{id.Manufacturer, id.Model, id.Serial, id.Firmware}, ",")
}

// Identify queries *IDN? and parses its four comma-separated fields. A
// reply that is not an identity wraps hardware.ErrNoDevice: whatever
// answers is not an instrument.
func (c *Conn) Identify(ctx context.Context) (Identity, error) {
	s, err := c.Query(ctx, "*IDN?")
	if err != nil {
		return Identity{}, err
	}
	f := strings.Split(s, ",")
	if len(f) != 4 {
		return Identity{}, fmt.Errorf("scpi: %s: *IDN? reply %q has %d fields, want 4: %w", c.addr, truncate(s), len(f), hardware.ErrNoDevice)
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return Identity{f[0], f[1], f[2], f[3]}, nil
}

// InstrumentError is an entry of the instrument's error queue.
type InstrumentError struct {
	Code    int
	Message string
}

func (e *InstrumentError) Error() string {
	return fmt.Sprintf("instrument error %d, %q", e.Code, e.Message)
}

// Unwrap makes errors.Is(err, hardware.ErrDevice) true.
func (e *InstrumentError) Unwrap() error { return hardware.ErrDevice }

// CheckError reads one entry of the error queue (SYSTem:ERRor?): nil for
// `0,"No error"`, else an *InstrumentError.
func (c *Conn) CheckError(ctx context.Context) error {
	s, err := c.Query(ctx, "SYST:ERR?")
	if err != nil {
		return err
	}
	code, msg, ok := strings.Cut(s, ",")
	n, perr := strconv.Atoi(strings.TrimSpace(code))
	if !ok || perr != nil {
		return fmt.Errorf("scpi: %s: SYST:ERR?: %w", c.addr, malformed(false, "%q is not <code>,<message>", truncate(s)))
	}
	if n == 0 {
		return nil
	}
	msg = strings.Trim(strings.TrimSpace(msg), `"`)
	return fmt.Errorf("scpi: %s: %w", c.addr, &InstrumentError{Code: n, Message: msg})
}

// Command writes cmd and then checks the error queue, so a command the
// instrument refused becomes an error here rather than a surprise later.
func (c *Conn) Command(ctx context.Context, cmd string) error {
	if err := c.Write(ctx, cmd); err != nil {
		return err
	}
	if err := c.CheckError(ctx); err != nil {
		return fmt.Errorf("after %q: %w", cmd, err)
	}
	return nil
}

// PollUntil queries cmd every interval until the reply equals want, or
// the context ends. Each poll is left to complete (within at most 2 s and
// Limits.Timeout) even if the context ends meanwhile, so that ending a
// wait never leaves a reply half-read: cancellation is observed between
// polls and the connection stays usable.
func (c *Conn) PollUntil(ctx context.Context, cmd, want string, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	pollTimeout := min(c.limits.Timeout, 2*time.Second)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("scpi: %s: waiting for %s = %s: %w", c.addr, cmd, want, err)
		}
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pollTimeout)
		s, err := c.Query(qctx, cmd)
		cancel()
		if err != nil {
			return err
		}
		if strings.TrimSpace(s) == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("scpi: %s: waiting for %s = %s: %w", c.addr, cmd, want, ctx.Err())
		case <-t.C:
		}
	}
}
