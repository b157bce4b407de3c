package kme

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qosst/qosst-go/keystore"
)

// The test binary doubles as a KME process: with childEnv set (to the
// certificate directory) it serves Alice's store named by childStoreEnv,
// prints "ADDR host:port", and stops when its standard input closes.
const (
	childEnv        = "QOSST_KME_TEST_CHILD"
	childStoreEnv   = "QOSST_KME_TEST_CHILD_STORE"
	childStationEnv = "QOSST_KME_TEST_CHILD_STATION"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		if err := kmeChild(dir, os.Getenv(childStoreEnv), os.Getenv(childStationEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "kme child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func kmeChild(certs, store, station string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := keystore.OpenDB(ctx, store, station+SideAlice)
	if err != nil {
		return err
	}
	defer db.Close()
	srv, err := New(Config{Side: SideAlice, SAEID: saeA, PeerSAEID: saeB, DB: db, MaxKeyPerRequest: 16})
	if err != nil {
		return err
	}
	tc, err := TLSConfig(filepath.Join(certs, "kme-alice.crt"), filepath.Join(certs, "kme-alice.key"), filepath.Join(certs, "ca.crt"))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
	return srv.Serve(ctx, ln, tc)
}

// startKMEProcess runs a KME process over Alice's store of s and returns
// its base URL; it is stopped at the end of the test.
func startKMEProcess(t *testing.T, s *site) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+s.certs, childStoreEnv+"="+s.aliceStore, childStationEnv+"="+s.station)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("KME process: %v", err)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Error("KME process did not stop")
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	if err != nil || !ok {
		t.Fatalf("KME process: %q %v", line, err)
	}
	go io.Copy(io.Discard, stdout)
	return "https://" + addr
}

// Two KME processes over one store (plus this process's KME): 32 SAE
// clients × 20 requests asking for 1280 blocks of 1000, no block delivered
// twice, none lost.
func TestSeveralKMEProcessesOneStore(t *testing.T) {
	eachSite(t, 10, 100, func(t *testing.T, s *site) {
		testConcurrentOn(t, s, []string{startKMEProcess(t, s), startKMEProcess(t, s), s.alice}, 20)
	})
}
