# syntax=docker/dockerfile:1
# Builds the gateway as a static binary and runs it as a non-root user on
# a distroless base. Build: docker build -t ssegw .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/gateway ./cmd/gateway

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gateway /gateway
USER nonroot:nonroot
EXPOSE 8080 9090
ENTRYPOINT ["/gateway"]
CMD ["--listen", ":8080", "--admin-listen", ":9090", "--log-format", "json"]
