package ghemu

import (
	"encoding/json"
	"fmt"
	"net/url"
	"unicode/utf8"
)

// A rule is a check GitHub makes beyond the OpenAPI description (or before
// it, with its own wording). It runs before schema validation; a broken rule
// answers GitHub's real error and is recorded as a violation. A body that
// does not decode is left to schema validation.
type rule func(s *Server, ex *exchange) (reply, bool)

var rules = map[string]rule{
	"checks/create":                  checkRunRules,
	"checks/update":                  checkRunRules,
	"issues/create-comment":          commentRules,
	"repos/create-deployment-status": deploymentStatusRules,
}

const (
	// maxAnnotations is how many annotations one request may carry.
	maxAnnotations = 50
	// maxOutputLen bounds output.summary and output.text, in characters and
	// in bytes.
	maxOutputLen = 65535
	// maxCommentLen bounds an issue comment's body, in characters.
	maxCommentLen = 65536
	// maxStatusDescription bounds a deployment status's description, in
	// characters.
	maxStatusDescription = 140
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

// commentRules applies GitHub's limit on a comment body: at most 65536
// characters, else Validation Failed with GitHub's wording.
func commentRules(s *Server, ex *exchange) (reply, bool) {
	var b struct {
		Body string `json:"body"`
	}
	if json.Unmarshal(ex.body, &b) != nil {
		return reply{}, false
	}
	if utf8.RuneCountInString(b.Body) > maxCommentLen {
		return validationFailed(ex.docURL(), fieldError{Resource: "IssueComment", Code: "unprocessable", Field: "data",
			Message: fmt.Sprintf("Body is too long (maximum is %d characters)", maxCommentLen)}), true
	}
	return reply{}, false
}

// deploymentStatusRules applies GitHub's limit on a deployment status:
// a description of at most 140 characters (Validation Failed, "description
// is too long (maximum is 140 characters)"). The URLs must be absolute
// http(s) URLs: GitHub answers them as format uri, and what it does with
// another string is not documented, so the emulator rejects it.
func deploymentStatusRules(s *Server, ex *exchange) (reply, bool) {
	var b deploymentStatusBody
	if json.Unmarshal(ex.body, &b) != nil {
		return reply{}, false
	}
	doc := ex.docURL()
	if b.Description != nil && utf8.RuneCountInString(*b.Description) > maxStatusDescription {
		return validationFailed(doc, fieldError{Resource: "DeploymentStatus", Code: "custom", Field: "description",
			Message: fmt.Sprintf("description is too long (maximum is %d characters)", maxStatusDescription)}), true
	}
	for _, f := range []struct {
		name  string
		value *string
	}{{"environment_url", b.EnvironmentURL}, {"log_url", b.LogURL}, {"target_url", b.TargetURL}} {
		if f.value == nil || *f.value == "" {
			continue
		}
		if u, err := url.Parse(*f.value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return validationFailed(doc, fieldError{Resource: "DeploymentStatus", Code: "custom", Field: f.name,
				Message: fmt.Sprintf("ghemu: %s %q is not an absolute http(s) URL", f.name, *f.value)}), true
		}
	}
	return reply{}, false
}
