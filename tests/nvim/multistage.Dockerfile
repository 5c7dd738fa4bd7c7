FROM golang:1.22 AS build
COPY go.mod ./
RUN go build -o /out/app ./...

FROM alpine AS docs
RUN echo docs

FROM build AS test
RUN go test ./...

FROM alpine
RUN --mount=type=bind,from=build,target=/src ls /src
COPY --from=build /out/app /app
