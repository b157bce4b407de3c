package bob

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	gobuild "go/build"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkStationFrame10M runs one whole frame of 10^7 symbols at 25 km
// of fiber (T = 0.316) on the simulated demo link (heterodyne, Va = 4,
// ξ = 0.01, η = 0.8, v_el = 0.05, 100 MBd) with the station defaults
// otherwise (finite-size estimation, ε = 1e-10, half of the symbols
// disclosed): the qosst-alice and qosst-bob binaries, built for the run, as
// two processes over loopback TCP, exactly as a user starts them with
//
//	--set simulation.distance_km=25 --set frame.quantum.num_symbols=10000000
//
// It reports the time of each phase (ms/frame, from Bob's summary line),
// the peak resident memory of each station (MB, the kernel's maximum RSS of
// each process), whether the frame completed, β, the key bits and the
// worst-case T and ξ the key was sized with. A frame that ends without a
// key (PE_DENIED, EC failures) is reported, not a failure of the benchmark.
// QOSST_BENCH_SET adds space-separated key=value overrides for both
// stations (e.g. "bob.parameters_estimation.mode=asymptotic").
//
//	go test -run '^$' -bench BenchmarkStationFrame10M -benchtime 1x ./bob/
func BenchmarkStationFrame10M(b *testing.B) {
	dir := b.TempDir()
	alice, bob := filepath.Join(dir, "qosst-alice"), filepath.Join(dir, "qosst-bob")
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(gobuild.Default.GOROOT, "bin", "go")
	}
	build := exec.Command(gobin, "build", "-o", dir, "github.com/qosst/qosst-go/cmd/qosst-alice", "github.com/qosst/qosst-go/cmd/qosst-bob")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the stations: %v\n%s", err, out)
	}
	sets := []string{"simulation.distance_km=25", "frame.quantum.num_symbols=10000000", "simulation.noise_seed=7"}
	sets = append(sets, strings.Fields(os.Getenv("QOSST_BENCH_SET"))...)
	var setArgs []string
	for _, s := range sets {
		setArgs = append(setArgs, "--set", s)
	}
	phases := map[string]float64{}
	var aliceMB, bobMB, total float64
	var r frameReport
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		addr := freeAddr(b)
		a := exec.Command(alice, append([]string{"--listen", addr, "--keys", filepath.Join(dir, "alice-keys"), "--log-format", "json"}, setArgs...)...)
		var alog bytes.Buffer
		a.Stdout, a.Stderr = &alog, &alog
		if err := a.Start(); err != nil {
			b.Fatal(err)
		}
		waitListening(b, addr)
		bb := exec.Command(bob, append([]string{"--connect", addr, "--keys", filepath.Join(dir, "bob-keys"), "--log-format", "json",
			"--log-level", "debug"}, setArgs...)...)
		var blog bytes.Buffer
		bb.Stdout, bb.Stderr = &blog, &blog
		b.StartTimer()
		start := time.Now()
		berr := bb.Run()
		total += time.Since(start).Seconds()
		b.StopTimer()
		_ = a.Process.Signal(os.Interrupt)
		if err := a.Wait(); err != nil {
			b.Logf("qosst-alice: %v\n%s", err, tail(alog.String(), 2000))
		}
		if _, ok := berr.(*exec.ExitError); berr != nil && !ok {
			b.Fatalf("qosst-bob: %v", berr)
		}
		aliceMB = max(aliceMB, maxRSSMB(a.ProcessState))
		bobMB = max(bobMB, maxRSSMB(bb.ProcessState))
		r = parseBobLog(blog.Bytes())
		if !r.found {
			b.Fatalf("no frame summary in Bob's log:\n%s", tail(blog.String(), 4000))
		}
		for p, ms := range r.phases {
			phases[p] += ms
		}
		if r.dropped != "" {
			b.Logf("frame dropped: %s", r.dropped)
		}
	}
	for _, p := range Phases() {
		if ms, ok := phases[string(p)]; ok {
			b.ReportMetric(ms/float64(b.N), string(p)+"-ms/frame")
		}
	}
	b.ReportMetric(total/float64(b.N), "frame-s")
	b.ReportMetric(aliceMB, "alice-peak-MB")
	b.ReportMetric(bobMB, "bob-peak-MB")
	completed := 0.0
	if r.dropped == "" && r.keyBits > 0 {
		completed = 1
	}
	b.ReportMetric(completed, "completed")
	b.ReportMetric(r.beta, "beta")
	b.ReportMetric(float64(r.keyBits), "key-bits")
	b.ReportMetric(float64(r.blocksOK), "ec-blocks-ok")
	b.ReportMetric(float64(r.blocksFailed), "ec-blocks-failed")
	b.ReportMetric(r.tUsed, "T-used")
	b.ReportMetric(r.xiUsed, "xi-used")
}

// frameReport is what Bob's JSON log says about the last frame.
type frameReport struct {
	found         bool
	phases        map[string]float64 // ms
	beta          float64
	keyBits       int
	blocksOK      int
	blocksFailed  int
	dropped       string
	tUsed, xiUsed float64
}

func parseBobLog(log []byte) frameReport {
	var r frameReport
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		if t, ok := line["T_used"].(float64); ok {
			r.tUsed = t
			r.xiUsed, _ = line["xi_used"].(float64)
		}
		ph, ok := line["phases"].(map[string]any)
		if !ok {
			continue
		}
		r.found = true
		r.phases = map[string]float64{}
		for k, v := range ph {
			if ms, ok := v.(float64); ok {
				r.phases[k] = ms
			}
		}
		r.beta, _ = line["beta"].(float64)
		kb, _ := line["key_bits"].(float64)
		r.keyBits = int(kb)
		nOK, _ := line["ec_blocks_ok"].(float64)
		failed, _ := line["ec_blocks_failed"].(float64)
		r.blocksOK, r.blocksFailed = int(nOK), int(failed)
		r.dropped, _ = line["dropped"].(string)
	}
	return r
}

func maxRSSMB(ps *os.ProcessState) float64 {
	if ps == nil {
		return 0
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // Linux: kB
}

func freeAddr(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func waitListening(b *testing.B, addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		var d net.Dialer
		if c, err := d.DialContext(ctx, "tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("qosst-alice does not listen on %s", addr)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
