package transport

import (
	"io"
	"net"
	"sync"
	"time"
)

// StreamConn adapts a reader and a writer into a net.Conn, so that a
// Session can play one side of a recorded conversation: the reader yields
// the peer's recorded bytes, the writer collects what the session sends
// (io.Discard to drop it). Deadlines are accepted and ignored, so a
// StreamConn is for replaying finite recordings, not for live peers.
// Together with Options.NextChallenge (set it to replay this side's
// recorded challenges) this is the hook for conformance tests.
func StreamConn(r io.Reader, w io.Writer) net.Conn {
	return &streamConn{r: r, w: w, done: make(chan struct{})}
}

type streamConn struct {
	r         io.Reader
	w         io.Writer
	done      chan struct{}
	closeOnce sync.Once
}

type streamAddr struct{}

func (streamAddr) Network() string { return "stream" }
func (streamAddr) String() string  { return "stream" }

func (c *streamConn) isClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *streamConn) Read(p []byte) (int, error) {
	if c.isClosed() {
		return 0, net.ErrClosed
	}
	return c.r.Read(p)
}

func (c *streamConn) Write(p []byte) (int, error) {
	if c.isClosed() {
		return 0, net.ErrClosed
	}
	return c.w.Write(p)
}

func (c *streamConn) Close() error {
	c.closeOnce.Do(func() { close(c.done) })
	return nil
}

func (c *streamConn) LocalAddr() net.Addr                { return streamAddr{} }
func (c *streamConn) RemoteAddr() net.Addr               { return streamAddr{} }
func (c *streamConn) SetDeadline(t time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(t time.Time) error { return nil }
