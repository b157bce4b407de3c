package conform

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth"
)

// Defaults of Options.
const (
	DefaultCaseTimeout  = 20 * time.Second
	DefaultReplyTimeout = 5 * time.Second
	DefaultVersion      = "QOSST/0.2"
)

// Options configure a run of the suite.
type Options struct {
	// Target is the server's HOST:PORT.
	Target string
	// Dial, when set, opens connections instead of dialing Target over TCP.
	Dial func(ctx context.Context) (net.Conn, error)
	// Authenticator signs and verifies frames; nil: the None authenticator.
	Authenticator messages.Authenticator
	// CaseTimeout bounds one case; ReplyTimeout bounds one answer.
	CaseTimeout, ReplyTimeout time.Duration
	// Version is the protocol version the checker claims (QOSST/0.2).
	Version string
	// SerialNumber is the checker's serial number in IDENTIFICATION_REQUEST.
	SerialNumber string
	// Frame shapes the frames the checker drives (see FrameOptions).
	Frame FrameOptions
	// Params names the parameters of the parameter-change cases.
	Params ParamOptions
	// Only, when non-empty, runs these case numbers only.
	Only []int
	// Progress, when set, receives each result as soon as it is known.
	Progress func(Result)
}

// FrameOptions are the contents the checker sends to drive a frame. Each is
// raw JSON; "%UUID%" is replaced by the frame's UUID.
type FrameOptions struct {
	// Initialization is INITIALIZATION_REQUEST's content.
	Initialization string
	// Negotiation is an INITIALIZATION_REQUEST the server must refuse
	// (DENIED or PROPOSAL): parameters no server agrees with.
	Negotiation string
	// PESymbols is one PE_SYMBOLS_REQUEST's content.
	PESymbols string
	// PEFinished is PE_FINISHED's content (a positive key_rate).
	PEFinished string
	// ECInitialization is EC_INITIALIZATION's content.
	ECInitialization string
}

// ParamOptions name the parameters of the parameter-change cases: a
// writable one with a valid new value, a writable one with an invalid
// value, and a read-only one. Values are raw JSON.
type ParamOptions struct {
	Writable, WritableValue string
	Invalid, InvalidValue   string
	ReadOnly, ReadOnlyValue string
}

func (o Options) withDefaults() Options {
	if o.Authenticator == nil {
		o.Authenticator = auth.None()
	}
	if o.CaseTimeout <= 0 {
		o.CaseTimeout = DefaultCaseTimeout
	}
	if o.ReplyTimeout <= 0 {
		o.ReplyTimeout = DefaultReplyTimeout
	}
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	if o.SerialNumber == "" {
		o.SerialNumber = "qosst-conform"
	}
	f := &o.Frame
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&f.Initialization, `{"frame_uuid": "%UUID%"}`)
	def(&f.Negotiation, `{"frame_uuid": "%UUID%", "num_symbols": 3, "symbol_rate": -1, "detection": "conformance-check"}`)
	def(&f.PESymbols, `{"indices": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}`)
	def(&f.PEFinished, `{"n_photon": 1.0, "transmittance": 0.9, "excess_noise": 0.01, "electronic_noise": 0.05, "eta": 0.8, "key_rate": 1000000}`)
	def(&f.ECInitialization, `{"noise": 1.2, "ldpc": {"n": 1024, "k": 512, "column_weight": 3, "seed": 1}, "blocks": 1}`)
	p := &o.Params
	def(&p.Writable, "frame.quantum.roll_off")
	def(&p.WritableValue, "0.3")
	def(&p.Invalid, "frame.quantum.num_symbols")
	def(&p.InvalidValue, "-5")
	def(&p.ReadOnly, "serial_number")
	def(&p.ReadOnlyValue, `"conform-changed-this"`)
	return o
}

func (o *Options) dial(ctx context.Context, d *net.Dialer) (net.Conn, error) {
	if o.Dial != nil {
		return o.Dial(ctx)
	}
	return d.DialContext(ctx, "tcp", o.Target)
}

// Result is the outcome of one case.
type Result struct {
	ID       int           `json:"id"`
	Name     string        `json:"name"`
	Cites    string        `json:"cites"`
	Pass     bool          `json:"pass"`
	Expected string        `json:"expected"`
	Seen     string        `json:"seen"`
	Reason   string        `json:"reason,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Report is the outcome of a run.
type Report struct {
	Target  string   `json:"target"`
	Results []Result `json:"results"`
	Passed  int      `json:"passed"`
	Failed  int      `json:"failed"`
}

// OK reports whether every case passed.
func (r *Report) OK() bool { return r.Failed == 0 }

// Summary is the one-line summary of the run.
func (r *Report) Summary() string {
	return fmt.Sprintf("%d cases: %d passed, %d failed (target %s)", len(r.Results), r.Passed, r.Failed, r.Target)
}

// WriteText writes one block per case and the summary line.
func (r *Report) WriteText(w io.Writer) error {
	for _, res := range r.Results {
		if _, err := io.WriteString(w, res.Text()); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, r.Summary())
	return err
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Text renders one result for people.
func (res Result) Text() string {
	var b strings.Builder
	status := "PASS"
	if !res.Pass {
		status = "FAIL"
	}
	fmt.Fprintf(&b, "%s %3d  %s  [%s]\n", status, res.ID, res.Name, res.Cites)
	if !res.Pass {
		fmt.Fprintf(&b, "          expected: %s\n          seen:     %s\n", res.Expected, res.Seen)
		if res.Reason != "" {
			fmt.Fprintf(&b, "          reason:   %s\n", res.Reason)
		}
	}
	return b.String()
}

// Run runs the suite (or the cases of Options.Only) against the target,
// one fresh connection per case, one case at a time.
func Run(ctx context.Context, o Options) *Report {
	o = o.withDefaults()
	target := o.Target
	if o.Dial != nil && target == "" {
		target = "(custom dialer)"
	}
	rep := &Report{Target: target}
	for _, c := range Cases() {
		if len(o.Only) > 0 && !containsInt(o.Only, c.ID) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		res := runCase(ctx, &o, c)
		if res.Pass {
			rep.Passed++
		} else {
			rep.Failed++
		}
		rep.Results = append(rep.Results, res)
		if o.Progress != nil {
			o.Progress(res)
		}
	}
	return rep
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// runCase runs one case on its own connection(s), bounded in time and
// guarded against panics in the checker itself.
func runCase(ctx context.Context, o *Options, c Case) (res Result) {
	start := time.Now()
	res = Result{ID: c.ID, Name: c.Name, Cites: c.Cites, Expected: c.Expected}
	ctx, cancel := context.WithTimeout(ctx, o.CaseTimeout)
	defer cancel()
	e := &env{ctx: ctx, o: o}
	defer func() {
		if p := recover(); p != nil {
			res.Pass, res.Reason = false, fmt.Sprintf("checker error: %v", p)
		}
		e.cleanup()
		res.Duration = time.Since(start)
	}()
	out := c.run(e)
	res.Pass, res.Seen, res.Reason = out.pass, out.seen, out.reason
	if out.expected != "" {
		res.Expected = out.expected
	}
	if !res.Pass && ctx.Err() != nil && res.Reason == "" {
		res.Reason = fmt.Sprintf("case did not finish within %v", o.CaseTimeout)
	}
	return res
}
