package stix

import (
	"bytes"
	"testing"
)

// BenchmarkParseValidateATTACK parses and validates every ATT&CK object;
// objects/s is reported as a metric.
func BenchmarkParseValidateATTACK(b *testing.B) {
	needSharedData(b)
	objs := attackObjects(b)
	if len(objs) == 0 {
		b.Skip("no ATT&CK data")
	}
	var size int64
	for _, s := range objs {
		size += int64(len(s.raw))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, s := range objs {
			o, err := ParseObject(s.raw)
			if err != nil {
				b.Fatal(err)
			}
			_ = Validate(o)
		}
	}
	b.ReportMetric(float64(len(objs)*b.N)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkDecodeBundle streams a bundle of ATT&CK objects.
func BenchmarkDecodeBundle(b *testing.B) {
	needSharedData(b)
	objs := attackObjects(b)
	if len(objs) == 0 {
		b.Skip("no ATT&CK data")
	}
	var buf bytes.Buffer
	buf.WriteString(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[`)
	for i, s := range objs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(s.raw)
	}
	buf.WriteString("]}")
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if _, err := DecodeBundle(bytes.NewReader(data), func(int, Object, error) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
