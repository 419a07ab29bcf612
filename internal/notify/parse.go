package notify

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Rejection is an input line that was not accepted, and why.
type Rejection struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// Warning is an input line that was accepted after a change its author
// should know about.
type Warning struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// Parsed is what an inventory file holds: the valid entries, normalised,
// each with the line it came from, and the lines that were rejected.
type Parsed struct {
	Format   string      `json:"format"` // csv or json
	Items    []Item      `json:"items"`
	Lines    []int       `json:"-"` // Lines[i] is the line of Items[i]
	Rejected []Rejection `json:"rejected,omitempty"`
	Warnings []Warning   `json:"warnings,omitempty"`
}

// Limits on one file, so a mistaken upload cannot exhaust memory.
const (
	maxFileItems = 1_000_000
	maxJSONBytes = 256 << 20
)

func (p *Parsed) add(line int, it Item) bool {
	n, warning, err := Normalize(it)
	if err != nil {
		p.Rejected = append(p.Rejected, Rejection{Line: line, Reason: errs.MessageOf(err)})
		return true
	}
	if warning != "" {
		p.Warnings = append(p.Warnings, Warning{Line: line, Message: warning})
	}
	p.Items = append(p.Items, n)
	p.Lines = append(p.Lines, line)
	if len(p.Items) >= maxFileItems {
		p.Rejected = append(p.Rejected, Rejection{Line: line, Reason: fmt.Sprintf("a file holds at most %d entries; the rest was not read", maxFileItems)})
		return false
	}
	return true
}

// Parse reads an inventory in CSV or JSON, told apart by the first
// character that is not white space: [ or { is JSON.
func Parse(r io.Reader) (Parsed, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return Parsed{}, fmt.Errorf("inventory: read: %w", err)
	}
	head = bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	switch {
	case len(head) == 0:
		return Parsed{}, errs.E(errs.Invalid, "the file is empty")
	case head[0] == '[' || head[0] == '{':
		return ParseJSON(br)
	}
	return ParseCSV(br)
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// ParseCSV reads an inventory in CSV with a header naming the columns kind,
// value and version (in any order and case; version may be left out). A
// UTF-8 byte order mark is skipped, lines starting with # are comments.
// Bad lines are rejected with their number and the reason and the rest is
// kept; the error is for a missing or unusable header and for I/O.
func ParseCSV(r io.Reader) (Parsed, error) {
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); bytes.Equal(bom, utf8BOM) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	cr.ReuseRecord = true

	p := Parsed{Format: "csv"}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return p, errs.E(errs.Invalid, "the file is empty; it needs the header kind,value,version")
	}
	if err != nil {
		return p, errs.E(errs.Invalid, "header: %s", csvReason(err))
	}
	cols, err := csvColumns(header)
	if err != nil {
		return p, err
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return p, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			p.Rejected = append(p.Rejected, Rejection{Line: pe.StartLine, Reason: csvReason(err)})
			continue
		}
		if err != nil {
			return p, fmt.Errorf("inventory: read: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) > len(header) {
			p.Rejected = append(p.Rejected, Rejection{Line: line,
				Reason: fmt.Sprintf("%d fields, but the header has %d (quote a value that contains a comma)", len(rec), len(header))})
			continue
		}
		field := func(i int) string {
			if i < 0 || i >= len(rec) {
				return ""
			}
			return rec[i]
		}
		if cols.value >= len(rec) {
			p.Rejected = append(p.Rejected, Rejection{Line: line, Reason: "no value"})
			continue
		}
		it := Item{Kind: Kind(field(cols.kind)), Value: field(cols.value), Version: field(cols.version)}
		if !p.add(line, it) {
			return p, nil
		}
	}
}

type csvCols struct{ kind, value, version int }

func csvColumns(header []string) (csvCols, error) {
	c := csvCols{-1, -1, -1}
	for i, h := range header {
		var slot *int
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "kind":
			slot = &c.kind
		case "value":
			slot = &c.value
		case "version":
			slot = &c.version
		default:
			return c, errs.E(errs.Invalid, "header: unknown column %q; the columns are kind, value and version", clip(h))
		}
		if *slot >= 0 {
			return c, errs.E(errs.Invalid, "header: column %q appears twice", clip(h))
		}
		*slot = i
	}
	if c.kind < 0 || c.value < 0 {
		return c, errs.E(errs.Invalid, "header: the first line must name the columns kind,value,version (version may be left out)")
	}
	return c, nil
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "malformed CSV: " + pe.Err.Error()
	}
	return err.Error()
}

