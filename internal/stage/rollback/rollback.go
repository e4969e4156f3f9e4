// Package rollback is the rollback stage: production back to the last
// good revision of the history the promote stage keeps in the cluster (or
// to-revision), traffic first, then verified as an automatic rollback is
// — the restored revision's pods ready, the Services' endpoints its pods
// only, sampled traffic answered by it, the checks green (skipped with
// fast-track). It shares the promote stage's machinery: the Lease, the
// history, the switch and the verification.
package rollback

import "github.com/shipgate/shipgate/internal/stage/promote"

// Stage is the rollback stage.
type Stage = promote.RollbackStage
