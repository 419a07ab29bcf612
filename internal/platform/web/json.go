package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/rampart-project/rampart/internal/platform/errs"
)

func strconvI(n int64) string { return strconv.FormatInt(n, 10) }

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// DecodeJSON reads a JSON request body into v. It rejects other media
// types, unknown fields, trailing data and bodies over the server's limit,
// with errors that say what is wrong and where.
func DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !isJSONSuffix(mt)) {
			return errs.E(errs.Unsupported, "Content-Type %q is not JSON; send application/json.", ct)
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, "The request body has data after the JSON value.")
	}
	return nil
}

func isJSONSuffix(mt string) bool {
	return len(mt) > 5 && mt[len(mt)-5:] == "+json"
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.As(err, &syntax):
		return errs.Wrap(errs.Invalid, err, "The JSON is malformed at byte %d.", syntax.Offset)
	case errors.As(err, &typ):
		return errs.Wrap(errs.Invalid, err, "The field %q must be %s, not %s (at byte %d).", typ.Field, typ.Type, typ.Value, typ.Offset)
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "The request body is empty; a JSON value is required.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "The JSON ends too early.")
	default:
		// json reports unknown fields as `json: unknown field "x"`.
		return errs.Wrap(errs.Invalid, err, "The JSON does not fit: %s.", trimJSONPrefix(err.Error()))
	}
}

func trimJSONPrefix(s string) string {
	const p = "json: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
