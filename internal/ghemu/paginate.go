package ghemu

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// pageOf reads per_page and page as GitHub does: 30 and 1 by default,
// per_page capped at 100. The OpenAPI validation has already checked types.
func pageOf(q url.Values) (perPage, page int) {
	perPage, page = 30, 1
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, 100)
	}
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	return perPage, page
}

// pageBounds is the slice [lo:hi] of total items on page.
func pageBounds(total, perPage, page int) (lo, hi int) {
	lo = min((page-1)*perPage, total)
	return lo, min(lo+perPage, total)
}

// linkHeader is GitHub's Link header for a paginated list (prev, next, last,
// first, as GitHub orders them), or nil when everything fits on one page.
// The URLs repeat the request's query with page replaced.
func (s *Server) linkHeader(ex *exchange, total, perPage, page int) http.Header {
	last := max((total+perPage-1)/perPage, 1)
	if last == 1 && page == 1 {
		return nil
	}
	link := func(p int, rel string) string {
		q := ex.req.URL.Query()
		q.Set("page", strconv.Itoa(p))
		return "<" + s.URL() + ex.path + "?" + q.Encode() + `>; rel="` + rel + `"`
	}
	var parts []string
	if page > 1 {
		parts = append(parts, link(min(page-1, last), "prev"))
	}
	if page < last {
		parts = append(parts, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		parts = append(parts, link(1, "first"))
	}
	h := http.Header{}
	h.Set("Link", strings.Join(parts, ", "))
	return h
}