// jsonItem is one element of a JSON inventory. The id, org_id, added_at and
// added_by fields of `rampart inventory list --json` are accepted and
// ignored, so a listing can be imported again.
type jsonItem struct {
	Kind    *string         `json:"kind"`
	Value   *string         `json:"value"`
	Version *string         `json:"version"`
	ID      json.RawMessage `json:"id"`
	OrgID   json.RawMessage `json:"org_id"`
	AddedAt json.RawMessage `json:"added_at"`
	AddedBy json.RawMessage `json:"added_by"`
}

// ParseJSON reads an inventory in JSON: an array of objects with kind,
// value and optionally version, or an object whose "items" member is such
// an array. Elements are rejected one by one with the line they start on;
// a syntax error ends the reading there (what came before is kept).
func ParseJSON(r io.Reader) (Parsed, error) {
	p := Parsed{Format: "json"}
	data, err := io.ReadAll(io.LimitReader(r, maxJSONBytes+1))
	if err != nil {
		return p, fmt.Errorf("inventory: read: %w", err)
	}
	if len(data) > maxJSONBytes {
		return p, errs.E(errs.TooLarge, "the file is larger than %d MiB", maxJSONBytes>>20)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	lines := newLineIndex(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return p, errs.E(errs.Invalid, "line %d: malformed JSON: %s", lines.line(dec.InputOffset()), jsonReason(err))
	}
	if tok == json.Delim('{') {
		if err := seekItems(dec); err != nil {
			return p, errs.E(errs.Invalid, "line %d: %s", lines.line(dec.InputOffset()), err.Error())
		}
	} else if tok != json.Delim('[') {
		return p, errs.E(errs.Invalid, "an inventory in JSON is an array of {\"kind\", \"value\", \"version\"} objects")
	}
	for dec.More() {
		line := lines.line(skipSpace(data, dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			at := line
			var se *json.SyntaxError
			if errors.As(err, &se) {
				at = lines.line(se.Offset)
			}
			p.Rejected = append(p.Rejected, Rejection{Line: at, Reason: "malformed JSON: " + jsonReason(err) + "; nothing after this point was read"})
			return p, nil
		}
		it, reason := decodeJSONItem(raw)
		if reason != "" {
			p.Rejected = append(p.Rejected, Rejection{Line: line, Reason: reason})
			continue
		}
		if !p.add(line, it) {
			return p, nil
		}
	}
	return p, nil
}

// seekItems moves dec into the array of an {"items": [...]} object.
func seekItems(dec *json.Decoder) error {
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return fmt.Errorf("malformed JSON: %s", jsonReason(err))
		}
		if key == "items" {
			tok, err := dec.Token()
			if err != nil {
				return fmt.Errorf("malformed JSON: %s", jsonReason(err))
			}
			if tok != json.Delim('[') {
				return errors.New(`"items" must be an array`)
			}
			return nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return fmt.Errorf("malformed JSON: %s", jsonReason(err))
		}
	}
	return errors.New(`the object has no "items" array`)
}

func decodeJSONItem(raw json.RawMessage) (Item, string) {
	if len(raw) == 0 || raw[0] != '{' {
		return Item{}, `an entry must be an object {"kind": ..., "value": ..., "version": ...}`
	}
	var ji jsonItem
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&ji); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Item{}, fmt.Sprintf("%s must be a string", te.Field)
		}
		return Item{}, jsonReason(err)
	}
	if ji.Kind == nil {
		return Item{}, "the entry has no kind"
	}
	if ji.Value == nil {
		return Item{}, "the entry has no value"
	}
	it := Item{Kind: Kind(*ji.Kind), Value: *ji.Value}
	if ji.Version != nil {
		it.Version = *ji.Version
	}
	return it, ""
}

func jsonReason(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "json: ")
	return clip(s)
}

func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
			continue
		}
		break
	}
	return off
}

// lineIndex turns byte offsets into 1-based line numbers.
type lineIndex []int64

func newLineIndex(data []byte) lineIndex {
	var idx lineIndex
	for i, c := range data {
		if c == '\n' {
			idx = append(idx, int64(i))
		}
	}
	return idx
}

func (l lineIndex) line(off int64) int {
	return 1 + sort.Search(len(l), func(i int) bool { return l[i] >= off })
}
