package messages

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

const testUUID = "9f0b6ea4-9e8c-11ed-8b23-0028f86a9730"

// Each bad content is refused with ErrInvalidContent and a *ContentError
// naming the field and the reason.
func TestDecodeContentRefuses(t *testing.T) {
	cases := []struct {
		code        Code
		raw         string
		field, text string // expected ContentError.Field and Error()
	}{
		{IdentificationRequest, ``, "", "content: missing"},
		{IdentificationRequest, `{"serial_number": "x"}`, "qosst_version", "field qosst_version: missing"},
		{IdentificationRequest, `{"serial_number": 1, "qosst_version": "QOSST/0.2"}`, "serial_number", "field serial_number: not a string"},
		{IdentificationRequest, `{"Serial_Number": "x", "qosst_version": "v"}`, "serial_number", "field serial_number: missing"},
		{IdentificationRequest, `[1, 2]`, "", "content: not a JSON object"},
		{IdentificationRequest, `null`, "", "content: not a JSON object"},
		{IdentificationRequest, `{"serial_number": "x"`, "", ""},
		{IdentificationRequest, `{"serial_number": NaN}`, "", ""},
		{PENphotonResponse, `{"n_photon": Infinity}`, "", ""},
		{PENphotonResponse, `{"n_photon": null}`, "n_photon", "field n_photon: missing"},
		{ECVerification, `{"hash": "1"}`, "hash", "field hash: not a number"},
		{ECInitialization, `{"noise": 0.1, "ldpc": {"n": 10, "k": 2.5, "column_weight": 3, "seed": 1}}`, "ldpc.k", "field ldpc.k: not an integer"},
		{ECInitialization, `{"noise": 0.1, "ldpc": [1]}`, "ldpc", "field ldpc: not a JSON object"},
		{PARequest, `{"seed": [1, 256], "secret_key_length": 1, "subblock_length": 1, "feedback_polynomial": [1]}`, "seed", "field seed: element 1: out of range"},
		{InitializationRequest, `{"roll_off": 0.5}`, "frame_uuid", "field frame_uuid: missing"},
		{InitializationRequest, `{"frame_uuid": "not-a-uuid"}`, "frame_uuid", "field frame_uuid: not a UUID"},
		{InitializationRequest, `{"frame_uuid": "urn:uuid:` + testUUID + `"}`, "frame_uuid", "field frame_uuid: not a UUID"},
		{InitializationRequest, `{"frame_uuid": "00000000-0000-0000-0000-000000000000"}`, "frame_uuid", "field frame_uuid: nil UUID"},
		{InitializationRequest, `{"frame_uuid": "` + testUUID + `", "num_symbols": 1e999}`, "num_symbols", ""},
		{QIERequest, `{"frame_uuid": 12}`, "frame_uuid", "field frame_uuid: not a string"},
		{QIERequest, `{"uuid": "` + testUUID + `"}`, "frame_uuid", "field frame_uuid: missing"},
		{PESymbolsRequest, `{"indices": [1, 2.5]}`, "indices", "field indices: element 1: not an integer"},
		{PESymbolsRequest, `{"indices": [1, -2]}`, "indices", "field indices: element 1: negative"},
		{PESymbolsRequest, `{"indices": [1, "2"]}`, "indices", "field indices: element 1: not a number"},
		{PESymbolsRequest, `{"indices": [1, 99999999999999999999]}`, "indices", "field indices: element 1: out of range"},
		{PESymbolsRequest, `{"indices": 3}`, "indices", "field indices: not an array of numbers"},
		{PESymbolsRequest, `{"indices": [1, 2,]}`, "", ""},
		{PESymbolsResponse, `{"symbols_real": [1.0], "symbols_imag": []}`, "symbols_imag", "field symbols_imag: length 0 differs from symbols_real's 1"},
		{PESymbolsResponse, `{"symbols_real": [1e400], "symbols_imag": [0]}`, "symbols_real", "field symbols_real: element 0: out of range"},
		{PESymbolsResponse, `{"symbols_real": [1, null], "symbols_imag": [0, 0]}`, "symbols_real", "field symbols_real: element 1: not a number"},
		{PENphotonResponse, `{"n_photon": -1}`, "n_photon", "field n_photon: negative"},
		{PENphotonResponse, `{"n_photon": "1.5"}`, "n_photon", "field n_photon: not a number"},
		{PEFinished, `{"n_photon": 1, "transmittance": 0.5, "excess_noise": 0.1, "electronic_noise": 0.05, "eta": 0.8}`, "key_rate", "field key_rate: missing"},
		{PEFinished, `{"n_photon": 1, "transmittance": 0.5, "excess_noise": 0.1, "electronic_noise": 0.05, "eta": -0.8, "key_rate": 1}`, "eta", "field eta: negative"},
		{ECInitialization, `{"noise": 0.1}`, "ldpc", "field ldpc: exactly one of ldpc, qc_ldpc, matrix and sparse_matrix must be given"},
		{ECInitialization, `{"noise": 0.1, "ldpc": {"n": 10, "k": 5, "column_weight": 3, "seed": 1}, "qc_ldpc": {"family": 2, "z": 64, "rows": 20, "shortened": 0, "punctured": 0, "seed": 1}}`,
			"ldpc", "field ldpc: exactly one of ldpc, qc_ldpc, matrix and sparse_matrix must be given"},
		{ECInitialization, `{"noise": 0.1, "qc_ldpc": {"family": 2, "z": -64, "rows": 20, "shortened": 0, "punctured": 0, "seed": 1}}`, "qc_ldpc.z", "field qc_ldpc.z: negative"},
		{ECBlock, `{"block": 1, "syndrome": [1, 0], "hash": 4294967297}`, "hash", "field hash: not in [1, 2^32]"},
		{ECBlock, `{"block": 1, "syndrome": [1, 0], "hash": -3}`, "hash", "field hash: not in [1, 2^32]"},
		{ECInitialization, `{"noise": 0.1, "qc_ldpc": {"family": 2, "z": 64, "rows": 20, "shortened": 0, "punctured": 0, "seed": 4294967296}}`, "qc_ldpc.seed", "field qc_ldpc.seed: not in [0, 2^32)"},
		{ECInitialization, `{"noise": 0.1, "qc_ldpc": {"family": 2, "z": 64, "rows": 20, "shortened": 0, "seed": 1}}`, "qc_ldpc.punctured", "field qc_ldpc.punctured: missing"},
		{ECInitialization, `{"noise": 0.1, "matrix": [[1, 0], [1]]}`, "matrix", "field matrix: row 1: length 1, row 0 has 2"},
		{ECInitialization, `{"noise": 0.1, "matrix": [[1, 2]]}`, "matrix", "field matrix: row 0: element 1: not a bit (0 or 1)"},
		{ECInitialization, `{"noise": 0.1, "ldpc": {"n": 10, "k": 10, "column_weight": 3, "seed": 1}}`, "ldpc.k", "field ldpc.k: not in (0, n)"},
		{ECInitialization, `{"noise": 0.1, "ldpc": {"n": 10, "k": 5, "column_weight": 3}}`, "ldpc.seed", "field ldpc.seed: missing"},
		{ECInitialization, `{"noise": 0.1, "sparse_matrix": {"n": 4, "rows": [[0, 4]]}}`, "sparse_matrix.rows", "field sparse_matrix.rows: row 0 element 1: column 4 not in [0, n)"},
		{ECInitialization, `{"noise": -0.1, "ldpc": {"n": 10, "k": 5, "column_weight": 3, "seed": 1}}`, "noise", "field noise: negative"},
		{ECInitialization, `{"noise": 0.1, "ldpc": {"n": 10, "k": 5, "column_weight": 3, "seed": 1}, "blocks": -2}`, "blocks", "field blocks: negative"},
		{ECBlock, `{"block": -1, "syndrome": [0]}`, "block", "field block: negative"},
		{ECBlock, `{"block": 1}`, "syndrome", "field syndrome: missing (neither syndrome nor batch is given)"},
		{ECBlock, `{"batch": []}`, "batch", "field batch: 0 blocks, want 1 to 64"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome": "gA==", "syndrome_bits": 2}], "syndrome": [1]}`, "batch", "field batch: given with the one-block fields"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome": "gA==", "syndrome_bits": 9}]}`, "batch[0].syndrome", "field batch[0].syndrome: 1 bytes for 9 bits, want 2"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome": "gA==", "syndrome_bits": 1, "disclosed": "gA==", "disclosed_bits": 9}]}`, "batch[0].disclosed", "field batch[0].disclosed: 1 bytes for 9 bits, want 2"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome": "gA==", "syndrome_bits": 1, "disclosed": "wA==", "disclosed_bits": 1}]}`, "batch[0].disclosed", "field batch[0].disclosed: padding bits past the last bit are not zero"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome": "gA==", "syndrome_bits": 1, "disclosed": "", "disclosed_bits": -8}]}`, "batch[0].disclosed_bits", "field batch[0].disclosed_bits: negative"},
		{ECInitialization, `{"noise": 0.1, "qc_ldpc": {"family": 8, "z": 64, "rows": 20, "shortened": 0, "punctured": 0, "seed": 1}, "reconciliation": "slice"}`, "slices", "field slices: given exactly with reconciliation \"slice\""},
		{ECInitialization, `{"noise": 0.1, "qc_ldpc": {"family": 8, "z": 64, "rows": 20, "shortened": 0, "punctured": 0, "seed": 1}, "reconciliation": "multidimensional", "slices": {"bits": 3, "disclosed": 1, "scale": 1, "codes": [{"family": 8, "z": 64, "rows": 20, "shortened": 0, "punctured": 0, "seed": 2}]}}`, "slices", "field slices: given exactly with reconciliation \"slice\""},
		{ECInitialization, `{"noise": 0.1, "ldpc": {"n": 10, "k": 5, "column_weight": 3, "seed": 1}, "reconciliation": "slice", "slices": {"bits": 2, "disclosed": 1, "scale": 1, "codes": []}}`, "qc_ldpc", "field qc_ldpc: missing: it is the code of the most significant slice"},
		{ECInitialization, `{"noise": 0.1, "qc_ldpc": {"family": 8, "z": 64, "rows": 20, "shortened": 0, "punctured": 0, "seed": 1}, "reconciliation": "slice", "slices": {"bits": 17, "disclosed": 1, "scale": 1, "codes": []}}`, "slices.bits", "field slices.bits: not in [1, 16]"},
		{ECInitialization, `{"noise": 0.1, "qc_ldpc": {"family": 8, "z": 64, "rows": 20, "shortened": 0, "punctured": 0, "seed": 1}, "reconciliation": "slice", "slices": {"bits": 3, "disclosed": 3, "scale": 1, "codes": []}}`, "slices.disclosed", "field slices.disclosed: not in [0, bits)"},
		{ECInitialization, `{"noise": 0.1, "qc_ldpc": {"family": 8, "z": 64, "rows": 20, "shortened": 0, "punctured": 0, "seed": 1}, "reconciliation": "slice", "slices": {"bits": 4, "disclosed": 1, "scale": 1, "codes": []}}`, "slices.codes", "field slices.codes: 0 codes, want bits − disclosed − 1 = 2"},
		{ECInitialization, `{"noise": 0.1, "qc_ldpc": {"family": 8, "z": 64, "rows": 20, "shortened": 0, "punctured": 0, "seed": 1}, "reconciliation": "slice", "slices": {"bits": 2, "disclosed": 1, "scale": 0, "codes": []}}`, "slices.scale", "field slices.scale: not positive"},
		{ECInitialization, `{"noise": 0.1, "qc_ldpc": {"family": 8, "z": 64, "rows": 20, "shortened": 0, "punctured": 0, "seed": 1}, "reconciliation": "slice", "slices": {"bits": 3, "disclosed": 1, "scale": 1, "codes": [{"family": 8, "z": 64, "rows": -20, "shortened": 0, "punctured": 0, "seed": 2}]}}`, "slices.codes[0].rows", "field slices.codes[0].rows: negative"},
		{ECInitialization, `{"noise": 0.1, "qc_ldpc": {"family": 8, "z": 64, "rows": 20, "shortened": 0, "punctured": 0, "seed": 1}, "reconciliation": "slice", "slices": {"bits": 3, "disclosed": 1, "scale": 1, "codes": [{"family": 8, "z": 64, "rows": 20, "shortened": 0, "punctured": 0, "seed": -2}]}}`, "slices.codes[0].seed", "field slices.codes[0].seed: not in [0, 2^32)"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome": "wA==", "syndrome_bits": 1}]}`, "batch[0].syndrome", "field batch[0].syndrome: padding bits past the last bit are not zero"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome": "g A==", "syndrome_bits": 1}]}`, "batch[0].syndrome", "field batch[0].syndrome: not a base64 string"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome": [1], "syndrome_bits": 1}]}`, "batch[0].syndrome", "field batch[0].syndrome: not a base64 string"},
		{ECBlock, `{"batch": [{"block": 3, "syndrome": "gA==", "syndrome_bits": 1}, {"block": 3, "syndrome": "gA==", "syndrome_bits": 1}]}`, "batch[1].block", "field batch[1].block: 3 repeated"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome": "gA==", "syndrome_bits": 1, "rotation": "AACAPw=="}]}`, "batch[0].rotation", "field batch[0].rotation: rotation and norms must be given together"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome": "gA==", "syndrome_bits": 1, "rotation": "AACAPw==", "norms": "AACAPw=="}]}`, "batch[0].rotation", "field batch[0].rotation: 1 values for 1 norms, want 8 per norm"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome": "gA==", "syndrome_bits": 1, "rotation": "AACAfwAAgH8AAIB/AACAfwAAgH8AAIB/AACAfwAAgH8=", "norms": "AACAPw=="}]}`, "batch[0].rotation", "field batch[0].rotation: element 0: not a finite number"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome": "gA==", "syndrome_bits": 1, "rotation": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "norms": "AACAvw=="}]}`, "batch[0].norms", "field batch[0].norms: element 0: negative"},
		{ECBlock, `{"batch": [{"block": 0, "syndrome_bits": 1}]}`, "batch[0].syndrome", "field batch[0].syndrome: missing"},
		{ECBlockAck, `{"failed": [-1]}`, "failed", "field failed: element 0: negative"},
		{ECReady, `{"batch": 65}`, "batch", "field batch: not in [0, 64]"},
		{PARequest, `{"secret_key_length": 1, "subblock_length": 1, "feedback_polynomial": [1]}`, "seed", "field seed: missing (neither seed nor seed_packed is given)"},
		{PARequest, `{"seed": [1], "seed_packed": "gA==", "seed_bits": 1, "secret_key_length": 1, "subblock_length": 1, "feedback_polynomial": [1]}`, "seed_packed", "field seed_packed: given with seed"},
		{PARequest, `{"seed_packed": "gA==", "seed_bits": 17, "secret_key_length": 1, "subblock_length": 1, "feedback_polynomial": [1]}`, "seed_packed", "field seed_packed: 1 bytes for 17 bits, want 3"},
		{PARequest, `{"seed_packed": "gA==", "secret_key_length": 1, "subblock_length": 1, "feedback_polynomial": [1]}`, "seed_bits", "field seed_bits: not positive"},
		{ECVerification, `{"hash": -5}`, "hash", "field hash: negative"},
		{ECVerification, `{"hash": 9223372036854775808}`, "hash", "field hash: out of range"},
		{ECVerification, `{"hash": 3.85789897481570657e17}`, "hash", "field hash: not an exact integer (write it without a fraction or exponent)"},
		{ECVerification, `{"hash": 1.5}`, "hash", "field hash: not an integer"},
		{PARequest, `{"seed": [1, 0, 2], "secret_key_length": 1, "subblock_length": 1, "feedback_polynomial": [1]}`, "seed", "field seed: element 2: not a bit (0 or 1)"},
		{PARequest, `{"seed": [1], "secret_key_length": -1, "subblock_length": 1, "feedback_polynomial": [1]}`, "secret_key_length", "field secret_key_length: negative"},
		{PARequest, `{"seed": [1], "secret_key_length": 1, "subblock_length": 0, "feedback_polynomial": [1]}`, "subblock_length", "field subblock_length: not positive"},
		{FrameEnded, ``, "", "content: missing"},
		{ChangeParameterRequest, `{"parameter": "frame.quantum.roll_off"}`, "value", "field value: missing"},
		{ChangeParameterRequest, `{"parameter": "", "value": 1}`, "parameter", "field parameter: empty"},
		{UnkownCommand, `{"code": 1e10}`, "code", "field code: out of range"},
		{InitializationConfig, `{"config": [1]}`, "config", "field config: not a JSON object"},
		{Abort, `{"abort_message": 5}`, "abort_message", "field abort_message: not a string"},
		{QIETrigger, `nope`, "", ""}, // a code without content still needs JSON when bytes come
		{InitializationRequest, `{"frame_uuid": "` + testUUID + `", "` + strings.Repeat("k", 1000) + `": 1e999}`, strings.Repeat("k", 64) + "...", ""},
	}
	for _, c := range cases {
		got, err := DecodeContent(c.code, []byte(c.raw))
		if err == nil {
			t.Errorf("%v %s: accepted as %#v", c.code, c.raw, got)
			continue
		}
		var ce *ContentError
		if !errors.Is(err, ErrInvalidContent) || !errors.As(err, &ce) {
			t.Errorf("%v %s: %v is not a ContentError", c.code, c.raw, err)
			continue
		}
		if ce.Code != c.code || ce.Field != c.field || (c.text != "" && ce.Error() != c.text) {
			t.Errorf("%v %s:\n got %v %q: %q\nwant %v %q: %q", c.code, c.raw, ce.Code, ce.Field, ce.Error(), c.code, c.field, c.text)
		}
		if _, ok := LocalCode(err); ok {
			t.Errorf("%v: content errors are not local frame errors: %v", c.code, err)
		}
	}
}

