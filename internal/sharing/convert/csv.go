package convert

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/errs"
)

// csvColumns are the columns CSV reads; type and value are required.
var csvColumns = []string{"type", "value", "name", "description", "valid_from", "valid_until", "confidence", "labels", "tlp", "indicator_types"}

// csvTypes are the STIX-style type names CSV accepts besides the MISP
// attribute types. An address is matched as the address itself, not as
// one end of network traffic, which is what ip-src and ip-dst say.
var csvTypes = map[string]valueType{
	"ipv4-addr":   addrType(checkIPv4),
	"ipv6-addr":   addrType(checkIPv6),
	"domain-name": valueTypes["domain"],
	"url":         valueTypes["url"],
	"email-addr":  valueTypes["email"],
	"file:name":   valueTypes["filename"],
	"file:md5":    valueTypes["md5"],
	"file:sha1":   valueTypes["sha1"],
	"file:sha256": valueTypes["sha256"],
	"file:sha512": valueTypes["sha512"],
}

func addrType(check func(string) (string, error)) valueType {
	return valueType{
		parse: one(check),
		pattern: func(p []string) []bracket {
			return []bracket{{ipComparison(ipVersion(p[0])+"-addr:value", p[0])}}
		},
	}
}

// csvType finds a type by its STIX-style name, or by its MISP name in
// any case.
func csvType(name string) (valueType, string, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	if vt, ok := csvTypes[n]; ok {
		return vt, "", true
	}
	if pt, ok := ruleTypes[n]; ok {
		return valueType{}, pt, true
	}
	if n == "as" {
		n = "AS"
	}
	vt, ok := valueTypes[n]
	return vt, "", ok
}

// CSV converts a CSV file of indicators. The first row names the columns,
// in any order and any case (a UTF-8 byte order mark is skipped; a
// header with tabs and no commas makes the file tab-separated): type and
// value are required; name, description, valid_from, valid_until,
// confidence (0 to 100), labels and indicator_types (both separated by
// semicolons) and tlp are optional.
//
// type is a STIX-style name (ipv4-addr, ipv6-addr, domain-name, url,
// email-addr, file:name, file:md5, file:sha1, file:sha256, file:sha512)
// or a MISP attribute type (ip-dst, domain, md5, filename|sha256, ...).
// Each line becomes one indicator whose id is a UUIDv5 in Namespace of its
// pattern, which is a function of type and value alone, so importing the
// same file again yields the same indicators. created and modified are
// valid_from; a line without valid_from takes Options.Now for both, and
// so makes a new version of its indicator each time it is imported.
//
// A bad line is a Rejection "line N" saying why; the other lines are
// kept. A line repeating an earlier indicator is a Warning. The error is
// an *errs.Error with code Invalid when the header is missing or lacks a
// required column, or when the options are invalid.
func CSV(r io.Reader, o Options) (Result, error) {
	c, err := newConverter(o)
	if err != nil {
		return Result{}, err
	}
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\ufeff")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	if first, _ := br.Peek(4096); len(first) > 0 {
		line, _, _ := bytes.Cut(first, []byte("\n"))
		if !bytes.ContainsRune(line, ',') && bytes.ContainsRune(line, '\t') {
			cr.Comma = '\t'
		}
	}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return Result{}, errs.E(errs.Invalid, "convert: the CSV file is empty; it needs a header row naming the columns")
	}
	if err != nil {
		return Result{}, errs.Wrap(errs.Invalid, err, "convert: the CSV header cannot be read")
	}
	col, err := c.csvHeader(header)
	if err != nil {
		return Result{}, err
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			c.reject(fmt.Sprintf("line %d", pe.StartLine), "", "malformed CSV: %v", pe.Err)
			continue
		}
		if err != nil {
			return Result{}, fmt.Errorf("convert: read CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		c.csvLine(fmt.Sprintf("line %d", line), line, rec, len(header), col, seen)
	}
	return c.finish(), nil
}

