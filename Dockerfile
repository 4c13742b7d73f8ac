# syntax=docker/dockerfile:1
# Build stage: compile the release binary.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p ccemu-server \
 && cp target/release/ccemu /ccemu

# Runtime stage: the binary and CA certificates only.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/ccemu --create-home ccemu
COPY --from=build /ccemu /usr/local/bin/ccemu
USER ccemu
WORKDIR /var/lib/ccemu
ENV CCEMU_DATA_DIR=/var/lib/ccemu/data
# Inside a container, loopback is the container's own: listen on every interface of it. Set
# CCEMU_ADMIN_TOKEN when the port is published beyond this machine.
ENV CCEMU_BIND=0.0.0.0
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=2s --retries=10 \
  CMD curl -fsS http://127.0.0.1:8080/_ccemu/health || exit 1
ENTRYPOINT ["ccemu"]
CMD ["serve"]
