# The flink-operator image: a release build of crates/flink-operator on a distroless base,
# running as the non-root user 65532. Kept correct by reading: no image can be built on the
# project's own machines (no container runtime there); see docs/operations.md.
#
#   docker build -t ghcr.io/flink-operator-rs/flink-operator:0.1.0 .

# ---- build ----------------------------------------------------------------------------
# The workspace's rust-version is 1.89 (edition 2024); the tree is tested with 1.95.
FROM docker.io/library/rust:1.95-slim-bookworm AS builder
WORKDIR /src
# The whole workspace: cargo needs every member's manifest (crates/*, xtask) to resolve it.
# .dockerignore keeps target/, .git/, the Go modules and the docs out of the context.
COPY . .
# --locked: exactly the versions in Cargo.lock. Cache mounts keep the registry and target
# between builds without putting them in a layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p flink-operator --bin flink-operator \
 && install -D -m 0755 target/release/flink-operator /out/flink-operator

# ---- run ------------------------------------------------------------------------------
# distroless/cc: glibc and libgcc for the Rust binary (rustls: no OpenSSL), no shell, no
# package manager. The :nonroot tag runs as 65532:65532, which the chart's
# podSecurityContext also sets.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /out/flink-operator /flink-operator
USER 65532:65532
# 8080: /metrics, /healthz, /readyz (--metrics-addr); 9443: the optional webhook.
EXPOSE 8080 9443
ENTRYPOINT ["/flink-operator"]
