package qcldpc

import "testing"

// TestSyndromeMatchesDefinition checks Syndrome against the definition of a
// circulant written out element by element.
func TestSyndromeMatchesDefinition(t *testing.T) {
	c := &Code{Z: 5, BaseRows: 2, BaseCols: 4, Circulants: []Circulant{
		{0, 0, 1}, {0, 1, 3}, {0, 3, 4}, {1, 1, 2}, {1, 2, 0}, {1, 3, 1},
	}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	bits := make([]uint8, c.N())
	for i := range bits {
		bits[i] = uint8((i*7 + i/3) % 2)
	}
	got := make([]uint8, c.M())
	if err := c.Syndrome(bits, got); err != nil {
		t.Fatal(err)
	}
	want := make([]uint8, c.M())
	for _, e := range c.Circulants {
		for j := 0; j < c.Z; j++ {
			want[int(e.Row)*c.Z+j] ^= bits[int(e.Col)*c.Z+(j+int(e.Shift))%c.Z]
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("syndrome bit %d = %d, want %d", i, got[i], want[i])
		}
	}
}

func TestValidateRejects(t *testing.T) {
	bad := []*Code{
		{Z: 0, BaseRows: 1, BaseCols: 2},
		{Z: 4, BaseRows: 2, BaseCols: 2},
		{Z: 4, BaseRows: 1, BaseCols: 2, Circulants: []Circulant{{0, 2, 0}}},
		{Z: 4, BaseRows: 1, BaseCols: 2, Circulants: []Circulant{{0, 1, 4}}},
		{Z: 4, BaseRows: 1, BaseCols: 2, Circulants: []Circulant{{0, 1, 1}, {0, 0, 1}}},
		{Z: 4, BaseRows: 1, BaseCols: 2, Punctured: []int32{2}},
		{Z: 4, BaseRows: 1, BaseCols: 2, Circulants: []Circulant{{0, 1, 1}, {0, 1, 2}}}, // parallel
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("code %d accepted", i)
		}
	}
}
