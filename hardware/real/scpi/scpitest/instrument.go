// Package scpitest owns fake SCPI instruments listening on the loopback for
// tests of the SCPI drivers and of stations configured for real
// instruments: Instrument, one SCPI socket server with an error queue and a
// command log, and Lab, a whole optical bench (Alice's waveform generator
// and power meter, Bob's digitizer, local-oscillator laser and polarisation
// controller) whose fiber follows the link model of hardware/sim, so that
// a frame emitted by the SCPI emitter is measured by the SCPI receiver with
// a known transmittance, excess noise and electronic noise.
package scpitest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
)

// Handler answers one command (its header, its text argument, or its
// definite-length block argument). known = false puts -113 "Undefined
// header" in the error queue, as real instruments do. A reply is written
// as is (end lines with "\n"; see Line and Block).
type Handler func(in *Instrument, cmd, arg string, block []byte) (reply []byte, known bool)

// Hangup, returned by a Handler as the reply, makes the instrument close
// the connection instead of answering: an instrument that hangs up in the
// middle of an exchange.
var Hangup = []byte("\x00hang up\x00")

// MaxBlock bounds the blocks an Instrument accepts (256 MiB).
const MaxBlock = 256 << 20

// Instrument is a fake SCPI instrument on 127.0.0.1: it answers *IDN?,
// *CLS and SYST:ERR? itself and hands every other command to its Handler.
type Instrument struct {
	ln     net.Listener
	idn    string
	handle Handler

	mu     sync.Mutex
	log    []string
	queue  []string
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// NewInstrument listens on 127.0.0.1 (any free port) and serves until
// Close. idn is the *IDN? reply ("maker,model,serial,firmware").
func NewInstrument(idn string, h Handler) (*Instrument, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("scpitest: %w", err)
	}
	in := &Instrument{ln: ln, idn: idn, handle: h, conns: map[net.Conn]struct{}{}}
	in.wg.Add(1)
	go in.serve()
	return in, nil
}

// Addr returns the instrument's "127.0.0.1:port".
func (in *Instrument) Addr() string { return in.ln.Addr().String() }

// Close stops listening, closes every connection and waits for the
// connection goroutines.
func (in *Instrument) Close() error {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return nil
	}
	in.closed = true
	err := in.ln.Close()
	for c := range in.conns {
		c.Close()
	}
	in.mu.Unlock()
	in.wg.Wait()
	return err
}

func (in *Instrument) serve() {
	defer in.wg.Done()
	for {
		c, err := in.ln.Accept()
		if err != nil {
			return
		}
		in.mu.Lock()
		if in.closed {
			in.mu.Unlock()
			c.Close()
			return
		}
		in.conns[c] = struct{}{}
		in.wg.Add(1)
		in.mu.Unlock()
		go func() {
			defer in.wg.Done()
			in.session(c)
			c.Close()
			in.mu.Lock()
			delete(in.conns, c)
			in.mu.Unlock()
		}()
	}
}

func (in *Instrument) session(c net.Conn) {
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		cmd, arg, block, err := readCommand(r)
		if err != nil {
			return
		}
		in.mu.Lock()
		in.log = append(in.log, strings.TrimSpace(cmd+" "+arg))
		in.mu.Unlock()
		var reply []byte
		switch cmd {
		case "*IDN?":
			reply = Line(in.idn)
		case "*CLS":
			in.mu.Lock()
			in.queue = nil
			in.mu.Unlock()
		case "SYST:ERR?":
			in.mu.Lock()
			if len(in.queue) == 0 {
				reply = Line(`0,"No error"`)
			} else {
				reply = Line(in.queue[0])
				in.queue = in.queue[1:]
			}
			in.mu.Unlock()
		default:
			var known bool
			reply, known = in.handle(in, cmd, arg, block)
			if !known {
				in.PushError(`-113,"Undefined header"`)
			}
		}
		if bytes.Equal(reply, Hangup) {
			return
		}
		if len(reply) > 0 {
			if _, err := c.Write(reply); err != nil {
				return
			}
		}
	}
}

// readCommand reads "<header>[ <argument>]\n" where the argument is text or
// a definite-length block "#<n><length><bytes>" followed by "\n".
func readCommand(r *bufio.Reader) (cmd, arg string, block []byte, err error) {
	head, err := r.ReadString('\n')
	if err != nil {
		return "", "", nil, err // every command, blocks included, ends with "\n"
	}
	i := strings.IndexByte(head, ' ')
	if i < 0 {
		return strings.TrimRight(head, "\r\n"), "", nil, nil
	}
	cmd, rest := head[:i], head[i+1:]
	if !strings.HasPrefix(rest, "#") {
		return cmd, strings.TrimRight(rest, "\r\n"), nil, nil
	}
	// A block may contain newlines: re-read it from the line read so far
	// followed by the rest of the stream.
	block, err = readBlock(io.MultiReader(strings.NewReader(rest), r), MaxBlock)
	return cmd, "", block, err
}

func readBlock(r io.Reader, max int) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	if hdr[0] != '#' || hdr[1] < '1' || hdr[1] > '9' {
		return nil, fmt.Errorf("scpitest: bad block header %q", hdr[:])
	}
	digits := make([]byte, hdr[1]-'0')
	if _, err := io.ReadFull(r, digits); err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(string(digits))
	if err != nil || n > max {
		return nil, fmt.Errorf("scpitest: bad block length %q", digits)
	}
	data := make([]byte, n+1) // with its "\n"
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, err
	}
	if data[n] != '\n' {
		return nil, fmt.Errorf("scpitest: block not followed by a newline")
	}
	return data[:n], nil
}

// PushError appends an entry ("<code>,\"<message>\"") to the error queue.
func (in *Instrument) PushError(e string) {
	in.mu.Lock()
	in.queue = append(in.queue, e)
	in.mu.Unlock()
}

// Commands returns the commands received so far, with their text argument.
func (in *Instrument) Commands() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.log...)
}

// Count returns how many times cmd (with its argument) was received.
func (in *Instrument) Count(cmd string) int {
	n := 0
	for _, c := range in.Commands() {
		if c == cmd {
			n++
		}
	}
	return n
}

// Line returns s as a reply line.
func Line(s string) []byte { return []byte(s + "\n") }

// Block returns data as an IEEE 488.2 definite-length block reply.
func Block(data []byte) []byte {
	digits := strconv.Itoa(len(data))
	out := make([]byte, 0, len(data)+len(digits)+3)
	out = append(out, '#', byte('0'+len(digits)))
	out = append(out, digits...)
	out = append(out, data...)
	return append(out, '\n')
}
