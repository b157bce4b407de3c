package logging

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	if got := Truncate("SN-42"); got != "SN-42" {
		t.Fatalf("short string changed: %q", got)
	}
	got := Truncate("\x1b[31m\n" + strings.Repeat("x", 1<<20))
	if strings.ContainsAny(got, "\x1b\n") {
		t.Fatalf("control characters kept: %q", got)
	}
	if len(got) > 4*MaxPeerString+32 || !strings.HasSuffix(got, "(1048582 bytes)") {
		t.Fatalf("long string kept as %d bytes: %.100q", len(got), got)
	}
}

// FuzzTruncate: whatever a peer sends, the logged form is bounded, valid
// UTF-8 and free of control characters.
func FuzzTruncate(f *testing.F) {
	f.Add("SN-42")
	f.Add("\x1b[2J\xff\xfe" + strings.Repeat("é", 100))
	f.Fuzz(func(t *testing.T, s string) {
		got := Truncate(s)
		if len(got) > 4*MaxPeerString+32 {
			t.Fatalf("%d bytes", len(got))
		}
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("control character in %q", got)
			}
		}
	})
}
