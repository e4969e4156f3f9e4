# syntax=docker/dockerfile:1
# Build: a static binary, no cgo.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=v0.1.0-dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/shipgate/shipgate/internal/app.Version=${VERSION}" -o /out/shipgate .

# The binary alone (docker buildx build --target binary --output
# type=local,dest=DIR): the release's assets are the bytes the image holds.
FROM scratch AS binary
COPY --from=build /out/shipgate /shipgate

# Run: a small image with the tools the stages call: git ≥ 2.38 for
# merge-tree --write-tree, and the docker CLI, with which the sandbox joins
# kind's network (the runner mounts its docker socket into container
# actions).
FROM alpine:3.22
RUN apk add --no-cache git ca-certificates docker-cli \
 && git config --system --add safe.directory '*'
COPY --chmod=0755 .github/shipgate-post.sh /.github/shipgate-post.sh
COPY --from=build /out/shipgate /usr/local/bin/shipgate
ENTRYPOINT ["/usr/local/bin/shipgate"]
