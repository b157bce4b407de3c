package scpi

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fake is a SCPI instrument listening on 127.0.0.1 for the tests: it
// parses commands (with definite-length block arguments), answers *IDN?,
// *CLS and SYST:ERR? itself and hands everything else to handle. A
// command that handle does not know goes to the error queue as -113, as
// real instruments do.
type fake struct {
	t      *testing.T
	ln     net.Listener
	idn    string
	handle func(f *fake, cmd, arg string, block []byte) (reply []byte, known bool)

	mu    sync.Mutex
	log   []string // commands received, with their text argument
	queue []string // error queue
	conns []net.Conn
	wg    sync.WaitGroup
}

func newFake(t *testing.T, idn string, handle func(f *fake, cmd, arg string, block []byte) ([]byte, bool)) *fake {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{t: t, ln: ln, idn: idn, handle: handle}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(f.close)
	return f
}

func (f *fake) addr() string { return f.ln.Addr().String() }

func (f *fake) close() {
	f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *fake) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer c.Close()
			f.session(c)
		}()
	}
}

func (f *fake) session(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		head, err := r.ReadString('\n')
		var arg string
		var block []byte
		if i := strings.IndexByte(head, ' '); i >= 0 {
			// The header ends at the first space: re-read from there.
			// (ReadString consumed the line; a block may contain '\n',
			// so blocks are parsed from the line remainder + stream.)
			rest := head[i+1:]
			head = head[:i]
			if strings.HasPrefix(rest, "#") {
				br := bufio.NewReader(io.MultiReader(strings.NewReader(rest), r))
				block, err = ReadBlock(br, 1<<28)
				if err != nil {
					return
				}
				r = br
			} else {
				arg = strings.TrimRight(rest, "\r\n")
			}
		} else {
			if err != nil {
				return
			}
			head = strings.TrimRight(head, "\r\n")
		}
		if err != nil && block == nil && arg == "" {
			return
		}
		f.mu.Lock()
		f.log = append(f.log, strings.TrimSpace(head+" "+arg))
		f.mu.Unlock()
		var reply []byte
		switch head {
		case "*IDN?":
			reply = []byte(f.idn + "\n")
		case "*CLS":
			f.mu.Lock()
			f.queue = nil
			f.mu.Unlock()
		case "SYST:ERR?":
			f.mu.Lock()
			if len(f.queue) == 0 {
				reply = []byte("0,\"No error\"\n")
			} else {
				reply = []byte(f.queue[0] + "\n")
				f.queue = f.queue[1:]
			}
			f.mu.Unlock()
		default:
			var known bool
			reply, known = f.handle(f, head, arg, block)
			if !known {
				f.pushError(`-113,"Undefined header"`)
			}
		}
		if reply != nil {
			if string(reply) == "CLOSE" {
				return
			}
			if _, err := c.Write(reply); err != nil {
				return
			}
		}
	}
}

func (f *fake) pushError(e string) {
	f.mu.Lock()
	f.queue = append(f.queue, e)
	f.mu.Unlock()
}

// commands returns the log of commands received.
func (f *fake) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// count returns how many times cmd (with its argument) was received.
func (f *fake) count(cmd string) int {
	n := 0
	for _, c := range f.commands() {
		if c == cmd {
			n++
		}
	}
	return n
}

// sent reports whether cmd (with its argument) was received.
func (f *fake) sent(cmd string) bool {
	for _, c := range f.commands() {
		if c == cmd {
			return true
		}
	}
	return false
}

func line(s string) []byte { return []byte(s + "\n") }

// block encodes data as an IEEE 488.2 definite-length block reply.
func block(data []byte) []byte {
	digits := strconv.Itoa(len(data))
	out := append([]byte{'#', byte('0' + len(digits))}, digits...)
	out = append(out, data...)
	return append(out, '\n')
}
