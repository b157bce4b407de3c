package messages

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"pgregory.net/rapid"
)

// ---- generators ----

func genText() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.StringMatching(`[a-zA-Z0-9 _.,:/'-]{0,20}`),
		rapid.String(), // any valid UTF-8: quotes, backslashes, controls, non-ASCII, astral runes
	)
}

func genFloat() *rapid.Generator[float64] {
	return rapid.OneOf(
		rapid.Float64(),
		rapid.Float64Range(-10, 10),
		rapid.SampledFrom([]float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e16, 1e15, 1e-4, 1e-5, 123456789.0, 5e-324, math.MaxFloat64, 1e20, 2e-07}),
		rapid.Map(rapid.Int64Range(-1<<53, 1<<53), func(i int64) float64 { return float64(i) }),
	)
}

func genFloat32() *rapid.Generator[float32] {
	return rapid.OneOf(
		rapid.Float32(),
		rapid.Float32Range(-10, 10),
		rapid.SampledFrom([]float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.1, 1e16, 1e-5, 2e-07, math.MaxFloat32, math.SmallestNonzeroFloat32}),
		rapid.Map(rapid.Int32Range(-1<<24, 1<<24), func(i int32) float32 { return float32(i) }),
	)
}

func genNonNeg() *rapid.Generator[float64] {
	return rapid.Map(genFloat(), math.Abs)
}

func genUUID() *rapid.Generator[uuid.UUID] {
	return rapid.Custom(func(t *rapid.T) uuid.UUID {
		var u uuid.UUID
		copy(u[:], rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "uuid"))
		if u == uuid.Nil {
			u[15] = 1
		}
		return u
	})
}

func genBits(maxLen int) *rapid.Generator[[]uint8] {
	return rapid.SliceOfN(rapid.Uint8Range(0, 1), 0, maxLen)
}

// genValue draws a free JSON value in the form encoding/json decodes into any.
func genValue(depth int) *rapid.Generator[any] {
	scalars := []*rapid.Generator[any]{
		rapid.Just[any](nil),
		rapid.Map(rapid.Bool(), func(b bool) any { return b }),
		rapid.Map(genText(), func(s string) any { return s }),
		rapid.Map(genFloat(), func(f float64) any { return f }),
	}
	if depth <= 0 {
		return rapid.OneOf(scalars...)
	}
	return rapid.OneOf(append(scalars,
		rapid.Map(rapid.SliceOfN(genValue(depth-1), 0, 4), func(v []any) any { return v }),
		rapid.Map(genMap(depth-1), func(m map[string]any) any { return m }),
	)...)
}

func genMap(depth int) *rapid.Generator[map[string]any] {
	return rapid.MapOfN(genText(), genValue(depth), 0, 4)
}

func genCode() *rapid.Generator[Code] {
	return rapid.Map(rapid.Int32(), func(i int32) Code { return Code(i) })
}

