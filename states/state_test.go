package states

import (
	"slices"
	"testing"
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
	}
	if Valid("nowhere") || Doc("nowhere") != "" {
		t.Error("an undeclared state is declared")
	}
	if got := Phases(); len(got) != 8 || got[0] != "identification" || InPhase("qie")[1] != Emitting {
		t.Errorf("phases %v", got)
	}
}
