package ghemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// filterOptions are the kin-openapi options for requests and responses.
// They only tighten the defaults or shape messages:
//   - defaults are not written into the request, so recorded calls and Link
//     headers show what the client sent (handlers apply GitHub's defaults);
//   - a body sent to an operation that takes none is rejected;
//   - all errors are reported, not just the first;
//   - schema errors leave out the schema and the value (a dump of GitHub's
//     schema per error would drown the reason).
var filterOptions = &openapi3filter.Options{
	SkipSettingDefaults:               true,
	RejectWhenRequestBodyNotSpecified: true,
	MultiError:                        true,
	SchemaValidationOptions:           []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
}

// validateRequest checks the request against its operation: path, query and
// header parameters, content type and body.
func (s *Server) validateRequest(ex *exchange) error {
	ex.req.Body = io.NopCloser(bytes.NewReader(ex.body))
	ex.input = &openapi3filter.RequestValidationInput{
		Request: ex.req, PathParams: ex.rawParams, Route: ex.route, Options: filterOptions,
	}
	return openapi3filter.ValidateRequest(ex.req.Context(), ex.input)
}

// validateResponse records an emulator bug when a response breaks the
// description. kin-openapi checks the statuses the operation documents;
// GitHub also answers statuses it does not document (422 on check runs, 401,
// 403), and those error bodies are checked against GitHub's error schemas.
func (s *Server) validateResponse(ex *exchange, status int, h http.Header, body []byte) {
	if ex.input != nil {
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: ex.input, Status: status, Header: h,
			Body: io.NopCloser(bytes.NewReader(body)), Options: filterOptions,
		}
		if err := openapi3filter.ValidateResponse(ex.req.Context(), in); err != nil {
			s.addBug("%s %s → %d: response breaks the OpenAPI description: %v", ex.req.Method, ex.path, status, err)
		}
		responses := ex.route.Operation.Responses
		if responses.Status(status) != nil || responses.Default() != nil {
			return
		}
	}
	if status < 400 {
		if ex.route != nil {
			s.addBug("%s %s → %d: status not documented for %s", ex.req.Method, ex.path, status, ex.operationID())
		}
		return
	}
	name := "basic-error"
	if status == http.StatusUnprocessableEntity {
		name = "validation-error"
	}
	if err := s.checkSchema(name, body); err != nil {
		s.addBug("%s %s → %d: error body breaks components/schemas/%s: %v", ex.req.Method, ex.path, status, name, err)
	}
}

// checkSchema validates a JSON document against a component schema.
func (s *Server) checkSchema(name string, body []byte) error {
	ref := s.spec.doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("the OpenAPI subset has no components/schemas/%s", name)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return ref.Value.VisitJSON(v, openapi3.VisitAsResponse(), openapi3.MultiErrors())
}