// genContent draws a valid content of the given code.
func genContent(code Code) *rapid.Generator[Content] {
	return rapid.Custom(func(t *rapid.T) Content {
		msg := func(name string) string { return genText().Draw(t, name) }
		switch code {
		case UnkownCommand:
			return &UnkownCommandContent{Command: genCode().Draw(t, "code")}
		case UnexpectedCommand:
			return &UnexpectedCommandContent{Command: genCode().Draw(t, "code"), ErrorMessage: msg("msg")}
		case InvalidContent:
			return &InvalidContentContent{Command: genCode().Draw(t, "code"), ErrorMessage: msg("msg")}
		case InvalidResponse:
			return &InvalidResponseContent{ErrorMessage: msg("msg")}
		case Abort:
			c := &AbortContent{AbortMessage: msg("msg")}
			if rapid.Bool().Draw(t, "with frame") {
				c.FrameUUID = uuid.New()
			}
			return c
		case ChangeParameterRequest:
			return &ChangeParameterRequestContent{Parameter: "p" + msg("p"), Value: genValue(2).Draw(t, "v")}
		case ParameterChanged:
			return &ParameterChangedContent{Parameter: "p" + msg("p"), OldValue: genValue(2).Draw(t, "o"), NewValue: genValue(2).Draw(t, "n")}
		case ParameterUnkown:
			return &ParameterUnkownContent{Parameter: "p" + msg("p")}
		case ParameterInvalidValue:
			return &ParameterInvalidValueContent{Parameter: "p" + msg("p"), OldValue: genValue(2).Draw(t, "o"), ErrorMessage: msg("msg")}
		case ParameterUnchanged:
			return &ParameterUnchangedContent{Parameter: "p" + msg("p"), OldValue: genValue(2).Draw(t, "o"), ErrorMessage: msg("msg")}
		case IdentificationRequest:
			return &IdentificationRequestContent{SerialNumber: within(msg("sn"), MaxSerialNumber), QOSSTVersion: within(msg("v"), MaxVersion)}
		case IdentificationResponse:
			return &IdentificationResponseContent{SerialNumber: within(msg("sn"), MaxSerialNumber)}
		case InvalidQOSSTVersion:
			return &InvalidQOSSTVersionContent{QOSSTVersion: msg("v")}
		case InitializationRequest:
			p := genMap(2).Draw(t, "params")
			delete(p, "frame_uuid")
			if len(p) == 0 {
				p = nil
			}
			return &InitializationRequestContent{FrameUUID: genUUID().Draw(t, "uuid"), Parameters: p}
		case InitializationDenied:
			return &InitializationDeniedContent{DenyMessage: msg("msg")}
		case InitializationProposal:
			var cfg map[string]any
			if rapid.Bool().Draw(t, "hasConfig") {
				cfg = genMap(2).Draw(t, "cfg")
			}
			return &InitializationProposalContent{DenyMessage: msg("msg"), Config: cfg}
		case InitializationConfig:
			return &InitializationConfigContent{Config: genMap(3).Draw(t, "cfg")}
		case QIERequest:
			return &QIERequestContent{FrameUUID: genUUID().Draw(t, "uuid")}
		case PESymbolsRequest:
			return &PESymbolsRequestContent{Indices: rapid.SliceOfN(rapid.IntRange(0, math.MaxInt), 0, 50).Draw(t, "idx")}
		case PESymbolsResponse:
			re := rapid.SliceOfN(genFloat32(), 0, 50).Draw(t, "re")
			im := rapid.SliceOfN(genFloat32(), len(re), len(re)).Draw(t, "im")
			return &PESymbolsResponseContent{SymbolsReal: re, SymbolsImag: im}
		case PESymbolsError:
			return &PESymbolsErrorContent{ErrorMessage: msg("msg")}
		case PENphotonResponse:
			return &PENphotonResponseContent{NPhoton: genNonNeg().Draw(t, "n")}
		case PEFinished:
			return &PEFinishedContent{
				NPhoton: genNonNeg().Draw(t, "n"), Transmittance: genFloat().Draw(t, "T"),
				ExcessNoise: genFloat().Draw(t, "xi"), ElectronicNoise: genNonNeg().Draw(t, "vel"),
				Eta: genNonNeg().Draw(t, "eta"), KeyRate: genFloat().Draw(t, "K"),
			}
		case PEDenied:
			return &PEDeniedContent{DenyMessage: msg("msg")}
		case ECInitialization:
			c := &ECInitializationContent{
				Noise:          genNonNeg().Draw(t, "noise"),
				Reconciliation: rapid.SampledFrom([]string{"", "sign", "multidimensional-8"}).Draw(t, "rec"),
				Blocks:         rapid.IntRange(0, 1<<20).Draw(t, "blocks"),
			}
			switch rapid.IntRange(0, 3).Draw(t, "matrixKind") {
			case 3:
				nat := func(name string) int { return rapid.IntRange(0, 1<<22).Draw(t, name) }
				c.QCLDPC = &QCLDPCParams{Family: nat("family"), Z: nat("z"), Rows: nat("rows"), Shortened: nat("shortened"),
					Punctured: nat("punctured"), Seed: rapid.IntRange(0, 1<<32-1).Draw(t, "seed")}
			case 0:
				n := rapid.IntRange(2, 1<<20).Draw(t, "n")
				k := rapid.IntRange(1, n-1).Draw(t, "k")
				c.LDPC = &LDPCParams{N: n, K: k, ColumnWeight: rapid.IntRange(1, n-k).Draw(t, "w"), Seed: rapid.Int64().Draw(t, "seed")}
			case 1:
				rows, cols := rapid.IntRange(1, 6).Draw(t, "rows"), rapid.IntRange(1, 8).Draw(t, "cols")
				c.Matrix = make([]Numbers[uint8], rows)
				for i := range c.Matrix {
					c.Matrix[i] = rapid.SliceOfN(rapid.Uint8Range(0, 1), cols, cols).Draw(t, "row")
				}
			default:
				n := rapid.IntRange(1, 1000).Draw(t, "n")
				rows := rapid.SliceOfN(rapid.SliceOfN(rapid.IntRange(0, n-1), 0, 6), 1, 6).Draw(t, "rows")
				c.SparseMatrix = &SparseMatrix{N: n, Rows: rows}
			}
			return c
		case ECDenied:
			return &ECDeniedContent{ErrorMessage: msg("msg")}
		case ECBlock:
			var syn []float64
			if rapid.Bool().Draw(t, "bits") {
				syn = NewECBlock(0, genBits(64).Draw(t, "b")).Syndrome
			} else {
				syn = rapid.SliceOfN(genFloat(), 0, 20).Draw(t, "syn")
			}
			if syn == nil {
				syn = []float64{}
			}
			if rapid.Bool().Draw(t, "batch") {
				c := &ECBlockContent{}
				block := 0
				for range rapid.IntRange(1, 4).Draw(t, "blocks") {
					n := rapid.IntRange(1, 64).Draw(t, "syndrome bits")
					block += rapid.IntRange(1, 1000).Draw(t, "step")
					it := ECBlockItem{Block: block, Hash: rapid.Int64Range(0, 1<<32).Draw(t, "hash")}
					bits := rapid.SliceOfN(rapid.Uint8Range(0, 1), n, n).Draw(t, "syndrome")
					it.Syndrome, it.SyndromeBits = PackBits(bits), n
					if rapid.Bool().Draw(t, "side information") {
						groups := rapid.IntRange(0, 4).Draw(t, "groups")
						it.Rotation = PackFloat32s(rapid.SliceOfN(rapid.Float64Range(-1, 1), 8*groups, 8*groups).Draw(t, "rotation"))
						it.Norms = PackFloat32s(rapid.SliceOfN(rapid.Float64Range(0, 1e6), groups, groups).Draw(t, "norms"))
					}
					c.Batch = append(c.Batch, it)
				}
				return c
			}
			c := &ECBlockContent{Block: rapid.IntRange(0, math.MaxInt).Draw(t, "block"), Syndrome: syn,
				Hash: rapid.Int64Range(0, 1<<32).Draw(t, "hash")}
			if rapid.Bool().Draw(t, "side information") {
				groups := rapid.IntRange(0, 4).Draw(t, "groups")
				c.Rotation = rapid.SliceOfN(genFloat(), 8*groups, 8*groups).Draw(t, "rotation")
				c.Norms = rapid.SliceOfN(rapid.Float64Range(0, 1e6), groups, groups).Draw(t, "norms")
			}
			return c
		case ECBlockError:
			return &ECBlockErrorContent{ErrorMessage: msg("msg")}
		case ECReady:
			return &ECReadyContent{Encoding: rapid.SampledFrom([]string{"", EncodingPacked, "other"}).Draw(t, "encoding"),
				Batch: rapid.IntRange(0, MaxECBatch).Draw(t, "batch")}
		case ECBlockAck:
			return &ECBlockAckContent{Failed: rapid.SliceOfN(rapid.IntRange(0, math.MaxInt), 0, 8).Draw(t, "failed")}
		case ECRemaining:
			f := genMap(2).Draw(t, "fields")
			if len(f) == 0 {
				f = nil
			}
			return &ECRemainingContent{Fields: f}
		case ECRemainingError:
			return &ECRemainingErrorContent{ErrorMessage: msg("msg")}
		case ECVerification:
			return &ECVerificationContent{Hash: rapid.Int64Range(0, math.MaxInt64).Draw(t, "hash")}
		case ECVerificationFail:
			return &ECVerificationFailContent{ErrorMessage: msg("msg")}
		case PARequest:
			c := &PARequestContent{
				Seed: genBits(100).Draw(t, "seed"), SecretKeyLength: rapid.IntRange(0, math.MaxInt).Draw(t, "skl"),
				SubblockLength: rapid.IntRange(1, math.MaxInt).Draw(t, "sbl"), FeedbackPolynomial: genBits(40).Draw(t, "fp"),
			}
			if c.Seed == nil || rapid.Bool().Draw(t, "packed") {
				n := rapid.IntRange(1, 100).Draw(t, "seed bits")
				c.Seed, c.SeedPacked, c.SeedBits = nil, PackBits(rapid.SliceOfN(rapid.Uint8Range(0, 1), n, n).Draw(t, "seed")), n
			}
			return c
		case PAError:
			return &PAErrorContent{ErrorMessage: msg("msg")}
		case FrameEnded:
			return &FrameEndedContent{FrameUUID: genUUID().Draw(t, "uuid")}
		case FrameEndedAck:
			return &FrameEndedAckContent{FrameUUID: genUUID().Draw(t, "uuid")}
		}
		t.Fatalf("no generator for %v", code)
		return nil
	})
}

