# syntax=docker/dockerfile:1
# oom-exporter image: docker build -t oom-exporter .
# Run it as docker-compose.yml does (host PID namespace, host /proc and /sys, /dev/kmsg, CAP_SYSLOG);
# docs/deploy.md explains each of those.

# Pinned: the image is rebuilt from the same Node release until someone bumps it on purpose.
ARG NODE_IMAGE=node:20.20.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The "prepare" script compiles, but the sources are not here yet: install first, build below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
# Opening /dev/kmsg for reading needs CAP_SYSLOG when kernel.dmesg_restrict=1 (the default on Debian
# and Ubuntu). Docker and Kubernetes do not pass an added capability to a non-root user's process, so
# the capability is put on the node binary itself (it is the image's only program). Because the file
# capability is "effective", the kernel refuses to exec node unless SYSLOG is in the container's
# bounding set: run the image with --cap-add SYSLOG (compose and the DaemonSet do).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap cap_syslog=ep /usr/local/bin/node \
 && apt-get purge -y libcap2-bin \
 && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# Where --kernel-log.state-file lives; a volume mounted here inherits the ownership.
RUN mkdir -p /var/lib/oom-exporter && chown 65534:65534 /var/lib/oom-exporter
# nobody:nogroup. Numeric, so Kubernetes' runAsNonRoot can check it without a passwd lookup.
USER 65534:65534
EXPOSE 19857
# No V8 flags: the exporter sets its own at start (src/v8-settings.ts), however it is launched.
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["--web.listen-address=:19857"]
