FROM --platform=$BUILDPLATFORM golang:1.22 AS build
RUN --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=bind,from=deps,source=/go/pkg,target=/go/pkg \
    --mount="type=secret,id=token" go build ./...
COPY --from=build --chown=app:app /out/ /app/
COPY --link -- --not-a-flag /dest
ADD --checksum=sha256:abc "--x" /y
