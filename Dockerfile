# dockhand: a ChatOps bot for Amazon ECS.
#   docker build -t dockhand .
#   docker run --rm -it dockhand                                   # terminal + local sandbox, no AWS needed
#   docker run -d -p 3000:3000 -v dockhand-data:/data \
#     -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET -e AWS_REGION=eu-west-1 -e DOCKHAND_CLUSTERS=prod dockhand
# On ECS: deploy/cloudformation.yaml (README: "Run dockhand on ECS").

# An exact Node 20 release, so a rebuild next month runs the same runtime the tests ran on.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# Build: compile TypeScript to dist/ with every dependency, dev ones included.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 builds its native addon when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
# The build parses the quiz packs once, so the image's start reads them as JSON instead of parsing YAML.
COPY quizzes ./quizzes
RUN npm run build

# Production dependencies only, native modules built here where the compiler is.
FROM build AS prod-deps
RUN rm -rf node_modules && npm ci --omit=dev --no-audit --no-fund

# Run: no compiler, no TypeScript, no dev dependencies.
FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    DOCKHAND_DB=/data/dockhand.db \
    PORT=3000 \
    HEALTH_PORT=8080 \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY drizzle ./drizzle
COPY quizzes ./quizzes
# The font PNG charts are drawn with (slim images have none).
COPY assets ./assets
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000 8080
# The slim image has no curl: node itself asks dockhand's health endpoint.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HEALTH_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form with node itself (no npm, no shell in between), so SIGTERM from ECS or `docker stop` reaches dockhand.
# A 4 MiB young-generation semi-space (V8 picks up to 16 MiB from the heap limit) keeps an idle bot ~25 MB smaller
# at the price of more frequent, shorter scavenges, which a chat bot's small requests do not notice
# (Node.js CLI docs, --max-semi-space-size; `npm run bench` measures the bot started this way).
CMD ["node", "--max-semi-space-size=4", "dist/src/main.js"]
