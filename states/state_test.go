package states

import (
	"slices"
	"testing"

	"github.com/qosst/qosst-go/messages"
)

func TestRegistry(t *testing.T) {
	all := All()
	want := []State{Connected, Identified, Initialized, Polarising, QIEReady, Emitting, PE, PEApproved, EC, ECDone, PADone, Closed}
	if !slices.Equal(all, want) {
		t.Fatalf("All() = %v", all)
	}
	for _, s := range all {
		if !Valid(s) || Doc(s) == "" || Phase(s) == "" {
			t.Errorf("%s: valid %v, doc %q, phase %q", s, Valid(s), Doc(s), Phase(s))
		}
		l := Legal(s)
		if !slices.IsSorted(l) {
			t.Errorf("%s: legal codes not sorted: %v", s, l)
		}
		for _, c := range l {
			if !c.Known() || !IsLegal(s, c) {
				t.Errorf("%s: legal code %d", s, c)
			}
		}
		if s != Closed {
			for _, c := range Always() {
				if !IsLegal(s, c) {
					t.Errorf("%s: %s not legal", s, c)
				}
			}
		}
	}
	if Valid("nowhere") || Legal("nowhere") != nil || IsLegal("nowhere", messages.Abort) {
		t.Error("an undeclared state has legal codes")
	}
	if IsLegal(Closed, messages.Abort) || IsLegal(Connected, messages.QIERequest) {
		t.Error("illegal code reported legal")
	}
	// Legal returns a copy.
	l := Legal(Identified)
	l[0] = 9999
	if IsLegal(Identified, 9999) {
		t.Error("Legal exposes its slice")
	}
	frame := []State{Initialized, Polarising, QIEReady, Emitting, PE, PEApproved, EC, ECDone, PADone}
	for _, s := range all {
		if HasFrame(s) != slices.Contains(frame, s) {
			t.Errorf("%s: HasFrame %v", s, HasFrame(s))
		}
	}
	if got := Phases(); len(got) != 8 || got[0] != "identification" || InPhase("qie")[1] != Emitting {
		t.Errorf("phases %v", got)
	}
}
