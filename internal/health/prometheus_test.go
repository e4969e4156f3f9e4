package health

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/result"
)

// promAnswers are /api/v1/query bodies in Prometheus's own format, by query.
var promAnswers = map[string]string{
	"up":        `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"web","instance":"a"},"value":[1700000000.5,"1"]},{"metric":{"__name__":"up","job":"web","instance":"b"},"value":[1700000000.5,"1"]}]}}`,
	"errors":    `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"web"},"value":[1700000000.5,"0.01"]},{"metric":{"job":"api"},"value":[1700000000.5,"0.2"]}]}}`,
	"orders":    `{"status":"success","data":{"resultType":"vector","result":[]}}`,
	"scalar(1)": `{"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"0.5"]}}`,
	"nan":       `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"web"},"value":[1700000000.5,"NaN"]}]},"warnings":["query hit the sample limit"]}`,
	"up[5m]":    `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"web"},"values":[[1700000000,"1"],[1700000015,"1"]]}]}}`,
}

// prometheus serves promAnswers under /prom, as a Prometheus behind a path
// prefix, so a client that drops the base path fails.
func prometheus(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/prom/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		body, ok := promAnswers[r.FormValue("query")]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			body = `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unexpected end of input"}`
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBusinessPrometheus(t *testing.T) {
	t.Parallel()
	srv := prometheus(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	r, err := httpcheck.NewResolver(nil, nil, "shop")
	if err != nil {
		t.Fatal(err)
	}
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name     string
		url      string
		query    config.PromQuery
		title    string // of the one failure; "" when the check passes
		describe string // a part of the description
	}{
		{"every sample within", srv.URL + "/prom", config.PromQuery{Name: "up", Query: "up", Min: f(1)}, "",
			`every sample at least 1; got up{instance="a", job="web"} = 1, up{instance="b", job="web"} = 1`},
		{"one sample above max", srv.URL + "/prom/", config.PromQuery{Name: "error-rate", Query: "errors", Max: f(0.05)},
			`error-rate: 1 of 2 samples not at most 0.05: {job="api"} = 0.2`, "got {job=\"web\"} = 0.01, {job=\"api\"} = 0.2"},
		{"scalar within", srv.URL + "/prom", config.PromQuery{Name: "ratio", Query: "scalar(1)", Min: f(0), Max: f(1)}, "", "got scalar = 0.5"},
		{"scalar below min", srv.URL + "/prom", config.PromQuery{Name: "ratio", Query: "scalar(1)", Min: f(0.9)},
			"ratio: 1 of 1 samples not at least 0.9: scalar = 0.5", "every sample at least 0.9"},
		{"empty result", srv.URL + "/prom", config.PromQuery{Name: "orders", Query: "orders", Min: f(1)}, "orders: query returned nothing", ""},
		{"NaN is never within", srv.URL + "/prom", config.PromQuery{Name: "nan", Query: "nan", Max: f(1)}, `nan: 1 of 1 samples not at most 1: {job="web"} = NaN`, ""},
		{"range vector", srv.URL + "/prom", config.PromQuery{Name: "range", Query: "up[5m]", Min: f(1)}, "range: query returned a range vector (matrix)", ""},
		{"error status", srv.URL + "/prom", config.PromQuery{Name: "bad", Query: "rate(", Min: f(0)}, `bad: query failed: bad_data: invalid parameter "query": 1:5: parse error: unexpected end of input`, ""},
		{"no Prometheus there", closed.URL, config.PromQuery{Name: "down", Query: "up", Min: f(1)}, "down: query failed: dial tcp 127.0.0.1:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := config.Business{Prometheus: config.Prometheus{Endpoint: config.Endpoint{URL: tt.url}, Queries: []config.PromQuery{tt.query}}}
			checks, err := Business(t.Context(), r, b, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(checks) != 1 || checks[0].Name != "business/prometheus/"+tt.query.Name || checks[0].Skipped != "" {
				t.Fatalf("checks = %+v; want one check business/prometheus/%s that ran", checks, tt.query.Name)
			}
			c := checks[0]
			var titles []string
			for _, f := range c.Findings {
				titles = append(titles, f.Title)
				if f.Level != result.Failure || f.Check != c.Name || !strings.Contains(f.Message, tt.query.Query) {
					t.Errorf("finding %+v: want a failure of %s whose message names the query", f, c.Name)
				}
			}
			switch {
			case tt.title == "" && len(titles) > 0:
				t.Errorf("findings %q; want none", titles)
			case tt.title != "" && (len(titles) != 1 || !strings.HasPrefix(titles[0], tt.title)):
				t.Errorf("finding titles %q; want one starting %q", titles, tt.title)
			}
			if !strings.Contains(c.Description, tt.describe) {
				t.Errorf("description %q does not contain %q", c.Description, tt.describe)
			}
		})
	}
}
