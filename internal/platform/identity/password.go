package identity

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Argon2id parameters: RFC 9106's second recommended option (64 MiB, 3
// passes), with 2 lanes for the small machines counties run on.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
	minPassword  = 12
)

// CheckPasswordStrength rejects passwords people or tools guess first.
func CheckPasswordStrength(password, email string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < minPassword:
		return errs.E(errs.Invalid, "The password is too short: use at least %d characters (a few words make a good one).", minPassword)
	case n > 1024:
		return errs.E(errs.Invalid, "The password is too long: use at most 1024 characters.")
	case strings.EqualFold(password, email) || email != "" && strings.Contains(strings.ToLower(password), strings.ToLower(strings.Split(email, "@")[0])) && len(strings.Split(email, "@")[0]) >= 4:
		return errs.E(errs.Invalid, "The password must not contain your e-mail name.")
	case isRepetitive(password):
		return errs.E(errs.Invalid, "The password is too easy to guess: it repeats one or two characters.")
	}
	lower := strings.ToLower(password)
	for _, common := range []string{"password", "123456", "qwerty", "letmein", "welcome", "changeme", "rampart"} {
		if strings.Contains(lower, common) && n < 20 {
			return errs.E(errs.Invalid, "The password is too easy to guess: it contains %q.", common)
		}
	}
	return nil
}

func isRepetitive(s string) bool {
	distinct := map[rune]bool{}
	for _, r := range s {
		distinct[r] = true
	}
	return len(distinct) <= 2
}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) string {
	salt := []byte(randomSecret(16))[:16]
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password matches a hash made by
// HashPassword (with any parameters), in constant time.
func VerifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil || mem == 0 || iter == 0 || threads == 0 || mem > 1<<22 || iter > 64 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iter, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when a sign-in names no known user, so the
// answer takes as long as for a wrong password.
var dummyHash = HashPassword("no user has this password, it only costs time")
