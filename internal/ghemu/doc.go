// Package ghemu is a GitHub REST API emulator for tests: an httptest server
// that checks every request against GitHub's official OpenAPI description
// (a subset of npm @octokit/openapi, see testdata/github/openapi), answers
// like GitHub from state it keeps, records calls and injects faults.
//
//	srv := ghemu.New(t)
//	srv.AddPull("octo-org/octo-repo", ghemu.Pull{Number: 7, HeadSHA: sha})
//	client := github.NewClient(nil).WithAuthToken(srv.Token())
//	client, _ = client.WithEnterpriseURLs(srv.URL(), srv.URL())
//	// ... exercise the code under test, then:
//	runs := srv.CheckRuns("octo-org/octo-repo")
//
// What a request goes through, in order:
//  1. It must be under BasePath (/api/v3), else 404 and a violation.
//  2. Authorization must be "Bearer TOKEN" or "token TOKEN", else 401.
//  3. It must match an operation of the description, else 404 and a
//     violation.
//  4. GitHub's rules the description does not state (50 annotations per
//     request, 65535-character output, conclusion when completed) answer
//     GitHub's real 422 and record a violation.
//  5. kin-openapi validates parameters and body; invalid answers 422 and
//     records a violation.
//  6. Fault rules (Fail) and a read-only token (WithReadOnlyToken) answer
//     before the emulation.
//  7. The emulated answer is validated too; an invalid one is an emulator
//     bug.
//
// What it emulates: check runs; pull requests (get, list, merge, the pull
// requests of a commit); issue comments on pull requests; deployments and
// their statuses, with GitHub's refusals (an unresolved ref, failed checks
// when required_contexts is left out) and auto_inactive. Tests read the
// state back with CheckRuns, PullRequest, Merges, Comments, Deployments and
// DeploymentStatuses. Workflow runs and their artifacts are seeded with
// AddWorkflowRun and AddArtifact and listed as GitHub lists them; a
// download redirects to the emulator's artifact storage (BlobPath), which
// serves the zip on a signed URL and refuses a request that carries the
// GitHub token. A FaultRule with AfterEmulation loses the answer of a
// write that happened, to test what a client's retry does.
//
// GraphQL (POST /api/graphql, GraphQLPath) is checked the same way: every
// document is parsed and validated, variables included, against GitHub's
// published schema (npm @octokit/graphql-schema, testdata/github/graphql)
// with gqlparser; an invalid one gets GitHub's {"errors": [...]} answer and
// a violation. Fields the emulator does not answer are emulator bugs.
//
// At cleanup the test fails for every violation not taken with
// TakeViolations and every emulator bug, so a client that sends what GitHub
// would reject cannot pass.
package ghemu
