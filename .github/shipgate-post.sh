#!/bin/sh
# The action's post-entrypoint (see action.yml): the runner runs it after the
# job's other steps, also when the job failed or was cancelled. The image
# holds it at the same path as the repository does.
exec /usr/local/bin/shipgate post
