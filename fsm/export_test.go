package fsm

import qosst "github.com/qosst/qosst-go"

// Mermaid, DOT and MermaidPhase render the protocol's own table.
func Mermaid() string { return MermaidOf(qosst.Protocol()) }

func DOT() string { return DOTOf(qosst.Protocol()) }

func MermaidPhase(phase string) string { return mermaidPhase(qosst.Protocol(), phase) }
