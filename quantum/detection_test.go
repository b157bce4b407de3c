package quantum

import "testing"

func TestDetectionText(t *testing.T) {
	for _, d := range []Detection{Heterodyne, Homodyne} {
		b, err := d.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Detection
		if err := back.UnmarshalText(b); err != nil || back != d || !back.Valid() {
			t.Fatalf("%s: round trip %v %v", d, back, err)
		}
	}
	if d, err := ParseDetection("  HomoDyne "); err != nil || d != Homodyne {
		t.Fatalf("ParseDetection: %v %v", d, err)
	}
	if _, err := ParseDetection("homodyn"); err == nil {
		t.Fatal("unknown detection accepted")
	}
	if _, err := Detection(0).MarshalText(); err == nil || Detection(0).Valid() {
		t.Fatal("the zero value is a detection")
	}
	if Heterodyne.Quadratures() != 2 || Homodyne.Quadratures() != 1 {
		t.Fatal("quadratures")
	}
}
