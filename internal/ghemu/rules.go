package ghemu

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// A rule is a check GitHub makes beyond the OpenAPI description (or before
// it, with its own wording). It runs before schema validation; a broken rule
// answers GitHub's real error and is recorded as a violation. A body that
// does not decode is left to schema validation.
type rule func(s *Server, ex *exchange) (reply, bool)

var rules = map[string]rule{
	"checks/create": checkRunRules,
	"checks/update": checkRunRules,
}

const (
	// maxAnnotations is how many annotations one request may carry.
	maxAnnotations = 50
	// maxOutputLen bounds output.summary and output.text, in characters and
	// in bytes.
	maxOutputLen = 65535
)

// checkRunRules applies GitHub's limits on check run bodies, with the
// messages GitHub answers:
//   - at most 50 annotations per request: "Invalid request.\n\nNo more than
//     50 items are allowed; N were supplied."
//   - summary and text at most 65535 characters: "Invalid request.\n\nOnly
//     65535 characters are allowed; N were supplied.", and at most 65535
//     bytes: Validation Failed, "summary exceeds a maximum bytesize of 65535"
//   - a conclusion with status completed or with completed_at: Validation
//     Failed, missing_field conclusion
//   - on update, no empty name (see below).
func checkRunRules(s *Server, ex *exchange) (reply, bool) {
	var b checkRunBody
	if json.Unmarshal(ex.body, &b) != nil {
		return reply{}, false
	}
	doc := ex.docURL()
	if o := b.Output; o != nil {
		if n := len(o.Annotations); n > maxAnnotations {
			return invalidRequest(doc, fmt.Sprintf("No more than %d items are allowed; %d were supplied.", maxAnnotations, n)), true
		}
		for _, f := range []struct {
			name  string
			value *string
		}{{"summary", o.Summary}, {"text", o.Text}} {
			if f.value == nil {
				continue
			}
			if n := utf8.RuneCountInString(*f.value); n > maxOutputLen {
				return invalidRequest(doc, fmt.Sprintf("Only %d characters are allowed; %d were supplied.", maxOutputLen, n)), true
			}
			if len(*f.value) > maxOutputLen {
				return validationFailed(doc, fieldError{Resource: "CheckRun", Code: "custom", Field: f.name,
					Message: fmt.Sprintf("%s exceeds a maximum bytesize of %d", f.name, maxOutputLen)}), true
			}
		}
	}
	completing := (b.Status != nil && *b.Status == "completed") || b.CompletedAt != nil
	if completing && b.Conclusion == nil {
		return validationFailed(doc, fieldError{Resource: "CheckRun", Code: "missing_field", Field: "conclusion"}), true
	}
	// go-github's UpdateCheckRunOptions.Name has no omitempty, so an unset
	// Name is sent as "name": "". What GitHub does with it is not
	// documented; the emulator rejects it so clients always name the run.
	if ex.operationID() == "checks/update" && b.Name != nil && *b.Name == "" {
		return validationFailed(doc, fieldError{Resource: "CheckRun", Code: "missing_field", Field: "name",
			Message: `ghemu: "name" is empty; set UpdateCheckRunOptions.Name to the run's name (go-github sends "" when unset)`}), true
	}
	return reply{}, false
}
