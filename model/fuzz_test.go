package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"strings"
	"testing"
)

// wrapPayload puts body in a model file with a valid header and checksum, so that what is behind
// the checksum (gob decoding, config validation, shape checks) sees the bytes.
func wrapPayload(body []byte, version uint32) []byte {
	var b bytes.Buffer
	b.Write(fileMagic)
	var head [12]byte
	binary.BigEndian.PutUint32(head[:4], version)
	binary.BigEndian.PutUint64(head[4:], uint64(len(body)))
	b.Write(head[:])
	b.Write(body)
	sum := sha256.Sum256(body)
	b.Write(sum[:])
	return b.Bytes()
}

// payloadOf returns the gob payload Write stores for net (with meta and extra).
func payloadOf(tb testing.TB, net *Network, meta map[string]string, extra map[string][]byte) payload {
	tb.Helper()
	p := payload{Config: net.Config, Meta: meta, Extra: extra}
	for _, prm := range net.Params() {
		p.Names = append(p.Names, prm.Name)
		p.Params = append(p.Params, TensorDataOf(prm.Value))
	}
	return p
}

func encodePayload(tb testing.TB, p any) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(p); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func fileOf(tb testing.TB, s Saved) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := Write(&b, s); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// payloadSeeds are gob payloads, valid and crafted: the seeds of FuzzReadPayload and the cases
// of TestReadCraftedPayloads.
func payloadSeeds(tb testing.TB) map[string][]byte {
	small := mustNew(tb, MLP(3, []int{2}, 2), 1)
	f64 := mustNew(tb, withDType(Perceptron(2, 1), "float64"), 1)
	valid := payloadOf(tb, small, map[string]string{"command": "x"}, map[string][]byte{"k": {1, 2}})

	badLoss := valid
	badLoss.Config.Loss = "hinge"
	badShape := payloadOf(tb, small, nil, nil)
	badShape.Params[0].Shape = []int{2, 3}
	fewValues := payloadOf(tb, small, nil, nil)
	fewValues.Params[0].F32 = fewValues.Params[0].F32[:1]
	wrongName := payloadOf(tb, small, nil, nil)
	wrongName.Names[1] = "evil"
	missing := payloadOf(tb, small, nil, nil)
	missing.Params, missing.Names = missing.Params[:3], missing.Names[:3]
	// A config whose weight matrix has 2^62 x 4 elements: the product wraps to 0 in int
	// arithmetic, so an unchecked count would accept an empty tensor and then allocate the layer.
	huge := payloadOf(tb, mustNew(tb, Perceptron(2, 4), 1), nil, nil)
	huge.Config.Inputs = 1 << 62
	huge.Params[0] = TensorData{Shape: []int{huge.Config.Inputs, 4}}
	// 65536x65536 hidden weights announced, none stored.
	wide := payloadOf(tb, mustNew(tb, MLP(2, []int{1, 1}, 2), 1), nil, nil)
	wide.Config.Hidden = []int{65536, 65536}
	negative := valid
	negative.Config.Inputs = -3

	return map[string][]byte{
		"valid":           encodePayload(tb, valid),
		"valid float64":   encodePayload(tb, payloadOf(tb, f64, nil, nil)),
		"unknown loss":    encodePayload(tb, badLoss),
		"wrong shape":     encodePayload(tb, badShape),
		"too few values":  encodePayload(tb, fewValues),
		"wrong name":      encodePayload(tb, wrongName),
		"missing tensors": encodePayload(tb, missing),
		"wrapping count":  encodePayload(tb, huge),
		"huge layers":     encodePayload(tb, wide),
		"negative inputs": encodePayload(tb, negative),
		"gob of a string": encodePayload(tb, "not a payload"),
		"gob of a map":    encodePayload(tb, map[string]int{"Config": 1}),
		"empty":           {},
	}
}

// checkRead checks what holds for whatever Read accepts: a network its config describes, whose
// file reads back the same.
func checkRead(t *testing.T, s Saved, err error) {
	t.Helper()
	if err != nil {
		if s.Net != nil {
			t.Fatalf("Read returned a network and the error %v", err)
		}
		if !strings.Contains(err.Error(), "model file") {
			t.Fatalf("error %q does not say it is about the model file", err)
		}
		return
	}
	if s.Net == nil {
		t.Fatal("Read returned no network and no error")
	}
	if err := s.Net.Config.Validate(); err != nil {
		t.Fatalf("Read accepted an invalid config: %v", err)
	}
	if n := s.Net.NumParams(); n > MaxParams {
		t.Fatalf("Read built %d parameters, more than MaxParams", n)
	}
	again, err := Read(bytes.NewReader(fileOf(t, s)))
	if err != nil {
		t.Fatalf("writing what Read accepted and reading it again: %v", err)
	}
	if !again.Net.Config.Equal(s.Net.Config) {
		t.Fatalf("config %v read back as %v", s.Net.Config, again.Net.Config)
	}
}

// FuzzRead feeds arbitrary bytes to Read. The checksum rejects nearly every mutation of a valid
// file, so this mostly exercises the header; FuzzReadPayload gets behind the checksum.
func FuzzRead(f *testing.F) {
	net := mustNew(f, MLP(3, []int{2}, 2), 1)
	valid := fileOf(f, Saved{Net: net, Meta: map[string]string{"a": "b"}})
	newer := bytes.Clone(valid)
	binary.BigEndian.PutUint32(newer[len(fileMagic):], FormatVersion+1)
	long := bytes.Clone(valid)
	binary.BigEndian.PutUint64(long[len(fileMagic)+4:], 1<<40)
	flipped := bytes.Clone(valid)
	flipped[len(valid)/2] ^= 0x40
	for _, b := range [][]byte{
		valid, newer, long, flipped,
		valid[:len(valid)/2],              // truncated payload
		valid[:len(valid)-5],              // truncated checksum
		valid[:len(fileMagic)+6],          // truncated header
		append(bytes.Clone(valid), 0),     // trailing byte
		[]byte("\x89PNG\r\n\x1a\n"),       // another format
		fileMagic,                         // magic only
		wrapPayload([]byte("garbage"), 1), // valid envelope, garbage inside
		{},
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := Read(bytes.NewReader(in))
		checkRead(t, s, err)
	})
}

// FuzzReadPayload wraps arbitrary bytes in a valid header and checksum: gob decoding, Validate,
// the shape checks and the network's construction see every mutation.
func FuzzReadPayload(f *testing.F) {
	for _, b := range payloadSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := Read(bytes.NewReader(wrapPayload(body, FormatVersion)))
		checkRead(t, s, err)
	})
}
