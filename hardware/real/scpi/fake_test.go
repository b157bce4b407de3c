package scpi

import (
	"sync"
	"testing"

	"github.com/qosst/qosst-go/hardware/real/scpi/scpitest"
)

// fake is a SCPI instrument listening on 127.0.0.1 for the tests, on
// scpitest.Instrument: it answers *IDN?, *CLS and SYST:ERR? itself and
// hands everything else to handle; a command that handle does not know
// goes to the error queue as -113, as real instruments do. A handler reply
// "CLOSE" hangs up instead of answering.
type fake struct {
	*scpitest.Instrument
	mu *sync.Mutex // for the handlers' own state
}

func newFake(t *testing.T, idn string, handle func(f *fake, cmd, arg string, block []byte) ([]byte, bool)) *fake {
	t.Helper()
	mu := new(sync.Mutex)
	in, err := scpitest.NewInstrument(idn, func(in *scpitest.Instrument, cmd, arg string, blk []byte) ([]byte, bool) {
		reply, known := handle(&fake{Instrument: in, mu: mu}, cmd, arg, blk)
		if string(reply) == "CLOSE" {
			return scpitest.Hangup, known
		}
		return reply, known
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return &fake{Instrument: in, mu: mu}
}

func (f *fake) addr() string         { return f.Addr() }
func (f *fake) close()               { f.Close() }
func (f *fake) pushError(e string)   { f.PushError(e) }
func (f *fake) commands() []string   { return f.Commands() }
func (f *fake) count(cmd string) int { return f.Count(cmd) }
func (f *fake) sent(cmd string) bool { return f.Count(cmd) > 0 }

func line(s string) []byte { return scpitest.Line(s) }

// block encodes data as an IEEE 488.2 definite-length block reply.
func block(data []byte) []byte { return scpitest.Block(data) }
