package qosst

import (
	"slices"

	"github.com/qosst/qosst-go/messages"
)

// DerivedAnswers returns the answers IsDerived reports.
func DerivedAnswers() []messages.Code { return slices.Clone(derivedAnswers) }
