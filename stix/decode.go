package stix

import (
	"bytes"
	"encoding/json"
	"errors"
)

// decodeAny decodes a JSON value into the shapes encoding/json gives an
// any (map[string]any, []any, string, bool, nil), with numbers kept as
// json.Number.
//
// The bytes of an Object's properties were checked once already, when
// the object was parsed; scanning them again with encoding/json's
// Decoder, which validates as it goes and works through reflection, was
// four tenths of validating an ATT&CK object. This walks the value once.
// Anything it does not expect sends the value to encoding/json, whose
// error is then the one reported.
func decodeAny(raw []byte) (any, error) {
	d := decoder{data: raw}
	d.skipSpace()
	v, ok := d.value(0)
	if d.skipSpace(); ok && d.pos == len(d.data) {
		return v, nil
	}
	return decodeStandard(raw)
}

func decodeStandard(raw []byte) (any, error) {
	var val any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&val); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("data after the value")
	}
	return val, nil
}

// maxDepth bounds nesting, as encoding/json does, so that a hostile
// value cannot exhaust the stack.
const maxDepth = 10000

type decoder struct {
	data []byte
	pos  int
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (any, bool) {
	if d.pos >= len(d.data) || depth > maxDepth {
		return nil, false
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.string()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, false
}

func (d *decoder) literal(word string) bool {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return false
	}
	d.pos += len(word)
	return true
}

// consume skips white space and then c, reporting whether c was there.
func (d *decoder) consume(c byte) bool {
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

// more reads what follows a member or element: a comma (more to come) or
// the closing bracket; ok is false for anything else.
func (d *decoder) more(closing byte) (more, ok bool) {
	if d.consume(',') {
		return true, true
	}
	return false, d.consume(closing)
}

func (d *decoder) object(depth int) (any, bool) {
	d.pos++ // {
	m := map[string]any{}
	if d.consume('}') {
		return m, true
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, false
		}
		k, ok := d.string()
		if !ok || !d.consume(':') {
			return nil, false
		}
		d.skipSpace()
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[k.(string)] = v
		if more, ok := d.more('}'); !more {
			return m, ok
		}
	}
}

func (d *decoder) array(depth int) (any, bool) {
	d.pos++ // [
	a := []any{}
	if d.consume(']') {
		return a, true
	}
	for {
		d.skipSpace()
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if more, ok := d.more(']'); !more {
			return a, ok
		}
	}
}

// string reads a string token; plain ones (no escapes, no control or
// non-ASCII bytes) are converted directly, the rest by encoding/json,
// which knows every escape and replaces invalid UTF-8 as it does.
func (d *decoder) string() (any, bool) {
	start := d.pos
	d.pos++ // "
	plain := true
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			tok := d.data[start:d.pos]
			if plain {
				return string(tok[1 : len(tok)-1]), true
			}
			var s string
			if json.Unmarshal(tok, &s) != nil {
				return nil, false
			}
			return s, true
		case c == '\\':
			plain = false
			d.pos += 2
		case c < 0x20 || c >= 0x80:
			plain = false
			d.pos++
		default:
			d.pos++
		}
	}
	return nil, false
}

func (d *decoder) number() (any, bool) {
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || c >= '0' && c <= '9' {
			d.pos++
			continue
		}
		break
	}
	tok := d.data[start:d.pos]
	if !json.Valid(tok) {
		return nil, false
	}
	return json.Number(tok), true
}
