package messages

import (
	"math"
	"testing"
)

// Expected texts are Python 3's json.dumps of the same float64 bits.
var pyFloatCases = []struct {
	bits uint64
	want string
}{
	{0x0000000000000000, "0.0"},
	{0x8000000000000000, "-0.0"},
	{0x3ff0000000000000, "1.0"},
	{0xbff8000000000000, "-1.5"},
	{0x3fb999999999999a, "0.1"},
	{0x4341c37937e08000, "1e+16"},
	{0x430c6bf526340000, "1000000000000000.0"},
	{0x4341c37937e07fff, "9999999999999998.0"},
	{0x3f1a36e2eb1c432d, "0.0001"},
	{0x3ee4f8b588e368f1, "1e-05"},
	{0x3f202e4b6ce5dc68, "0.00012345"},
	{0x419d6f3454000000, "123456789.0"},
	{0x0000000000000001, "5e-324"},
	{0x7fefffffffffffff, "1.7976931348623157e+308"},
	{0x4415af1d78b58c40, "1e+20"},
	{0x3e8ad7f29abcaf48, "2e-07"},
	{0x4197d78400000000, "100000000.0"},
	{0x3fbf9add3746e984, "0.1234567890123"},
	{0x3fd5555555555555, "0.3333333333333333"},
	{0x4340000000000000, "9007199254740992.0"},
	{0x43e0000000000000, "9.223372036854776e+18"},
	{0xbdf12e0be826d695, "-2.5e-10"},
	{0x4480f0cf064dd592, "1e+22"},
	{0x444b1ae4d6e2ef50, "1e+21"},
	{0x405edd2f1a9fbe77, "123.456"},
	{0x3e7ad7f29abcaf48, "1e-07"},
	{0x3f0078921ac6c11f, "3.14159e-05"},
	{0xc0760559fd9089e2, "-352.3344703336753"},
	{0xc085d269c89a5a60, "-698.3016521509962"},
	{0x4072dde73401254c, "301.8689460797075"},
	{0xc08ab904f8457392, "-855.1274266649145"},
	{0x4051f0e5846214a0, "71.76400861337834"},
	{0xc070c9f46484d916, "-268.622166174829"},
	{0xc08ba00467749786, "-884.0021504505864"},
	{0x402dbe30d7595e00, "14.871466378840523"},
	{0xc08ce811c8741b05, "-925.0086831160303"},
	{0xc06096ad1e6e9f70, "-132.70863267522827"},
	{0x3f39df22ab8cfb4d, "0.00039476963461375776"},
	{0x3a2d5dbe12d041d2, "1.8532666042839877e-28"},
	{0x3c7b85e0bdfb345d, "2.3872362890742913e-17"},
	{0xc1f0f67d6ba4d6ff, "-4553430714.302489"},
	{0xc139cee48d45f02f, "-1691364.5518484225"},
	{0xc170a18a12c39bd5, "-17438881.172756035"},
	{0xba3142fed267e925, "-2.1787329436654623e-28"},
	{0x41042f085355421b, "165345.0406899609"},
	{0x3b83ae8f5f57f2ce, "5.20974898420902e-22"},
	{0xc0b91658f5ad80e9, "-6422.347498744938"},
	{0x44757cf3254ce0a0, "6.342163306240971e+21"},
	{0x4295127376c0424f, "5792247689232.577"},
	{0x41f4bc3d8f6acafa, "5566093558.674555"},
	{0x3c3614b289d506c9, "1.197005237979008e-18"},
	{0xba85b0fb9c6799e0, "-8.761062163811437e-27"},
}

func TestAppendPyFloatMatchesPython(t *testing.T) {
	for _, c := range pyFloatCases {
		f := math.Float64frombits(c.bits)
		if got := string(appendPyFloat(nil, f)); got != c.want {
			t.Errorf("%v: got %s, Python writes %s", f, got, c.want)
		}
	}
}

func TestAppendPyStringMatchesPython(t *testing.T) {
	s := "caf\u00e9 \"q\" \\ \n\t\x01\x1f\x7f \u2014 \U0001F600 </script>&"
	// json.dumps(s) in Python 3.
	want := `"caf\u00e9 \"q\" \\ \n\t\u0001\u001f\u007f \u2014 \ud83d\ude00 </script>&"`
	if got := string(appendPyString(nil, s)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := string(appendPyString(nil, "a\xffb")); got != `"a\ufffdb"` {
		t.Errorf("invalid UTF-8: %s", got)
	}
}
