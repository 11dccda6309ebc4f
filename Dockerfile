# Portfolio as a container image: a build stage with the Rust toolchain and
# what HiGHS needs to compile (cmake, a C++ compiler, libclang for bindgen),
# then a small Debian runtime stage with the one binary, run as a user
# without privileges.
#
#   DOCKER_BUILDKIT=1 docker build -t portfolio .   # BuildKit (the default since Docker 23) for the cache mounts
#   docker run -p 8080:8080 -v portfolio-data:/var/lib/portfolio portfolio
#
# Configure it with PORTFOLIO_* environment variables (README.md,
# "Configuration"); for PostgreSQL pass PORTFOLIO_DATABASE_URL.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake clang libclang-dev g++ make pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The registry and target caches survive between builds (BuildKit); the
# binary is copied out of the cache mount before the stage ends.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin portfolio \
 && install -D -m 0755 target/release/portfolio /out/portfolio \
 && strip /out/portfolio

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: TLS to SMTP servers, identity providers and PostgreSQL;
# curl: the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 portfolio \
 && useradd --system --uid 10001 --gid portfolio --home-dir /var/lib/portfolio --shell /usr/sbin/nologin portfolio \
 && install -d -o portfolio -g portfolio -m 0750 /var/lib/portfolio
COPY --from=build /out/portfolio /usr/local/bin/portfolio
USER portfolio:portfolio
WORKDIR /var/lib/portfolio
ENV PORTFOLIO_DATA_DIR=/var/lib/portfolio \
    PORTFOLIO_LISTEN=0.0.0.0:8080 \
    PORTFOLIO_LOG_FORMAT=json
VOLUME ["/var/lib/portfolio"]
EXPOSE 8080
# Liveness only: /ready (the database and its migrations) is for the load
# balancer, which should stop sending traffic rather than restart the container.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD curl --fail --silent --output /dev/null http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["/usr/local/bin/portfolio", "serve"]