func contentCodes() []Code {
	var out []Code
	for _, c := range AllCodes() {
		if HasContent(c) {
			out = append(out, c)
		}
	}
	return out
}

// normalize maps a decoded "all fields empty" optional content to nil, the
// form it takes after a round trip (no bytes on the wire).
func normalize(c Content) Content {
	if c == nil || ContentRequired(c.Code()) {
		return c
	}
	if b, err := EncodeContent(c); err == nil && len(b) == 0 {
		return nil
	}
	return c
}

// ---- properties ----

func TestEveryContentCodeHasAGenerator(t *testing.T) {
	if n := len(contentCodes()); n != len(contentTypes) || n != 38 {
		t.Fatalf("%d content codes, %d content types", n, len(contentTypes))
	}
	// Content may be absent exactly for these codes (all fields optional,
	// and QIE_REQUEST).
	optional := []Code{InvalidResponse, Abort, InitializationDenied, InitializationProposal, QIERequest,
		PESymbolsError, PEDenied, ECReady, ECDenied, ECBlockAck, ECBlockError, ECRemaining, ECRemainingError, ECVerificationFail, PAError}
	for _, code := range contentCodes() {
		if ContentRequired(code) == slices.Contains(optional, code) {
			t.Errorf("%v: ContentRequired = %v", code, ContentRequired(code))
		}
	}
	if all := AllCodes(); len(all) != 59 || !slices.IsSorted(all) || all[0] != UnkownCommand || all[58] != DisconnectionAck {
		t.Errorf("AllCodes: %v", all)
	}
	for _, code := range contentCodes() {
		if got := newContent(code).Code(); got != code {
			t.Errorf("newContent(%v).Code() = %v", code, got)
		}
	}
}

