package db

import "encoding/json"

// Set returns the right-hand side of an IN for values passed as one
// parameter (placeholder ph), and the argument to bind to it. Unlike a
// list of placeholders, the statement text does not change with the
// number of values: it is prepared once, not per length, and SQLite does
// not parse thousands of parameter names.
func Set(e Engine, ph string, values []string) (in string, arg any) {
	if e == Postgres {
		return "(SELECT unnest(" + ph + "::text[]))", values
	}
	if values == nil {
		values = []string{}
	}
	b, _ := json.Marshal(values) // strings always encode
	return "(SELECT value FROM json_each(" + ph + "))", string(b)
}
