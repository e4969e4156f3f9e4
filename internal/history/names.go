package history

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Labels on every revision Secret.
const (
	ManagedByLabel   = "app.kubernetes.io/managed-by"
	ManagedBy        = "shipgate"
	AppLabel         = "shipgate.io/app"
	EnvironmentLabel = "shipgate.io/environment"
	RevisionLabel    = "shipgate.io/revision"
	StateLabel       = "shipgate.io/state"
)

// SecretName returns the name of the Secret holding a revision:
// sh.shipgate.<app>.<environment>.v<number>, app and environment each
// made a DNS-1123 label (see namePart).
func SecretName(app, environment string, number int) string {
	return "sh.shipgate." + namePart(app) + "." + namePart(environment) + ".v" + strconv.Itoa(number)
}

// maxPart bounds each of app and environment in a Secret name, keeping the
// whole well under the 253 characters of a DNS subdomain.
const maxPart = 63

// namePart lower-cases s and turns characters outside [a-z0-9-] into '-'.
// When that changed s, or s is longer than 63 characters, it is cut and
// ends in a hash of s, so distinct inputs keep distinct names.
func namePart(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			b[i] = '-'
		}
	}
	part := strings.Trim(string(b), "-")
	if part == s && len(part) <= maxPart {
		return part
	}
	suffix := hash(s)
	part = strings.Trim(part[:min(len(part), maxPart-len(suffix)-1)], "-")
	if part == "" {
		return suffix
	}
	return part + "-" + suffix
}

// labelValue returns s when it is a valid label value, and otherwise s
// with invalid characters turned into '-', cut, and ending in a hash of s.
func labelValue(s string) string {
	if len(validation.IsValidLabelValue(s)) == 0 {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			b[i] = '-'
		}
	}
	suffix := hash(s)
	v := string(b[:min(len(b), validation.LabelValueMaxLength-len(suffix)-1)])
	v = strings.TrimFunc(v, func(r rune) bool { return r > 127 || !isAlnum(byte(r)) })
	if v == "" {
		return suffix
	}
	return v + "-" + suffix
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// hash returns the first 10 hex digits of s's SHA-256.
func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:10]
}
