package ghemu

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// CheckRun is a check run as the emulator stores it.
type CheckRun struct {
	ID         int64
	Repo       string // owner/name
	Name       string
	HeadSHA    string
	Status     string // queued, in_progress or completed
	Conclusion string // empty until completed
	ExternalID string
	DetailsURL string
	// StartedAt and CompletedAt are zero when unset.
	StartedAt   time.Time
	CompletedAt time.Time
	Title       string
	Summary     string
	Text        string
	// Annotations accumulate across create and update calls, as on GitHub.
	Annotations []Annotation
	// Updates counts the successful checks/update calls on this run.
	Updates int
}

// Annotation is one check run annotation, spelled as GitHub's request body.
type Annotation struct {
	Path            string `json:"path"`
	StartLine       int    `json:"start_line"`
	EndLine         int    `json:"end_line"`
	StartColumn     int    `json:"start_column,omitempty"`
	EndColumn       int    `json:"end_column,omitempty"`
	AnnotationLevel string `json:"annotation_level"`
	Message         string `json:"message"`
	Title           string `json:"title,omitempty"`
	RawDetails      string `json:"raw_details,omitempty"`
}

// checkRunBody is the body of checks/create and checks/update; pointers
// tell absent fields from empty ones.
type checkRunBody struct {
	Name        *string    `json:"name"`
	HeadSHA     string     `json:"head_sha"`
	DetailsURL  *string    `json:"details_url"`
	ExternalID  *string    `json:"external_id"`
	Status      *string    `json:"status"`
	Conclusion  *string    `json:"conclusion"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Output      *struct {
		Title       *string      `json:"title"`
		Summary     *string      `json:"summary"`
		Text        *string      `json:"text"`
		Annotations []Annotation `json:"annotations"`
	} `json:"output"`
}

// checkRun is the stored run; suiteID groups runs of one head SHA.
type checkRun struct {
	CheckRun
	suiteID int64
}

// firstCheckRunID is above 2^32 like today's GitHub IDs, so a client that
// truncates IDs to 32 bits fails.
const firstCheckRunID int64 = 30000000001

// CheckRuns returns the check runs of a repository ("owner/name") in
// creation order.
func (s *Server) CheckRuns(repo string) []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CheckRun
	for _, cr := range s.checkRuns {
		if cr.Repo == repo {
			c := cr.CheckRun
			c.Annotations = slices.Clone(c.Annotations)
			out = append(out, c)
		}
	}
	return out
}

// Annotations returns every annotation sent for a check run, in order.
func (s *Server) Annotations(checkRunID int64) []Annotation {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cr := s.checkRunByID(checkRunID); cr != nil {
		return slices.Clone(cr.Annotations)
	}
	return nil
}

func (s *Server) checkRunByID(id int64) *checkRun {
	i := id - firstCheckRunID
	if i < 0 || i >= int64(len(s.checkRuns)) {
		return nil
	}
	return s.checkRuns[i]
}

// createCheckRun emulates checks/create.
func (s *Server) createCheckRun(ex *exchange) reply {
	r, ok := s.repoOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	var b checkRunBody
	if err := json.Unmarshal(ex.body, &b); err != nil {
		return invalidRequest(ex.docURL(), err.Error())
	}
	now := s.now()
	cr := &checkRun{CheckRun: CheckRun{
		ID: firstCheckRunID + int64(len(s.checkRuns)), Repo: r.fullName(),
		Name: *b.Name, HeadSHA: b.HeadSHA, Status: "queued", StartedAt: now,
	}}
	cr.suiteID = s.suiteID(r, b.HeadSHA, cr.ID)
	cr.apply(&b, now)
	s.checkRuns = append(s.checkRuns, cr)
	return jsonReply(http.StatusCreated, s.renderCheckRun(r, cr))
}

// updateCheckRun emulates checks/update.
func (s *Server) updateCheckRun(ex *exchange) reply {
	r, cr, ok := s.checkRunOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	var b checkRunBody
	if err := json.Unmarshal(ex.body, &b); err != nil {
		return invalidRequest(ex.docURL(), err.Error())
	}
	cr.apply(&b, s.now())
	cr.Updates++
	return jsonReply(http.StatusOK, s.renderCheckRun(r, cr))
}

// apply sets the fields present in a create or update body, the way GitHub
// does: a conclusion completes the run, annotations are appended.
func (cr *checkRun) apply(b *checkRunBody, now time.Time) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	if b.Name != nil && *b.Name != "" {
		cr.Name = *b.Name
	}
	set(&cr.DetailsURL, b.DetailsURL)
	set(&cr.ExternalID, b.ExternalID)
	set(&cr.Status, b.Status)
	set(&cr.Conclusion, b.Conclusion)
	if b.StartedAt != nil {
		cr.StartedAt = b.StartedAt.UTC().Truncate(time.Second)
	}
	if b.CompletedAt != nil {
		cr.CompletedAt = b.CompletedAt.UTC().Truncate(time.Second)
	}
	if cr.Conclusion != "" {
		cr.Status = "completed"
	}
	if cr.Status == "completed" && cr.CompletedAt.IsZero() {
		cr.CompletedAt = now
	}
	if o := b.Output; o != nil {
		set(&cr.Title, o.Title)
		set(&cr.Summary, o.Summary)
		set(&cr.Text, o.Text)
		cr.Annotations = append(cr.Annotations, o.Annotations...)
	}
}

// getCheckRun emulates checks/get.
func (s *Server) getCheckRun(ex *exchange) reply {
	r, cr, ok := s.checkRunOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	return jsonReply(http.StatusOK, s.renderCheckRun(r, cr))
}

// checkRunOf finds the run named by {owner}, {repo} and {check_run_id}.
func (s *Server) checkRunOf(ex *exchange) (*repo, *checkRun, bool) {
	r, ok := s.repoOf(ex)
	if !ok {
		return nil, nil, false
	}
	id, err := strconv.ParseInt(ex.params["check_run_id"], 10, 64)
	if err != nil {
		return nil, nil, false
	}
	cr := s.checkRunByID(id)
	if cr == nil || cr.Repo != r.fullName() {
		return nil, nil, false
	}
	return r, cr, true
}

// suiteID is the check suite of a head SHA: the first run's ID in the
// 9-billion range, shared by later runs on the same SHA.
func (s *Server) suiteID(r *repo, sha string, id int64) int64 {
	for _, cr := range s.checkRuns {
		if cr.Repo == r.fullName() && cr.HeadSHA == sha {
			return cr.suiteID
		}
	}
	return id - firstCheckRunID + 9000000001
}
