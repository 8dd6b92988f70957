# The bridge as a container image: built with the full toolchain, run with production
# dependencies only, as an unprivileged user, with everything it keeps in the /data volume.
# docker/entrypoint.sh writes the config and the registration on the first starts (see
# docs/setup.md, "Docker").
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /build
# Dependencies first, so a source change reuses this layer. .npmrc turns install scripts off:
# the native modules ship prebuilt binaries.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY scripts ./scripts
COPY src ./src
COPY test ./test
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# At most two malloc arenas: glibc otherwise gives each thread that allocates (libsignal's, the
# libuv pool's) one of its own, which a bridge at rest keeps resident (about 8 MiB with one linked
# user; docs/development.md, "Memory at rest").
ENV MALLOC_ARENA_MAX=2
# Voice messages are converted (Ogg/Opus -> AAC) and measured, and images and videos Signal's
# apps do not show are converted, with Debian's ffmpeg (media.ffmpeg_path).
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/signal-matrix-bridge
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist/src ./dist/src
COPY docker/entrypoint.sh ./docker/entrypoint.sh
RUN ln -s /opt/signal-matrix-bridge/dist/src/cli.js /usr/local/bin/signal-matrix-bridge \
  && chmod +x dist/src/cli.js docker/entrypoint.sh \
  && mkdir /data && chown node:node /data
# The node user of the base image (uid 1000): the bridge needs no privileges.
USER node
VOLUME /data
# The appservice listener (the homeserver pushes events here; /_matrix/mau/live and /ready)
# and, when metrics.enabled is set, the metrics listener.
EXPOSE 29328 8001
ENTRYPOINT ["/opt/signal-matrix-bridge/docker/entrypoint.sh"]