// For every code, any valid content survives encode → decode unchanged, and
// the fast reader, the encoding/json fall-back and whitespace variants of
// the same bytes all decode to the same value.
func TestContentRoundTrip(t *testing.T) {
	for _, code := range contentCodes() {
		t.Run(code.String(), func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				c := genContent(code).Draw(t, "content")
				if err := c.Validate(); err != nil {
					t.Fatalf("generated content invalid: %v", err)
				}
				b, err := EncodeContent(c)
				if err != nil {
					t.Fatal(err)
				}
				if len(b) > 0 && !json.Valid(b) {
					t.Fatalf("not JSON: %s", b)
				}
				got, err := DecodeContent(code, b)
				if err != nil {
					t.Fatalf("decode %s: %v", b, err)
				}
				if want := normalize(c); !reflect.DeepEqual(got, want) {
					t.Fatalf("round trip of %s\n got %#v\nwant %#v", b, got, want)
				}
				if len(b) == 0 {
					return
				}
				var ind, cmp bytes.Buffer
				if err := json.Indent(&ind, b, " \r", "\t "); err != nil {
					t.Fatal(err)
				}
				if err := json.Compact(&cmp, b); err != nil {
					t.Fatal(err)
				}
				for _, v := range [][]byte{ind.Bytes(), cmp.Bytes()} {
					other, err := DecodeContent(code, v)
					if err != nil {
						t.Fatalf("variant %q: %v", v, err)
					}
					if !reflect.DeepEqual(other, got) {
						t.Fatalf("variant %q decodes differently", v)
					}
				}
				// Without free keys, the bytes are exactly what encoding/json
				// writes for the same struct.
				if !hasRest(c) {
					want, err := json.Marshal(c)
					if err != nil {
						t.Fatal(err)
					}
					if string(want) == "{}" {
						want = nil
					}
					if !bytes.Equal(b, want) {
						t.Fatalf("ours %s\nencoding/json %s", b, want)
					}
				}
			})
		})
	}
}

