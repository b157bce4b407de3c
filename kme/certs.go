package kme

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// ErrCertExists is returned by GenerateCerts when a file it would write is
// already there and force is false.
var ErrCertExists = errors.New("kme: certificate file exists")

// CertValidity is how long the certificates of GenerateCerts are valid.
const CertValidity = 2 * 365 * 24 * time.Hour

var saeIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckSAEID returns an error unless id can name an SAE certificate (its
// CN) and its files: 1 to 64 letters, digits, '.', '_' or '-', starting
// with a letter or digit, and not a name GenerateCerts uses itself.
func CheckSAEID(id string) error {
	if !saeIDPattern.MatchString(id) {
		return fmt.Errorf("kme: SAE ID %.80q: 1 to 64 letters, digits, '.', '_', '-', starting with a letter or digit", id)
	}
	switch strings.ToLower(id) {
	case "ca", "kme-alice", "kme-bob":
		return fmt.Errorf("kme: SAE ID %q is a file name of the certificate authority or a KME", id)
	}
	return nil
}

// GenerateCerts writes a local certificate authority and the certificates
// of a demo or test site to dir (created 0700 when missing), all ECDSA
// P-256: ca.crt and ca.key; kme-alice.crt/.key and kme-bob.crt/.key (server
// certificates valid for 127.0.0.1, ::1 and localhost); ID.crt/ID.key for
// every SAE ID (client certificates, CN = ID). Private keys are PKCS#8 PEM,
// mode 0600. Nothing is written when a file exists and force is false
// (ErrCertExists). It returns the files written.
func GenerateCerts(dir string, saeIDs []string, force bool) ([]string, error) {
	if len(saeIDs) == 0 {
		return nil, fmt.Errorf("kme: at least one SAE ID is required")
	}
	seen := map[string]bool{}
	for _, id := range saeIDs {
		if err := CheckSAEID(id); err != nil {
			return nil, err
		}
		if seen[strings.ToLower(id)] {
			return nil, fmt.Errorf("kme: SAE ID %q given twice", id)
		}
		seen[strings.ToLower(id)] = true
	}
	names := append([]string{"ca", "kme-alice", "kme-bob"}, saeIDs...)
	var files []string
	for _, n := range names {
		files = append(files, filepath.Join(dir, n+".crt"), filepath.Join(dir, n+".key"))
	}
	if !force {
		for _, f := range files {
			if _, err := os.Lstat(f); err == nil {
				return nil, fmt.Errorf("%w: %s (use --force to replace)", ErrCertExists, f)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("kme: %w", err)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("kme: %w", err)
	}
	now := time.Now().Add(-time.Minute)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("kme: %w", err)
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "qosst local KME CA"},
		NotBefore:             now,
		NotAfter:              now.Add(CertValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, caCert, err := sign(caTmpl, caKey, nil, caKey)
	if err != nil {
		return nil, err
	}
	if err := writePair(dir, "ca", caDER, caKey); err != nil {
		return nil, err
	}
	for _, side := range []string{"kme-alice", "kme-bob"} {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("kme: %w", err)
		}
		t := &x509.Certificate{
			Subject:     pkix.Name{CommonName: side},
			NotBefore:   now,
			NotAfter:    now.Add(CertValidity),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			DNSNames:    []string{"localhost"},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		}
		der, _, err := sign(t, k, caCert, caKey)
		if err != nil {
			return nil, err
		}
		if err := writePair(dir, side, der, k); err != nil {
			return nil, err
		}
	}
	for _, id := range saeIDs {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("kme: %w", err)
		}
		t := &x509.Certificate{
			Subject:     pkix.Name{CommonName: id},
			NotBefore:   now,
			NotAfter:    now.Add(CertValidity),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		der, _, err := sign(t, k, caCert, caKey)
		if err != nil {
			return nil, err
		}
		if err := writePair(dir, id, der, k); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func sign(t *x509.Certificate, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("kme: %w", err)
	}
	t.SerialNumber = serial
	if parent == nil {
		parent = t
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("kme: certificate %s: %w", t.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("kme: certificate %s: %w", t.Subject.CommonName, err)
	}
	return der, c, nil
}

func writePair(dir, name string, der []byte, key *ecdsa.PrivateKey) error {
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("kme: key %s: %w", name, err)
	}
	if err := writeFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// writeFile writes data to path with mode perm, replacing a file there
// (GenerateCerts checked for existing files before).
func writeFile(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("kme: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("kme: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("kme: %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("kme: %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("kme: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("kme: %w", err)
	}
	return nil
}
