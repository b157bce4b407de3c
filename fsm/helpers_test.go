package fsm

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/qosst/qosst-go/messages"
)

// fieldOf returns the JSON value of field in c's wire form, as text.
func fieldOf(t *testing.T, c messages.Content, field string) string {
	t.Helper()
	if c == nil {
		t.Fatalf("no content, want field %s", field)
	}
	b, err := messages.EncodeContent(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	v, ok := m[field]
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

const testUUID = "9f0b6ea4-9e8c-11ed-8b23-0028f86a9730"

// sampleRaw is a valid content for every code that carries one.
var sampleRaw = map[messages.Code]string{
	messages.UnkownCommand:          `{"code": 1000}`,
	messages.UnexpectedCommand:      `{"code": 200, "error_message": "x"}`,
	messages.InvalidContent:         `{"code": 200, "error_message": "x"}`,
	messages.InvalidResponse:        `{"error_message": "x"}`,
	messages.Abort:                  `{"abort_message": "x"}`,
	messages.ChangeParameterRequest: `{"parameter": "frame.quantum.roll_off", "value": 0.3}`,
	messages.ParameterChanged:       `{"parameter": "p", "old_value": 0.5, "new_value": 0.3}`,
	messages.ParameterUnkown:        `{"parameter": "p"}`,
	messages.ParameterInvalidValue:  `{"parameter": "p", "old_value": 0.5}`,
	messages.ParameterUnchanged:     `{"parameter": "p", "old_value": 0.5}`,
	messages.IdentificationRequest:  `{"serial_number": "bob", "qosst_version": "QOSST/0.2"}`,
	messages.IdentificationResponse: `{"serial_number": "alice"}`,
	messages.InvalidQOSSTVersion:    `{"qosst_version": "QOSST/0.2"}`,
	messages.InitializationRequest:  `{"frame_uuid": "` + testUUID + `", "num_symbols": 1000}`,
	messages.InitializationDenied:   `{"deny_message": "x"}`,
	messages.InitializationProposal: `{"deny_message": "x", "config": {"num_symbols": 10}}`,
	messages.InitializationConfig:   `{"config": {"frame": {"quantum": {"num_symbols": 10}}}}`,
	messages.QIERequest:             `{"frame_uuid": "` + testUUID + `"}`,
	messages.PESymbolsRequest:       `{"indices": [1, 57, 17]}`,
	messages.PESymbolsResponse:      `{"symbols_real": [1, 1, -1], "symbols_imag": [1, -1, 1]}`,
	messages.PESymbolsError:         `{"error_message": "x"}`,
	messages.PENphotonResponse:      `{"n_photon": 1.0}`,
	messages.PEFinished:             `{"n_photon": 1.0, "transmittance": 0.9, "excess_noise": 0.01, "electronic_noise": 0.05, "eta": 0.8, "key_rate": 200}`,
	messages.PEDenied:               `{"deny_message": "x"}`,
	messages.ECInitialization:       `{"noise": 0.5, "ldpc": {"n": 16, "k": 8, "column_weight": 3, "seed": 1}, "blocks": 1}`,
	messages.ECDenied:               `{"error_message": "x"}`,
	messages.ECBlock:                `{"block": 0, "syndrome": [0, 1, 1, 0]}`,
	messages.ECBlockError:           `{"error_message": "x"}`,
	messages.ECReady:                `{"encoding": "packed", "batch": 4}`,
	messages.ECBlockAck:             `{"failed": [2]}`,
	messages.ECRemaining:            `{"some_parameter": 1}`,
	messages.ECRemainingError:       `{"error_message": "x"}`,
	messages.ECVerification:         `{"hash": 385789897481570657}`,
	messages.ECVerificationFail:     `{"error_message": "x"}`,
	messages.PARequest:              `{"seed": [1, 0, 1, 1, 0], "secret_key_length": 4, "subblock_length": 5, "feedback_polynomial": [1, 1, 1, 0, 0]}`,
	messages.PAError:                `{"error_message": "x"}`,
	messages.FrameEnded:             `{"frame_uuid": "` + testUUID + `"}`,
	messages.FrameEndedAck:          `{"frame_uuid": "` + testUUID + `"}`,
}

// sample returns the raw sample content of code (nil when it has none).
func sample(code messages.Code) []byte {
	if s, ok := sampleRaw[code]; ok {
		return []byte(s)
	}
	return nil
}

// sampleContent returns the typed sample content of code (nil when none).
func sampleContent(t *testing.T, code messages.Code) messages.Content {
	t.Helper()
	c, err := messages.DecodeContent(code, sample(code))
	if err != nil {
		t.Fatalf("sample of %s: %v", code, err)
	}
	return c
}

func TestSamplesCoverEveryContent(t *testing.T) {
	for _, c := range messages.AllCodes() {
		if messages.HasContent(c) {
			if _, ok := sampleRaw[c]; !ok {
				t.Errorf("no sample content for %s", c)
			}
			sampleContent(t, c)
		}
	}
}