func hasRest(c Content) bool {
	return slices.ContainsFunc(fieldsOf(reflect.TypeOf(c).Elem()), func(f structField) bool { return f.rest })
}

// Arbitrary objects built from the fields a content may have, with wrong
// types and JSON null, give a decoded content that validates and survives a
// round trip, or a ContentError naming a field of the content (or none).
func TestArbitraryObjectsDecodeOrNameAField(t *testing.T) {
	keys := []string{"code", "error_message", "frame_uuid", "indices", "symbols_real", "symbols_imag",
		"syndrome", "block", "hash", "seed", "n_photon", "parameter", "value", "config", "noise", "matrix"}
	rawValue := rapid.SampledFrom([]string{
		`1`, `-1`, `2.0`, `1e3`, `0.5`, `"x"`, `"9f0b6ea4-9e8c-11ed-8b23-0028f86a9730"`, `null`, `true`,
		`[]`, `[1, 2, 3]`, `[0.5,1e-3 , -2]`, `[1, "a"]`, `[[1, 0], [0, 1]]`, `{"a": 1}`, `"\u00e9\n"`,
		`9223372036854775807`, `9223372036854775808`, `1e400`, `[1e400]`, `-0`, `[-1]`,
	})
	rapid.Check(t, func(t *rapid.T) {
		code := rapid.SampledFrom(contentCodes()).Draw(t, "code")
		n := rapid.IntRange(0, 5).Draw(t, "n")
		var b bytes.Buffer
		b.WriteString("{")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(rapid.SampledFrom([]string{", ", ",", " ,\n"}).Draw(t, "sep"))
			}
			b.WriteString(`"` + rapid.SampledFrom(keys).Draw(t, "key") + `":` + rapid.SampledFrom([]string{"", " ", "\t"}).Draw(t, "ws"))
			b.WriteString(rawValue.Draw(t, "value"))
		}
		b.WriteString("}")
		c, err := DecodeContent(code, b.Bytes())
		if err != nil {
			var ce *ContentError
			if !errors.As(err, &ce) || ce.Code != code {
				t.Fatalf("%s: %v is not a ContentError of %v", b.Bytes(), err, code)
			}
			top, _, _ := strings.Cut(ce.Field, ".")
			known := slices.ContainsFunc(fieldsOf(reflect.TypeOf(newContent(code)).Elem()), func(f structField) bool { return f.key == top })
			if top != "" && !known && !hasRest(newContent(code)) {
				t.Fatalf("%s: error names %q, not a field of %v", b.Bytes(), ce.Field, code)
			}
			return
		}
		if c == nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: decoded content does not validate: %v", b.Bytes(), err)
		}
		re, err := EncodeContent(c)
		if err != nil {
			t.Fatalf("%s: re-encode: %v", b.Bytes(), err)
		}
		again, err := DecodeContent(code, re)
		if err != nil || !reflect.DeepEqual(normalize(again), normalize(c)) {
			t.Fatalf("%s -> %s: %v, %#v vs %#v", b.Bytes(), re, err, again, c)
		}
	})
}
