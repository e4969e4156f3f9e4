package history

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// SecretType is the type of the Secrets that hold revisions.
const SecretType corev1.SecretType = "shipgate.io/revision"

// Data keys and the schema version this package writes and reads.
const (
	// DataKey holds the revision as gzipped JSON.
	DataKey = "revision.json.gz"
	// SchemaKey holds the schema version as a decimal number.
	SchemaKey = "schema"
	// Schema is the version this package writes; it reads up to it.
	Schema = 1
)

// MaxSecretSize is what the API server accepts in one Secret's data (the
// sum of its values): 1 MiB.
const MaxSecretSize = 1 << 20

// maxDecoded bounds a record's size after decompression, so a corrupt or
// hostile record cannot exhaust memory.
const maxDecoded = 256 << 20

// encode returns the Secret data of r, or a *TooLargeError.
func encode(r Revision) (map[string][]byte, error) {
	for i, o := range r.Objects {
		if !json.Valid(o) {
			return nil, fmt.Errorf("encode %s: Objects[%d] is not valid JSON", r, i)
		}
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", r, err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("encode %s: gzip: %w", r, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode %s: gzip: %w", r, err)
	}
	data := map[string][]byte{DataKey: buf.Bytes(), SchemaKey: []byte(strconv.Itoa(Schema))}
	size := 0
	for _, v := range data {
		size += len(v)
	}
	if size > MaxSecretSize {
		return nil, tooLarge(r, size, len(raw))
	}
	return data, nil
}

// decode reads the revision a Secret holds.
func decode(s *corev1.Secret) (Revision, error) {
	corrupt := func(format string, args ...any) error {
		return &CorruptError{Namespace: s.Namespace, Secret: s.Name, Err: fmt.Errorf(format, args...)}
	}
	if s.Type != SecretType {
		return Revision{}, corrupt("type is %q, want %q", s.Type, SecretType)
	}
	schemaText, ok := s.Data[SchemaKey]
	if !ok {
		return Revision{}, corrupt("no %q key", SchemaKey)
	}
	schema, err := strconv.Atoi(string(schemaText))
	if err != nil || schema < 1 {
		return Revision{}, corrupt("%q is %q, want a positive number", SchemaKey, schemaText)
	}
	if schema > Schema {
		return Revision{}, &SchemaError{Namespace: s.Namespace, Secret: s.Name, Schema: schema}
	}
	gz, ok := s.Data[DataKey]
	if !ok {
		return Revision{}, corrupt("no %q key", DataKey)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return Revision{}, corrupt("%s: %w", DataKey, err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxDecoded+1))
	if err != nil {
		return Revision{}, corrupt("%s: %w", DataKey, err)
	}
	if len(raw) > maxDecoded {
		return Revision{}, corrupt("%s holds more than %d MiB of JSON", DataKey, maxDecoded>>20)
	}
	var r Revision
	if err := json.Unmarshal(raw, &r); err != nil {
		return Revision{}, corrupt("%s: %w", DataKey, err)
	}
	if r.Number < 1 || !r.State.valid() {
		return Revision{}, corrupt("number %d, state %q: want a number from 1 and a known state", r.Number, r.State)
	}
	return r, nil
}

// CorruptError says a revision's Secret cannot be read.
type CorruptError struct {
	Namespace, Secret string
	Err               error
}

// Error names the Secret and what to do about it.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("revision record secret %s/%s is corrupt: %v; inspect it (kubectl get secret -n %s %s -o yaml) "+
		"and repair or delete it (deleting drops that revision from the history)", e.Namespace, e.Secret, e.Err, e.Namespace, e.Secret)
}

// Unwrap returns what was wrong.
func (e *CorruptError) Unwrap() error { return e.Err }

// SchemaError says a revision was written by a newer shipgate with a
// schema this one cannot read.
type SchemaError struct {
	Namespace, Secret string
	// Schema is the record's schema version.
	Schema int
}

// Error names the Secret, both schema versions and the fix.
func (e *SchemaError) Error() string {
	return fmt.Sprintf("revision record secret %s/%s was written by a newer shipgate (schema %d; this one reads up to %d): "+
		"upgrade shipgate to read this history", e.Namespace, e.Secret, e.Schema, Schema)
}

// ErrTooLarge is matched by every *TooLargeError (errors.Is).
var ErrTooLarge = errors.New("revision too large")

// TooLargeError says a revision does not fit in one Secret.
type TooLargeError struct {
	// Revision names the revision ("revision 3 of web in production").
	Revision string
	// Size is the Secret data's size after compression, Limit what a
	// Secret holds, JSON the size before compression.
	Size, Limit, JSON int
	// Largest names the largest objects with their JSON sizes, largest
	// first, e.g. "ConfigMap/shop/assets (3.1 MiB)".
	Largest []string
}

// Error names the sizes, the largest objects and what to do.
func (e *TooLargeError) Error() string {
	msg := fmt.Sprintf("%s is %s after compression (%s of JSON), over the %s one Secret can hold",
		e.Revision, mib(e.Size), mib(e.JSON), mib(e.Limit))
	if len(e.Largest) > 0 {
		msg += "; largest objects: " + strings.Join(e.Largest, ", ")
	}
	return msg + ". The history records every applied object in full: keep bulky data (large ConfigMaps or Secrets, " +
		"embedded files) out of the manifests shipgate promotes, e.g. apply it separately or bake it into the image"
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// tooLarge builds the error for r.
func tooLarge(r Revision, size, jsonSize int) *TooLargeError {
	type sized struct {
		name string
		size int
	}
	var objs []sized
	for _, o := range r.Objects {
		var m struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(o, &m) // valid JSON, checked by encode; a non-object names nothing
		name := m.Kind + "/" + m.Metadata.Name
		if m.Metadata.Namespace != "" {
			name = m.Kind + "/" + m.Metadata.Namespace + "/" + m.Metadata.Name
		}
		objs = append(objs, sized{name, len(o)})
	}
	slices.SortStableFunc(objs, func(a, b sized) int { return cmp.Compare(b.size, a.size) })
	e := &TooLargeError{Revision: r.String(), Size: size, Limit: MaxSecretSize, JSON: jsonSize}
	for _, o := range objs[:min(3, len(objs))] {
		e.Largest = append(e.Largest, fmt.Sprintf("%s (%s)", o.name, mib(o.size)))
	}
	return e
}

// mib formats a byte count in MiB with one decimal, or in bytes when
// small.
func mib(n int) string {
	if n < 100<<10 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
