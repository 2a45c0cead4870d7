# syntax=docker/dockerfile:1
#
# The incident bot as a small static image that runs as non-root.
#
#   docker build -t incident-bot --build-arg VERSION=$(git describe --tags --always --dirty) .
#   docker run --rm -p 8080:8080 --env-file .env -v incident-bot-data:/app/data incident-bot
#
# deploy/packaging_test.go builds the binary with this file's go build line
# and checks it against the Makefile's build target; change them together.

# The build runs on the builder's own platform and cross-compiles: the bot is
# pure Go (CGO_ENABLED=0, SQLite included), so no emulation is needed.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
# The same command as `make build` (its LDFLAGS), plus the target platform.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/bot ./cmd/bot
# The data directory, owned by the nonroot user (65532) so that a fresh named
# volume mounted there is writable.
RUN mkdir -p /out/data

# distroless/static: CA certificates, /etc/passwd with nonroot, tzdata; no
# shell, no package manager. It has no shell or curl, so a Dockerfile
# HEALTHCHECK cannot run here: use the orchestrator's probes on /healthz
# (liveness) and /readyz (readiness) instead, as deploy/kubernetes does.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bot /bot
COPY --from=build --chown=65532:65532 /out/data /app/data
# The working directory holds data/ (the default DATABASE_URL is
# sqlite:data/bot.db) and an optional .env.
WORKDIR /app
# Numeric, so that Kubernetes' runAsNonRoot can verify it without runAsUser.
USER 65532:65532
# SQLite lives here; with DATABASE_URL=postgres://… the volume stays empty.
VOLUME ["/app/data"]
EXPOSE 8080
ENTRYPOINT ["/bot"]
CMD ["serve"]
