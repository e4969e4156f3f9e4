package ghemu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// BlobPath is where the emulator's artifact storage serves archives, apart
// from the API as GitHub's is: actions/download-artifact redirects there
// with a signed URL valid for a minute, which takes no Authorization
// header (a client that sends its GitHub token along is leaking it to
// another service: the request is refused and recorded as a violation).
const BlobPath = "/_blob/artifacts/"

// blobTTL is how long a download URL is valid, GitHub's one minute.
const blobTTL = time.Minute

// blobURL is a signed URL of an artifact's archive.
func (s *Server) blobURL(id int64) string {
	exp := strconv.FormatInt(s.now().Add(blobTTL).Unix(), 10)
	return s.http.URL + BlobPath + strconv.FormatInt(id, 10) + ".zip?se=" + exp + "&sig=" + s.blobSig(id, exp)
}

func (s *Server) blobSig(id int64, exp string) string {
	mac := hmac.New(sha256.New, []byte(s.cfg.token))
	mac.Write([]byte(strconv.FormatInt(id, 10) + "\n" + exp))
	return hex.EncodeToString(mac.Sum(nil))
}

// serveBlob answers a download from the artifact storage: the archive for
// a valid, unexpired signature; 403 otherwise; 400 for a request that
// carries an Authorization header.
func (s *Server) serveBlob(w http.ResponseWriter, ex *exchange) {
	r := ex.req
	status, body := http.StatusOK, []byte(nil)
	q := r.URL.Query()
	idText, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, BlobPath), ".zip")
	id, err := strconv.ParseInt(idText, 10, 64)
	exp, expErr := strconv.ParseInt(q.Get("se"), 10, 64)
	s.mu.Lock()
	var a *Artifact
	if ok && err == nil {
		a = s.artifactByID(id)
	}
	switch {
	case r.Header.Get("Authorization") != "":
		status = http.StatusBadRequest
		s.violations = append(s.violations, Violation{Method: r.Method, Path: r.URL.Path,
			Reason: "the client sent an Authorization header to the artifact storage: its GitHub token goes only to the API"})
	case r.Method != http.MethodGet:
		status = http.StatusMethodNotAllowed
	case a == nil || expErr != nil || !hmac.Equal([]byte(q.Get("sig")), []byte(s.blobSig(id, q.Get("se")))):
		status = http.StatusForbidden
	case s.now().Unix() > exp:
		status = http.StatusForbidden
	default:
		body = a.Zip
	}
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Operation: "artifact-storage", Status: status})
	s.callTokens = append(s.callTokens, "")
	s.mu.Unlock()
	if status != http.StatusOK {
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}
