package ghemu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// reply is what a handler answers, before headers common to every response
// are added and the response is validated.
type reply struct {
	status int
	header http.Header
	// body is marshalled to JSON; nil sends no body.
	body any
	// raw, when set, is sent as is instead of body (fault bodies).
	raw []byte
}

// restDocs is the documentation URL GitHub sends when no operation applies.
const restDocs = "https://docs.github.com/rest"

// ghError is GitHub's error body (components/schemas/basic-error and
// validation-error).
type ghError struct {
	Message          string       `json:"message"`
	Errors           []fieldError `json:"errors,omitempty"`
	DocumentationURL string       `json:"documentation_url"`
	Status           string       `json:"status"`
}

// fieldError is one entry of a "Validation Failed" error.
type fieldError struct {
	Resource string `json:"resource"`
	Code     string `json:"code"`
	Field    string `json:"field"`
	Message  string `json:"message,omitempty"`
}

// errorReply answers GitHub's error JSON.
func errorReply(status int, message, docURL string) reply {
	return reply{status: status, body: ghError{Message: message, DocumentationURL: docURL, Status: strconv.Itoa(status)}}
}

// validationFailed answers 422 "Validation Failed" with field errors, the
// shape GitHub uses for semantic checks.
func validationFailed(docURL string, errs ...fieldError) reply {
	return reply{status: http.StatusUnprocessableEntity, body: ghError{
		Message: "Validation Failed", Errors: errs, DocumentationURL: docURL, Status: "422",
	}}
}

// invalidRequest answers 422 "Invalid request.", the shape GitHub uses when
// a body breaks its JSON schema.
func invalidRequest(docURL, detail string) reply {
	return errorReply(http.StatusUnprocessableEntity, "Invalid request.\n\n"+detail, docURL)
}

// notFound is GitHub's answer for unknown endpoints and missing resources.
func notFound(docURL string) reply {
	return errorReply(http.StatusNotFound, "Not Found", docURL)
}

// jsonReply answers status with body.
func jsonReply(status int, body any) reply {
	return reply{status: status, body: body}
}

// encode marshals v the way GitHub does: compact, without HTML escaping.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