func TestDecodeContentAccepts(t *testing.T) {
	u := uuid.MustParse(testUUID)
	cases := []struct {
		code Code
		raw  string
		want Content
	}{
		{QIERequest, ``, nil}, // qosst-bob sends none
		{QIERequest, `{"frame_uuid": "` + testUUID + `"}`, &QIERequestContent{FrameUUID: u}},
		{Abort, ``, nil},
		{QIETrigger, ``, nil},
		{QIETrigger, `{}`, nil},
		{QIETrigger, `{"anything": [1, {"x": null}]}`, nil}, // ignored, as Python peers do
		{PEFinished, `{"n_photon": 1.54, "transmittance": 0.5, "excess_noise": 0.1, "electronic_noise": 0.05, "eta": 0.8, "key_rate": 200, "extra": "ignored"}`,
			&PEFinishedContent{NPhoton: 1.54, Transmittance: 0.5, ExcessNoise: 0.1, ElectronicNoise: 0.05, Eta: 0.8, KeyRate: 200}},
		{ECVerification, `{"hash": 9223372036854775807}`, &ECVerificationContent{Hash: math.MaxInt64}},
		{ECVerification, `{"hash": 385789897481570657}`, &ECVerificationContent{Hash: 385789897481570657}},
		{PESymbolsRequest, `{"indices": [3, 2.0, 1e2, 0]}`, &PESymbolsRequestContent{Indices: []int{3, 2, 100, 0}}},
		{PESymbolsRequest, `{"indices": []}`, &PESymbolsRequestContent{Indices: []int{}}},
		{PESymbolsRequest, "{\"indices\":[\n1 ,\t2]\n}", &PESymbolsRequestContent{Indices: []int{1, 2}}},
		{IdentificationRequest, `{"serial_number": "A", "serial_number": "B", "qosst_version": "QOSST/0.2"}`,
			&IdentificationRequestContent{SerialNumber: "B", QOSSTVersion: "QOSST/0.2"}}, // last duplicate wins
		{InitializationRequest, `{"frame_uuid": "` + testUUID + `", "num_symbols": 1000000, "detection": "heterodyne", "nested": {"a": [1]}}`,
			&InitializationRequestContent{FrameUUID: u, Parameters: map[string]any{"num_symbols": 1e6, "detection": "heterodyne", "nested": map[string]any{"a": []any{1.0}}}}},
		{ECBlock, `{"syndrome": [1.87, 5.67]}`, &ECBlockContent{Syndrome: []float64{1.87, 5.67}}},
		{ECBlock, `{"block": 2, "syndrome": [1, 0], "rotation": [0.5, -0.5, 0.5, 0.5, 0, 0, 0, 0], "norms": [3.25], "extra": 1}`,
			&ECBlockContent{Block: 2, Syndrome: []float64{1, 0}, Rotation: []float64{0.5, -0.5, 0.5, 0.5, 0, 0, 0, 0}, Norms: []float64{3.25}}},
		{ECBlock, `{"syndrome": [1], "rotation": null, "norms": null}`, &ECBlockContent{Syndrome: []float64{1}}},
		{ECBlock, `{"block": 3, "syndrome": [1], "hash": 4294967296}`, &ECBlockContent{Block: 3, Syndrome: []float64{1}, Hash: 1 << 32}},
		{Abort, `{"abort_message": "no key", "frame_uuid": "` + testUUID + `"}`, &AbortContent{AbortMessage: "no key", FrameUUID: u}},
		{Abort, `{"frame_uuid": null}`, &AbortContent{}},
		{ECInitialization, `{"noise": 0.2, "ldpc": {"n": 1000, "k": 500, "column_weight": 3, "seed": -7}, "reconciliation": "sign", "blocks": 4}`,
			&ECInitializationContent{Noise: 0.2, LDPC: &LDPCParams{N: 1000, K: 500, ColumnWeight: 3, Seed: -7}, Reconciliation: "sign", Blocks: 4}},
		{ECInitialization, `{"noise": 0.06, "qc_ldpc": {"family": 2, "z": 4441, "rows": 57, "shortened": 155, "punctured": 0, "seed": 4294967295}, "reconciliation": "multidimensional", "blocks": 9}`,
			&ECInitializationContent{Noise: 0.06, QCLDPC: &QCLDPCParams{Family: 2, Z: 4441, Rows: 57, Shortened: 155, Seed: 1<<32 - 1}, Reconciliation: "multidimensional", Blocks: 9}},
		{ECInitialization, `{"noise": 0.2, "sparse_matrix": {"n": 3, "rows": [[0, 2], []]}}`,
			&ECInitializationContent{Noise: 0.2, SparseMatrix: &SparseMatrix{N: 3, Rows: [][]int{{0, 2}, {}}}}},
		{ECVerification, `{"hash": 2.0}`, &ECVerificationContent{Hash: 2}},
		{ECVerification, ` {"hash":1e3 , "Hash": -1}`, &ECVerificationContent{Hash: 1000}}, // keys match exactly
		{UnkownCommand, `{"code": 7.0}`, &UnkownCommandContent{Command: 7}},
		{PEFinished, `{"n_photon": 1, "transmittance": 1, "excess_noise": 0, "electronic_noise": 0, "eta": 1, "key_rate": 0}`,
			&PEFinishedContent{NPhoton: 1, Transmittance: 1, Eta: 1}},
		{PESymbolsError, `{"error_message": null}`, &PESymbolsErrorContent{}},
		{IdentificationRequest, `{"serial_number": "caf\u00e9 \"x\"", "qosst_version": "Q\u00e9"}`,
			&IdentificationRequestContent{SerialNumber: "café \"x\"", QOSSTVersion: "Qé"}},
		{ChangeParameterRequest, `{"parameter": "p", "value": null}`, &ChangeParameterRequestContent{Parameter: "p"}},
		{ChangeParameterRequest, `{"parameter": "frame.quantum.roll_off", "value": "0.3"}`,
			&ChangeParameterRequestContent{Parameter: "frame.quantum.roll_off", Value: "0.3"}},
	}
	for _, c := range cases {
		got, err := DecodeContent(c.code, []byte(c.raw))
		if err != nil {
			t.Errorf("%v %s: %v", c.code, c.raw, err)
			continue
		}
		if !equalContent(got, c.want) {
			t.Errorf("%v %s:\n got %#v\nwant %#v", c.code, c.raw, got, c.want)
		}
	}
}

