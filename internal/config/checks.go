package config

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Endpoint is where HTTP requests go: a URL, or a Service reached through
// the API server's service proxy (nothing extra is needed in the cluster).
// Exactly one of URL and Service is set.
type Endpoint struct {
	// URL is an absolute http or https URL.
	URL string `yaml:"url"`
	// Service is a Service's name in the stage's namespace, or namespace/name.
	Service string `yaml:"service"`
	// Port is the Service port's name or number; empty means its first port.
	Port string `yaml:"port"`
	// Path is the request path on the Service, "/" when empty.
	Path string `yaml:"path"`
	// Scheme is http or https for a Service; http when empty.
	Scheme string `yaml:"scheme"`
}

// String names the endpoint as checks do: the URL, or service[:port]/path.
func (e Endpoint) String() string {
	if e.URL != "" {
		return e.URL
	}
	s := "service/" + e.Service
	if e.Port != "" {
		s += ":" + e.Port
	}
	return s + e.RequestPath()
}

// RequestPath returns Path, or "/" when it is empty.
func (e Endpoint) RequestPath() string {
	if e.Path == "" {
		return "/"
	}
	return e.Path
}

// ServiceRef splits Service into namespace (empty when not given) and name.
func (e Endpoint) ServiceRef() (namespace, name string) {
	if ns, n, ok := strings.Cut(e.Service, "/"); ok {
		return ns, n
	}
	return "", e.Service
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func (e Endpoint) validate(field string) error {
	var errs []error
	switch {
	case e.URL == "" && e.Service == "":
		errs = append(errs, fmt.Errorf("%s: set url (e.g. https://shop.example.com/healthz) or service (e.g. web)", field))
	case e.URL != "" && e.Service != "":
		errs = append(errs, fmt.Errorf("%s: set url or service, not both", field))
	case e.URL != "":
		u, err := url.Parse(e.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s.url %q: want an absolute http or https URL", field, e.URL))
		}
		if e.Port != "" || e.Path != "" || e.Scheme != "" {
			errs = append(errs, fmt.Errorf("%s: port, path and scheme are for service; put them in url", field))
		}
	default:
		ns, name := e.ServiceRef()
		if !dnsLabel.MatchString(name) || (ns != "" && !dnsLabel.MatchString(ns)) || strings.Count(e.Service, "/") > 1 {
			errs = append(errs, fmt.Errorf("%s.service %q: want a Service name (e.g. web) or namespace/name", field, e.Service))
		}
		if e.Port != "" {
			if n, err := strconv.Atoi(e.Port); err == nil {
				if n < 1 || n > 65535 {
					errs = append(errs, fmt.Errorf("%s.port %s: want a port number from 1 to 65535 or a port name", field, e.Port))
				}
			} else if !dnsLabel.MatchString(e.Port) {
				errs = append(errs, fmt.Errorf("%s.port %q: want a port number or the Service port's name", field, e.Port))
			}
		}
		if e.Path != "" && !strings.HasPrefix(e.Path, "/") {
			errs = append(errs, fmt.Errorf("%s.path %q must start with /", field, e.Path))
		}
		if e.Scheme != "" && e.Scheme != "http" && e.Scheme != "https" {
			errs = append(errs, fmt.Errorf("%s.scheme %q: use http or https", field, e.Scheme))
		}
	}
	return errors.Join(errs...)
}

// JSONCondition is one test of a JSON response body.
type JSONCondition struct {
	// Path is a Kubernetes JSONPath, e.g. {.status} or .items[0].count
	// (braces are added when missing).
	Path string `yaml:"path"`
	// Equals compares the value's text (numbers as JSON writes them).
	Equals *string `yaml:"equals"`
	// GreaterThan and LessThan compare a number.
	GreaterThan *float64 `yaml:"greater-than"`
	LessThan    *float64 `yaml:"less-than"`
}

// JSONPath returns Path with braces, as k8s.io/client-go/util/jsonpath wants it.
func (c JSONCondition) JSONPath() string {
	if strings.HasPrefix(c.Path, "{") {
		return c.Path
	}
	return "{" + c.Path + "}"
}

func (c JSONCondition) validate(field string) error {
	if c.Path == "" {
		return fmt.Errorf("%s.path is empty; give a JSONPath such as .status", field)
	}
	if c.Equals == nil && c.GreaterThan == nil && c.LessThan == nil {
		return fmt.Errorf("%s (path %s): set equals, greater-than or less-than", field, c.Path)
	}
	return nil
}

// Expect is what a response must be.
type Expect struct {
	// Status is the expected status code; 200 when zero.
	Status int `yaml:"status"`
	// BodyContains must occur in the body, when set.
	BodyContains string `yaml:"body-contains"`
	// BodyRegex must match the body, when set (Go regexp syntax).
	BodyRegex string `yaml:"body-regex"`
	// JSON are conditions on the body parsed as JSON.
	JSON []JSONCondition `yaml:"json"`
	// MaxLatency bounds the response time, when set.
	MaxLatency time.Duration `yaml:"max-latency"`
}

// StatusOr200 returns Status, or 200 when it is zero.
func (e Expect) StatusOr200() int { return cmpOr(e.Status, http.StatusOK) }

func (e Expect) validate(field string) error {
	var errs []error
	if e.Status != 0 && (e.Status < 100 || e.Status > 599) {
		errs = append(errs, fmt.Errorf("%s.status %d: want an HTTP status from 100 to 599", field, e.Status))
	}
	if e.BodyRegex != "" {
		if _, err := regexp.Compile(e.BodyRegex); err != nil {
			errs = append(errs, fmt.Errorf("%s.body-regex: %v", field, err))
		}
	}
	for i, c := range e.JSON {
		errs = append(errs, c.validate(fmt.Sprintf("%s.json[%d]", field, i)))
	}
	if e.MaxLatency < 0 {
		errs = append(errs, fmt.Errorf("%s.max-latency %v: want a duration above 0, e.g. 300ms", field, e.MaxLatency))
	}
	return errors.Join(errs...)
}

// HTTPCheck is one request and what its answer must be: a smoke check, or
// a business-tier JSON check.
type HTTPCheck struct {
	// Name is the check's stable name in JUnit and summaries; the method
	// and endpoint when empty.
	Name     string `yaml:"name"`
	Endpoint `yaml:",inline"`
	// Method is GET when empty.
	Method  string            `yaml:"method"`
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
	Expect  Expect            `yaml:"expect"`
	// Timeout bounds one request; 5s when zero.
	Timeout time.Duration `yaml:"timeout"`
	// Deadline bounds the retries (with backoff) of a failing check, since a
	// freshly deployed app may need a moment; 60s when zero.
	Deadline time.Duration `yaml:"deadline"`
}

// MethodOrGet returns Method, or GET when it is empty.
func (c HTTPCheck) MethodOrGet() string {
	if c.Method == "" {
		return http.MethodGet
	}
	return strings.ToUpper(c.Method)
}

// DisplayName returns Name, or the method and endpoint.
func (c HTTPCheck) DisplayName() string {
	if c.Name != "" {
		return c.Name
	}
	return c.MethodOrGet() + " " + c.Endpoint.String()
}

// RequestTimeout returns Timeout or its default of 5s.
func (c HTTPCheck) RequestTimeout() time.Duration { return cmpOr(c.Timeout, 5*time.Second) }

// RetryDeadline returns Deadline or its default of 60s.
func (c HTTPCheck) RetryDeadline() time.Duration { return cmpOr(c.Deadline, time.Minute) }

func (c HTTPCheck) validate(field string) error {
	errs := []error{c.Endpoint.validate(field), c.Expect.validate(field + ".expect")}
	if c.Timeout < 0 || c.Deadline < 0 {
		errs = append(errs, fmt.Errorf("%s: timeout and deadline must be durations above 0, e.g. 5s", field))
	}
	if c.Method != "" && !validMethod[strings.ToUpper(c.Method)] {
		errs = append(errs, fmt.Errorf("%s.method %q: use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS", field, c.Method))
	}
	return errors.Join(errs...)
}

var validMethod = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// uniqueNames reports names used twice among checks of one list.
func uniqueNames(field string, names []string) error {
	seen := map[string]int{}
	var errs []error
	for i, n := range names {
		if j, ok := seen[n]; ok {
			errs = append(errs, fmt.Errorf("%s[%d] has the same name %q as %s[%d]; names must be unique, they name JUnit test cases", field, i, n, field, j))
			continue
		}
		seen[n] = i
	}
	return errors.Join(errs...)
}
