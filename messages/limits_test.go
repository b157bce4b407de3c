package messages

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// perCode is a content bound per code: small except for EC_BLOCK.
func perCode(c Code) int {
	if c == ECBlock {
		return 1 << 16
	}
	return 64
}

// A frame whose content_length exceeds its code's bound is refused from the
// header alone; another code keeps the larger bound; SetLimits applies to
// the frames read after it.
func TestContentForPerCode(t *testing.T) {
	big := rawFrame(`{"code": 15, "content_length": 100, "challenge": "", "next_challenge": ""}`, nil, string(bytes.Repeat([]byte{' '}, 100)))
	d := NewDecoder(bytes.NewReader(big), Limits{MaxContent: 1 << 20, ContentFor: perCode})
	if _, err := d.ReadFrame(); !errors.Is(err, ErrFrame) {
		t.Fatalf("100 bytes for a 64-byte code: %v", err)
	}
	d = NewDecoder(bytes.NewReader(append(big, big...)), Limits{MaxContent: 64})
	d.SetLimits(Limits{MaxContent: 1 << 20, ContentFor: func(Code) int { return 1 << 10 }})
	if _, err := d.ReadFrame(); err != nil {
		t.Fatalf("after SetLimits: %v", err)
	}
}

// FuzzReadFramePerCode: with per-code bounds, no frame is returned whose
// content exceeds its code's bound, and every error wraps a sentinel.
func FuzzReadFramePerCode(f *testing.F) {
	f.Add(rawFrame(`{"code": 15, "content_length": 100, "challenge": "", "next_challenge": ""}`, nil, string(bytes.Repeat([]byte{' '}, 100))))
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(bytes.NewReader(data), Limits{MaxContent: 1 << 20, ContentFor: perCode})
		for {
			fr, err := d.ReadFrame()
			if err != nil {
				if !errors.Is(err, ErrFrame) && !errors.Is(err, ErrDisconnected) {
					t.Fatalf("error wraps no sentinel: %v", err)
				}
				return
			}
			if len(fr.Content) > perCode(fr.Header.Code) {
				t.Fatalf("%d content bytes for %s", len(fr.Content), fr.Header.Code)
			}
		}
	})
}

// within cuts s to at most n bytes on a rune boundary (generated
// identification strings stay within their bounds).
func within(s string, n int) string {
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// Identification strings beyond their bounds fail validation naming the
// field; at the bound they pass.
func TestIdentificationBounds(t *testing.T) {
	ok := &IdentificationRequestContent{SerialNumber: strings.Repeat("s", MaxSerialNumber), QOSSTVersion: QOSSTVersion}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	long := &IdentificationRequestContent{SerialNumber: strings.Repeat("s", MaxSerialNumber+1), QOSSTVersion: QOSSTVersion}
	if err := long.Validate(); !errors.Is(err, ErrInvalidContent) || !strings.Contains(err.Error(), "serial_number") {
		t.Fatalf("serial number of %d bytes: %v", MaxSerialNumber+1, err)
	}
	resp := &IdentificationResponseContent{SerialNumber: strings.Repeat("s", MaxSerialNumber+1)}
	if err := resp.Validate(); err == nil {
		t.Fatal("oversized serial number in IDENTIFICATION_RESPONSE accepted")
	}
}