func equalContent(a, b Content) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ea, err1 := EncodeContent(a)
	eb, err2 := EncodeContent(b)
	return err1 == nil && err2 == nil && string(ea) == string(eb) && a.Code() == b.Code()
}

func TestDecodeContentUnknownCode(t *testing.T) {
	_, err := DecodeContent(Code(1000), []byte(`{"a": 1}`))
	if !errors.Is(err, ErrUnknownCode) {
		t.Fatalf("%v", err)
	}
}

func TestEncodeContentValidates(t *testing.T) {
	cases := []struct {
		c     Content
		field string
	}{
		{&PESymbolsResponseContent{SymbolsReal: []float32{float32(math.NaN())}, SymbolsImag: []float32{0}}, "symbols_real"},
		{&PESymbolsResponseContent{SymbolsReal: []float32{1}}, "symbols_imag"},
		{&PEFinishedContent{KeyRate: math.Inf(1)}, "key_rate"},
		{&FrameEndedContent{}, "frame_uuid"},
		{&ChangeParameterRequestContent{Parameter: "x", Value: func() {}}, "value"},
		{&ChangeParameterRequestContent{Parameter: "x", Value: []float64{1, math.NaN()}}, "value"},
		{&ChangeParameterRequestContent{Parameter: "x", Value: map[string]any{"a": []any{math.NaN()}}}, "value.a[0]"},
		{&InitializationRequestContent{FrameUUID: uuid.New(), Parameters: map[string]any{"frame_uuid": "x"}}, "frame_uuid"},
		{&ECBlockContent{Block: 1, Syndrome: []float64{math.Inf(-1)}}, "syndrome"},
		{&ECBlockContent{Syndrome: []float64{1}, Rotation: make([]float64, 8)}, "norms"},
		{&ECBlockContent{Syndrome: []float64{1}, Norms: []float64{1}}, "rotation"},
		{&ECBlockContent{Syndrome: []float64{1}, Rotation: make([]float64, 9), Norms: []float64{1}}, "rotation"},
		{&ECBlockContent{Syndrome: []float64{1}, Rotation: []float64{0, 0, 0, math.NaN(), 0, 0, 0, 0}, Norms: []float64{1}}, "rotation"},
		{&ECBlockContent{Syndrome: []float64{1}, Rotation: make([]float64, 8), Norms: []float64{-1}}, "norms"},
		{&ECBlockContent{Syndrome: []float64{1}, Rotation: make([]float64, 8), Norms: []float64{math.Inf(1)}}, "norms"},
		{&PARequestContent{Seed: []uint8{2}, SubblockLength: 1}, "seed"},
		{&InitializationConfigContent{}, "config"},
	}
	for _, c := range cases {
		_, err := EncodeContent(c.c)
		var ce *ContentError
		if !errors.As(err, &ce) || ce.Field != c.field || ce.Code != c.c.Code() {
			t.Errorf("%T: %v", c.c, err)
		}
	}
	if b, err := EncodeContent((*AbortContent)(nil)); err != nil || len(b) != 0 {
		t.Errorf("nil content: %q %v", b, err)
	}
	if b, err := EncodeContent(&AbortContent{}); err != nil || b != nil {
		t.Errorf("empty optional content: %q %v", b, err)
	}
}

