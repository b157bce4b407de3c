package scpi

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"testing"
)

// A heterodyne channel of 10^6 int16 samples is a 2 MB block.
var benchBlock = func() []byte {
	data := bytes.Repeat([]byte{0x12, 0x34}, 1_000_000)
	n := strconv.Itoa(len(data))
	out := append([]byte("#"+strconv.Itoa(len(n))+n), data...)
	return append(out, '\n')
}()

// BenchmarkBaselineReadFull: copying the same bytes with io.ReadFull into a
// fresh buffer, the floor for ReadBlock.
func BenchmarkBaselineReadFull(b *testing.B) {
	b.SetBytes(int64(len(benchBlock)))
	b.ReportAllocs()
	for b.Loop() {
		buf := make([]byte, len(benchBlock))
		if _, err := io.ReadFull(bufio.NewReaderSize(bytes.NewReader(benchBlock), 64<<10), buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadBlock: parsing a 2 MB definite-length block.
func BenchmarkReadBlock(b *testing.B) {
	b.SetBytes(int64(len(benchBlock)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadBlock(bufio.NewReaderSize(bytes.NewReader(benchBlock), 64<<10), 4<<20); err != nil {
			b.Fatal(err)
		}
	}
}