func (c *converter) csvHeader(header []string) (map[string]int, error) {
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[name]; dup && name != "" {
			return nil, errs.E(errs.Invalid, "convert: the CSV header names column %q twice", name)
		}
		if !contains(csvColumns, name) {
			c.warn("line 1", h, "unknown column; ignored (columns: %s)", strings.Join(csvColumns, ", "))
			continue
		}
		col[name] = i
	}
	for _, req := range []string{"type", "value"} {
		if _, ok := col[req]; !ok {
			return nil, errs.E(errs.Invalid, "convert: the CSV header has no %s column (it needs type and value)", req)
		}
	}
	return col, nil
}

func (c *converter) csvLine(where string, line int, rec []string, width int, col map[string]int, seen map[string]int) {
	get := func(name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	value := get("value")
	if len(rec) != width {
		if strings.Join(rec, "") == "" {
			return
		}
		shown := value
		if shown == "" {
			shown = strings.Join(rec, ",")
		}
		c.reject(where, shown, "wrong column count: %d columns, the header has %d", len(rec), width)
		return
	}
	typ := get("type")
	if typ == "" && value == "" {
		if strings.Join(rec, "") != "" {
			c.reject(where, "", "type and value are empty")
		}
		return
	}
	vt, ruleType, ok := csvType(typ)
	if !ok {
		c.reject(where, value, "unknown type %q (want ipv4-addr, ipv6-addr, domain-name, url, email-addr, file:name, file:md5, file:sha1, file:sha256, file:sha512 or a MISP attribute type such as ip-dst, domain or md5)", typ)
		return
	}
	in := indicatorIn{name: get("name"), description: get("description"), createdBy: c.o.CreatedBy, patternType: "stix"}
	if ruleType != "" {
		if err := checkRule(value); err != nil {
			c.reject(where, value, "%s: %v", typ, err)
			return
		}
		in.pattern, in.patternType = value, ruleType
	} else {
		p, err := vt.parse(value)
		if err != nil {
			c.reject(where, value, "%s: %v", typ, err)
			return
		}
		in.pattern = render(vt.pattern(p))
	}
	if in.name == "" {
		in.name = shorten(value)
	}

	from, ok := c.csvTime(where, value, "valid_from", get("valid_from"))
	if !ok {
		return
	}
	until, ok := c.csvTime(where, value, "valid_until", get("valid_until"))
	if !ok {
		return
	}
	if from.IsZero() {
		from = c.now
	}
	if !until.IsZero() && !until.After(from) {
		c.reject(where, value, "valid_until (%s) must be after valid_from (%s)", ts(until), ts(from))
		return
	}
	in.validFrom, in.validUntil, in.modified = from, until, from

	if s := get("confidence"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			c.reject(where, value, "confidence: %q is not a whole number", s)
			return
		}
		if n < 0 || n > 100 {
			c.reject(where, value, "confidence: %d is out of range (0 to 100)", n)
			return
		}
		in.confidence, in.hasConfidence = n, true
	}
	in.tlp = c.defaultTLP
	if s := get("tlp"); s != "" {
		level, ok := tlpLevel(s)
		if !ok {
			c.reject(where, value, "tlp: %q is not a TLP level (clear, white, green, amber, amber+strict, red)", s)
			return
		}
		in.tlp = level
	}
	in.labels = dedupe(strings.Split(get("labels"), ";"))
	for _, t := range dedupe(strings.Split(get("indicator_types"), ";")) {
		in.indicatorTypes = append(in.indicatorTypes, strings.ToLower(t))
	}

	in.id = "indicator--" + uuid5("csv-indicator", in.patternType, in.pattern)
	if prev, dup := seen[in.id]; dup {
		c.warn(where, value, "the same indicator as line %d; skipped", prev)
		return
	}
	seen[in.id] = line
	c.indicator(where, value, in)
}

// csvTime reads a date column; a bad one rejects the line, naming the
// column.
func (c *converter) csvTime(where, value, column, s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, ok := parseTime(s)
	if !ok {
		c.reject(where, value, "%s: %q is not a date (want RFC 3339 such as 2024-05-01T12:00:00Z, or 2024-05-01)", column, s)
		return time.Time{}, false
	}
	return t, true
}