func TestECBlockBits(t *testing.T) {
	c := NewECBlock(3, []uint8{1, 0, 1})
	b, err := EncodeContent(c)
	if err != nil || string(b) != `{"block":3,"syndrome":[1,0,1]}` {
		t.Fatalf("%s %v", b, err)
	}
}

func TestPESymbolsHelpers(t *testing.T) {
	s := []complex128{complex(1, -2), complex(0.5, 3e-9), complex(0.1, -1.0/3)}
	c := NewPESymbolsResponse(s)
	got := c.Symbols()
	if len(got) != len(s) {
		t.Fatalf("%v", got)
	}
	for i := range s {
		// Rounded to the nearest float32: within 2^-24 of each part.
		if d := got[i] - s[i]; math.Abs(real(d)) > 0x1p-24*math.Abs(real(s[i])) || math.Abs(imag(d)) > 0x1p-24*math.Abs(imag(s[i])) {
			t.Fatalf("symbol %d: %v read back as %v", i, s[i], got[i])
		}
	}
	if b, _ := EncodeContent(c); string(b) != `{"symbols_real":[1,0.5,0.1],"symbols_imag":[-2,3e-9,-0.33333334]}` {
		t.Fatalf("written as %s", b)
	}
}

// Commas hidden in a string inside a number array do not make the reader
// reserve room for them.
func TestHostileArrayDoesNotOverAllocate(t *testing.T) {
	raw := []byte(`{"symbols_real": [1, "` + strings.Repeat(",", 4<<20) + `"], "symbols_imag": [1]}`)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := DecodeContent(PESymbolsResponse, raw)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrInvalidContent) {
		t.Fatalf("%v", err)
	}
	// 8 bytes per float for every comma would be 32 MiB; a valid array of
	// this size holds at most len/2 numbers.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(5*len(raw)) {
		t.Fatalf("allocated %d bytes for a %d-byte content", alloc, len(raw))
	}
}

