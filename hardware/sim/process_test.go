package sim

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/hardware"
)

const childEnv = "QOSST_SIM_CHILD_UUID"

func digest(z []complex128) string {
	h := sha256.New()
	var b [8]byte
	for _, c := range z {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(real(c)))
		h.Write(b[:])
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(imag(c)))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestChildProcessAlice is not a test on its own: run by
// TestSeparateProcesses in a child process, it plays Alice's station and
// prints the digest of the symbols it prepared.
func TestChildProcessAlice(t *testing.T) {
	id := os.Getenv(childEnv)
	if id == "" {
		return
	}
	c := DefaultConfig()
	c.NumSymbols = 50_000
	e, err := NewEmitter(c)
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.Prepare(context.Background(), c.Spec(uuid.MustParse(id)))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("symbols=%s\n", digest(x))
}

// Alice in another OS process and Bob here share nothing but the link
// seed and the frame UUID, yet Bob's receiver measures Alice's symbols.
func TestSeparateProcesses(t *testing.T) {
	id := uuid.New()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcessAlice$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+id.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	var childDigest string
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "symbols="); ok {
			childDigest = v
		}
	}
	c := DefaultConfig()
	c.NumSymbols = 50_000
	spec := c.Spec(id)
	x, err := Symbols(context.Background(), c.LinkSeed, spec)
	if err != nil {
		t.Fatal(err)
	}
	if childDigest != digest(x) {
		t.Fatalf("Alice's process prepared symbols %q, this process derives %q", childDigest, digest(x))
	}
	// Bob's receiver, here, sees the link: Cov(x, y) = g·sqrt(ηT/2)·Va.
	r, err := NewReceiver(c)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Arm(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	y, err := r.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	xq, _ := quads(x)
	yq, _ := quads(y)
	a := math.Sqrt(c.Efficiency * c.Transmittance / 2)
	n := float64(len(x))
	vy := a*a*c.Va + c.NoiseVariance(hardware.Heterodyne)
	within(t, "Cov(x_q, y_q)/g", cov(xq, yq)/c.Gain, a*c.Va, math.Sqrt((c.Va*vy+a*a*c.Va*c.Va)/n))
}
