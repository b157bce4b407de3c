package bob

import (
	"fmt"
	"strings"
	"time"
)

// FormatSummary renders one frame's summary as one line for people:
// frame number and UUID, T, ξ, v_el, key rate, reconciliation scheme, β,
// EC blocks, key bits and the time of each phase, or why the frame was
// dropped.
func FormatSummary(n int, s *Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "frame %d %s: T=%.4f xi=%.4f v_el=%.4f key_rate=%s",
		n, s.Frame, s.Transmittance, s.ExcessNoise, s.ElectronicNoise, formatRate(s.KeyRate))
	if s.Reconciliation != "" {
		fmt.Fprintf(&b, " reconciliation=%s", s.Reconciliation)
	}
	if s.ECBlocks > 0 {
		fmt.Fprintf(&b, " beta=%.3f ec_blocks=%d/%d", s.Beta, s.ECBlocksOK, s.ECBlocks)
	}
	fmt.Fprintf(&b, " key_bits=%d", s.KeyBits)
	b.WriteString(" [")
	for i, p := range s.Phases {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", p.Phase, p.Duration.Round(100*time.Microsecond))
	}
	fmt.Fprintf(&b, "] total=%s", s.Total.Round(time.Millisecond))
	if s.Err != nil {
		fmt.Fprintf(&b, " DROPPED: %v", s.Err)
	}
	return b.String()
}

func formatRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2f Mbit/s", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.2f kbit/s", r/1e3)
	}
	return fmt.Sprintf("%.0f bit/s", r)
}
