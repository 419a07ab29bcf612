package pattern

import (
	"reflect"
	"time"
)

// Version selects the dialect of the patterning language.
type Version int

const (
	// V21 is STIX 2.1 patterning (the default).
	V21 Version = iota
	// V20 is STIX 2.0 patterning: START/STOP take plain string constants
	// holding timestamps, and there is no EXISTS operator.
	V20
)

// String returns "2.1" or "2.0".
func (v Version) String() string {
	if v == V20 {
		return "2.0"
	}
	return "2.1"
}

// Pattern is a parsed and checked STIX pattern. It is immutable after Parse
// and safe for concurrent use.
type Pattern struct {
	// Root is the top observation expression.
	Root ObsExpr
	// Version is the dialect the pattern was parsed with.
	Version Version

	compiled *compiled // set by Parse; nil for hand-built patterns
}

// Equal reports whether p and q have the same syntax tree and dialect.
// Two patterns that differ only in layout, redundant parentheses or
// alternative operator spellings (== and =, <> and !=) are equal.
func (p *Pattern) Equal(q *Pattern) bool {
	if p == nil || q == nil {
		return p == q
	}
	return p.Version == q.Version && reflect.DeepEqual(p.Root, q.Root)
}

// ObsExpr is an observation expression: one of *Bracketed,
// *ObsBinary or *Qualified.
type ObsExpr interface{ obsExpr() }

// Bracketed is a bracketed observation expression, [ comparisons ].
type Bracketed struct {
	Expr CompExpr
}

// ObsOp is an operator joining two observation expressions.
type ObsOp int

// Observation operators, from the loosest binding to the tightest.
const (
	FollowedBy ObsOp = iota
	ObsOr
	ObsAnd
)

func (o ObsOp) String() string {
	switch o {
	case FollowedBy:
		return "FOLLOWEDBY"
	case ObsOr:
		return "OR"
	default:
		return "AND"
	}
}

// ObsBinary joins two observation expressions with AND, OR or FOLLOWEDBY.
type ObsBinary struct {
	Op          ObsOp
	Left, Right ObsExpr
}

// QualKind identifies a qualifier.
type QualKind int

// Qualifier kinds.
const (
	Within QualKind = iota
	Repeats
	StartStop
)

func (k QualKind) String() string {
	switch k {
	case Within:
		return "WITHIN"
	case Repeats:
		return "REPEATS"
	default:
		return "START/STOP"
	}
}

// Qualifier restricts when or how often an observation expression matches.
type Qualifier struct {
	Kind QualKind
	// Count is the WITHIN duration in seconds (an Int or Float value) or
	// the REPEATS count (an Int value).
	Count Value
	// Start and Stop bound a START/STOP qualifier. In STIX 2.1 they are
	// Timestamp values; in 2.0 they may be String values holding a
	// timestamp.
	Start, Stop Value
}

// Qualified applies one qualifier to an observation expression. Several
// qualifiers nest, the innermost applied first.
type Qualified struct {
	Expr      ObsExpr
	Qualifier Qualifier
}

func (*Bracketed) obsExpr() {}
func (*ObsBinary) obsExpr() {}
func (*Qualified) obsExpr() {}

// CompExpr is a comparison expression inside brackets: *Comparison or
// *CompBinary.
type CompExpr interface{ compExpr() }

// CompBinary joins two comparison expressions with AND or OR.
type CompBinary struct {
	And         bool // false: OR
	Left, Right CompExpr
}

// CompOp is a comparison operator.
type CompOp int

// Comparison operators.
const (
	OpEq CompOp = iota
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpIn
	OpLike
	OpMatches
	OpIsSubset
	OpIsSuperset
	OpExists
)

var opNames = [...]string{"=", "!=", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"}

func (o CompOp) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "?"
}

// Comparison tests a property of an object: Path Op Value, optionally
// negated with NOT. For OpExists, Value is the zero Value; for OpIn it is
// a Set.
type Comparison struct {
	Path  ObjectPath
	Not   bool
	Op    CompOp
	Value Value
}

func (*Comparison) compExpr() {}
func (*CompBinary) compExpr() {}

// ObjectPath names a property: type:step.step[index].
type ObjectPath struct {
	Type  string
	Steps []Step // at least one; the first is always a key
}

// StepKind says what a path step selects.
type StepKind int

// Path step kinds.
const (
	KeyStep   StepKind = iota // .name or .'quoted name'
	IndexStep                 // [n]
	AnyStep                   // [*]
)

// Step is one component of an object path.
type Step struct {
	Kind  StepKind
	Key   string // KeyStep
	Index int    // IndexStep; negative counts from the end
}

// ValueKind is the type of a constant.
type ValueKind int

// Constant kinds.
const (
	NoValue ValueKind = iota
	String
	Int
	Float
	Bool
	Binary    // b'base64'
	Hex       // h'hex'
	Timestamp // t'...'
	Set       // ( v, v, ... )
)

var kindNames = [...]string{"none", "string", "integer", "float", "boolean", "binary", "hex", "timestamp", "set"}

func (k ValueKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "?"
}

// Value is a constant in a pattern. Only the field matching Kind is set.
type Value struct {
	Kind  ValueKind
	Str   string // String; for Timestamp the literal text, kept for exact formatting
	Int   int64
	Float float64
	Bool  bool
	Bytes []byte    // Binary, Hex (never nil for those kinds)
	Time  time.Time // Timestamp
	Set   []Value
}