// Free values of other Go types are written through encoding/json and come
// back in the generic form.
func TestFreeValuesOfOtherTypes(t *testing.T) {
	type quantum struct {
		RollOff    float64 `json:"roll_off"`
		SymbolRate float64 `json:"symbol_rate"`
	}
	c := &InitializationConfigContent{Config: map[string]any{
		"frame": map[string]any{"quantum": quantum{0.5, 1e8}},
		"list":  []float64{1, 2.5},
		"names": []string{"a", "é"},
	}}
	b, err := EncodeContent(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"config":{"frame":{"quantum":{"roll_off":0.5,"symbol_rate":100000000}},"list":[1,2.5],"names":["a","é"]}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	got, err := DecodeContent(InitializationConfig, b)
	if err != nil {
		t.Fatal(err)
	}
	q := got.(*InitializationConfigContent).Config["frame"].(map[string]any)["quantum"].(map[string]any)
	if q["symbol_rate"] != 1e8 || q["roll_off"] != 0.5 {
		t.Fatalf("%v", q)
	}
}

// TestECBlockSideInformationRoundTrip: a block of multidimensional
// reconciliation as Bob sends it (large arrays, on the parallel number path)
// decodes to exactly the same numbers.
func TestECBlockSideInformationRoundTrip(t *testing.T) {
	const n = 1 << 17
	rng := rand.New(rand.NewPCG(1, 2))
	c := &ECBlockContent{Block: 7, Syndrome: make([]float64, n/2), Rotation: make([]float64, n), Norms: make([]float64, n/8)}
	for i := range c.Syndrome {
		c.Syndrome[i] = float64(rng.IntN(2))
	}
	for i := range c.Rotation {
		c.Rotation[i] = rng.NormFloat64() / 3
	}
	for i := range c.Norms {
		c.Norms[i] = 4 * rng.Float64()
	}
	raw, err := EncodeContent(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeContent(ECBlock, raw)
	if err != nil {
		t.Fatal(err)
	}
	g := got.(*ECBlockContent)
	if g.Block != 7 || !slices.Equal(g.Syndrome, c.Syndrome) || !slices.Equal(g.Rotation, c.Rotation) || !slices.Equal(g.Norms, c.Norms) {
		t.Fatal("side information changed on the way")
	}
	if _, err := DecodeContent(ECBlock, []byte(`{"syndrome": [1], "rotation": [1, 2], "norms": [1]}`)); !errors.Is(err, ErrInvalidContent) {
		t.Fatalf("inconsistent lengths accepted: %v", err)
	}
	if _, err := DecodeContent(ECBlock, []byte(`{"syndrome": [1], "rotation": "x", "norms": [1]}`)); !errors.Is(err, ErrInvalidContent) {
		t.Fatalf("rotation of the wrong type accepted: %v", err)
	}
}
