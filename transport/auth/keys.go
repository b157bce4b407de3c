package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// PEM block types of the key files.
const (
	pemPrivateKey = "PRIVATE KEY" // PKCS#8
	pemPublicKey  = "PUBLIC KEY"  // PKIX
)

// HMACKeySize is the size of the keys written by WriteHMACKey, in bytes.
const HMACKeySize = 32

// maxKeyFileSize bounds what is read from a key file.
const maxKeyFileSize = 64 << 10

// readKeyFile reads a key file, checking that a secret one is private to
// its owner.
func readKeyFile(path string, secret bool) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("auth: %w %s: %w", ErrKeyFile, path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("auth: %w %s: not a regular file", ErrKeyFile, path)
	}
	if fi.Size() > maxKeyFileSize {
		return nil, fmt.Errorf("auth: %w %s: %d bytes is too large for a key", ErrKeyFile, path, fi.Size())
	}
	if secret && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("auth: %w: %s has mode %#o; a secret key must be private to its owner (chmod 600 %s)",
			ErrInsecureKeyFile, path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: %w %s: %w", ErrKeyFile, path, err)
	}
	return b, nil
}

// LoadHMACKey reads a pre-shared HMAC key: a file holding the key as hex
// text (surrounding white space ignored), of mode 0600 or stricter.
func LoadHMACKey(path string) ([]byte, error) {
	b, err := readKeyFile(path, true)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	key := make([]byte, hex.DecodedLen(len(b)))
	if _, err := hex.Decode(key, b); err != nil {
		return nil, fmt.Errorf("auth: %w %s: HMAC key must be hex text: %w", ErrKeyFile, path, err)
	}
	if len(key) < MinHMACKeySize {
		return nil, fmt.Errorf("auth: %w %s: HMAC key of %d bytes is too short (at least %d)", ErrKeyFile, path, len(key), MinHMACKeySize)
	}
	return key, nil
}

func decodePEM(path string, b []byte, want string) ([]byte, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("auth: %w %s: no PEM block found", ErrKeyFile, path)
	}
	if block.Type != want {
		return nil, fmt.Errorf("auth: %w %s: PEM type %q, want %q", ErrKeyFile, path, block.Type, want)
	}
	return block.Bytes, nil
}

// LoadEd25519PrivateKey reads a PKCS#8 PEM ("PRIVATE KEY") Ed25519 private
// key from a file of mode 0600 or stricter.
func LoadEd25519PrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := readKeyFile(path, true)
	if err != nil {
		return nil, err
	}
	der, err := decodePEM(path, b, pemPrivateKey)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("auth: %w %s: %w", ErrKeyFile, path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("auth: %w %s: a %T, not an Ed25519 private key", ErrKeyFile, path, k)
	}
	return priv, nil
}

// LoadEd25519PublicKey reads a PKIX PEM ("PUBLIC KEY") Ed25519 public key.
func LoadEd25519PublicKey(path string) (ed25519.PublicKey, error) {
	b, err := readKeyFile(path, false)
	if err != nil {
		return nil, err
	}
	der, err := decodePEM(path, b, pemPublicKey)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("auth: %w %s: %w", ErrKeyFile, path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("auth: %w %s: a %T, not an Ed25519 public key", ErrKeyFile, path, k)
	}
	return pub, nil
}

// ErrExists reports that a key file already exists and overwriting was not
// requested.
var ErrExists = errors.New("key file exists")

// writeFile writes data to path with the given mode. Without force it
// refuses to replace an existing file; with force the old file is replaced
// and the mode is set again (an existing file keeps its mode otherwise).
func writeFile(path string, data []byte, mode fs.FileMode, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, mode)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("auth: %w: %s (use --force to overwrite)", ErrExists, path)
		}
		return fmt.Errorf("auth: write %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("auth: chmod %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("auth: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("auth: write %s: %w", path, err)
	}
	return nil
}

func checkAbsent(force bool, paths ...string) error {
	if force {
		return nil
	}
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("auth: %w: %s (use --force to overwrite)", ErrExists, p)
		}
	}
	return nil
}

// WriteHMACKey writes a fresh random HMACKeySize-byte key as hex text to
// path, mode 0600. It refuses to overwrite an existing file unless force.
func WriteHMACKey(path string, force bool) error {
	key := make([]byte, HMACKeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("auth: random key: %w", err)
	}
	return writeFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600, force)
}

// WriteEd25519KeyPair generates an Ed25519 key pair and writes the private
// key (PKCS#8 PEM, mode 0600) to privPath and the public key (PKIX PEM,
// mode 0644) to pubPath. Neither file is touched unless both may be written
// (they do not exist, or force).
func WriteEd25519KeyPair(privPath, pubPath string, force bool) error {
	if privPath == pubPath {
		return fmt.Errorf("auth: private and public key paths are the same: %s", privPath)
	}
	if err := checkAbsent(force, privPath, pubPath); err != nil {
		return err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("auth: generate Ed25519 key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("auth: encode private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("auth: encode public key: %w", err)
	}
	if err := writeFile(privPath, pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: privDER}), 0o600, force); err != nil {
		return err
	}
	return writeFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: pubDER}), 0o644, force)
}
