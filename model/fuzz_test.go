package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"math"
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
	spec, err := net.Spec()
	if err != nil {
		tb.Fatal(err)
	}
	p := payload{Network: spec, Meta: meta, Extra: extra}
	for _, prm := range net.Params() {
		p.Weights = append(p.Weights, storedTensor{Name: prm.Name, Tensor: TensorDataOf(prm.Value)})
	}
	return p
}

func gobOf(tb testing.TB, p any) []byte {
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

// clonePayload copies p deeply enough that changing a layer spec or a tensor of the copy leaves p
// alone.
func clonePayload(p payload) payload {
	q := p
	q.Network.Layers = append([]LayerSpec(nil), p.Network.Layers...)
	q.Weights = nil
	for _, w := range p.Weights {
		w.Tensor.Shape = append([]int(nil), w.Tensor.Shape...)
		w.Tensor.F32 = append([]float32(nil), w.Tensor.F32...)
		w.Tensor.F64 = append([]float64(nil), w.Tensor.F64...)
		if p.Weights[0].Tensor.F64 == nil {
			w.Tensor.F64 = nil
		} else {
			w.Tensor.F32 = nil
		}
		q.Weights = append(q.Weights, w)
	}
	return q
}

// payloadSeeds are gob payloads, valid and crafted: the seeds of FuzzReadPayload and the cases
// of TestReadCraftedPayloads.
func payloadSeeds(tb testing.TB) map[string][]byte {
	small := mustNew(tb, MLP(3, []int{2}, 2), 1)
	f64 := mustNew(tb, withDType(Perceptron(2, 1), "float64"), 1)
	valid := payloadOf(tb, small, map[string]string{"command": "x"}, map[string][]byte{"k": {1, 2}})
	change := func(f func(p *payload)) []byte {
		p := clonePayload(valid)
		f(&p)
		return gobOf(tb, p)
	}
	attrs := func(s string) json.RawMessage { return json.RawMessage(s) }

	return map[string][]byte{
		"valid":         gobOf(tb, valid),
		"valid float64": gobOf(tb, payloadOf(tb, f64, nil, nil)),
		"unknown loss":  change(func(p *payload) { p.Network.Loss = "hinge" }),
		"wrong shape":   change(func(p *payload) { p.Weights[0].Tensor.Shape = []int{2, 3} }),
		"too few values": change(func(p *payload) {
			p.Weights[0].Tensor.F32 = p.Weights[0].Tensor.F32[:1]
		}),
		"wrong name":      change(func(p *payload) { p.Weights[1].Name = "evil" }),
		"duplicate name":  change(func(p *payload) { p.Weights[1].Name = p.Weights[0].Name }),
		"missing tensors": change(func(p *payload) { p.Weights = p.Weights[:3] }),
		"extra tensor": change(func(p *payload) {
			p.Weights = append(p.Weights, storedTensor{Name: "extra.W", Tensor: TensorData{Shape: []int{1, 1}, F32: []float32{1}}})
		}),
		// A weight matrix of 2^62 x 4 elements: the product wraps to 0 in int arithmetic, so an
		// unchecked count would accept an empty tensor and then allocate the layer.
		"wrapping count": change(func(p *payload) {
			p.Network.Layers[0].Attrs = attrs(`{"in":4611686018427387904,"out":2,"init":"he"}`)
			p.Weights[0].Tensor = TensorData{Shape: []int{1 << 62, 4}}
		}),
		// 65536x65536 hidden weights announced, none stored.
		"huge layer": change(func(p *payload) {
			p.Network.Layers[0].Attrs = attrs(`{"in":65536,"out":65536,"init":"he"}`)
		}),
		// A layer of 8192x8192 (within MaxParams) announced in a file that holds 12 values: refused
		// before the layer is allocated.
		"layer larger than the file": change(func(p *payload) {
			p.Network.Layers[0].Attrs = attrs(`{"in":8192,"out":8192,"init":"he"}`)
		}),
		"negative inputs":    change(func(p *payload) { p.Network.Inputs = -3 }),
		"unknown layer kind": change(func(p *payload) { p.Network.Layers[1].Kind = "gelu-layer" }),
		"unknown activation": change(func(p *payload) { p.Network.Layers[1].Attrs = attrs(`{"activation":"gelu-not-registered"}`) }),
		"unknown attribute":  change(func(p *payload) { p.Network.Layers[2].Attrs = attrs(`{"in":2,"out":2,"init":"he","bias":false}`) }),
		"attribute not json": change(func(p *payload) { p.Network.Layers[0].Attrs = attrs(`{"in":`) }),
		// A file may hold any valid network: without the activation, it is simply another one.
		"valid without the activation": change(func(p *payload) {
			p.Network.Layers = append(p.Network.Layers[:1], p.Network.Layers[2:]...)
		}),
		"bad dtype":          change(func(p *payload) { p.Network.Dtype = "int" }),
		"NaN weight":         change(func(p *payload) { p.Weights[2].Tensor.F32[0] = float32(math.NaN()) }),
		"infinite weight":    change(func(p *payload) { p.Weights[3].Tensor.F32[1] = float32(math.Inf(-1)) }),
		"duplicate layer":    change(func(p *payload) { p.Network.Layers[2].Name = p.Network.Layers[0].Name }),
		"float64 in float32": change(func(p *payload) { p.Weights[0].Tensor = TensorData{Shape: []int{3, 2}, F64: make([]float64, 6)} }),
		"gob of a string":    gobOf(tb, "not a payload"),
		"gob of a map":       gobOf(tb, map[string]int{"Network": 1}),
		"empty":              {},
	}
}

// checkRead checks what holds for whatever Read accepts: a valid network within MaxParams, whose
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
	if err := s.Net.Validate(); err != nil {
		t.Fatalf("Read accepted an invalid network: %v", err)
	}
	if n := s.Net.NumParams(); n > MaxParams {
		t.Fatalf("Read built %d parameters, more than MaxParams", n)
	}
	again, err := Read(bytes.NewReader(fileOf(t, s)))
	if err != nil {
		t.Fatalf("writing what Read accepted and reading it again: %v", err)
	}
	a, _ := again.Net.Spec()
	b, _ := s.Net.Spec()
	if !a.Equal(b) {
		t.Fatalf("network %v read back as %v", s.Net, again.Net)
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
