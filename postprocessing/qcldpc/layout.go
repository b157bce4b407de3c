package qcldpc

// ChannelBits is N − S − P: the bits of one block that the channel carries
// (P counts the family's punctured columns too); 0 when the description is
// invalid.
func (d Description) ChannelBits() int {
	s, err := d.shape()
	if err != nil {
		return 0
	}
	return s.n - d.Shortened - d.Punctured - s.structP
}

// KeyBits is N − S: the bits of one block that are not shortened, the key
// bits a decoded block yields; 0 when the description is invalid.
func (d Description) KeyBits() int {
	s, err := d.shape()
	if err != nil {
		return 0
	}
	return s.n - d.Shortened
}

// RateRange is the range of effective rates ForRate serves: from the
// lowest-rate family at all its rows to the highest-rate family at its
// fewest rows.
func RateRange() (lo, hi float64) {
	lo, hi = 1, 0
	for _, fam := range families {
		lo, hi = widenRange(lo, hi, fam)
	}
	return lo, hi
}

// RateRangeAt is RateRange over the families ForRate uses for blocks of
// about n bits (FamilyVeryLow's rates, for example, from 2^20 bits only);
// lo > hi when none serves that length.
func RateRangeAt(n int) (lo, hi float64) {
	lo, hi = 1, 0
	for _, id := range forRateOrder {
		if servesLength(id, n) {
			lo, hi = widenRange(lo, hi, families[id])
		}
	}
	return lo, hi
}

// widenRange widens [lo, hi] to the rates fam serves.
func widenRange(lo, hi float64, fam *family) (float64, float64) {
	return min(lo, fam.bottomRate()), max(hi, fam.topRate())
}
