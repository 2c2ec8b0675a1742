# dockhand: a ChatOps bot for Amazon ECS.
#   docker build -t dockhand .
#   docker run --rm -it dockhand                                   # terminal + local sandbox, no AWS needed
#   docker run -d -p 3000:3000 -v dockhand-data:/data \
#     -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET -e AWS_REGION=eu-west-1 -e DOCKHAND_CLUSTERS=prod dockhand

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 builds its native addon when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    DOCKHAND_DB=/data/dockhand.db \
    PORT=3000 \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json drizzle.config.ts ./
COPY src ./src
COPY commands ./commands
COPY quizzes ./quizzes
COPY drizzle ./drizzle
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Run node directly (not through npm) so SIGTERM from `docker stop` reaches dockhand and it shuts down cleanly.
CMD ["node", "--import", "tsx", "src/main.ts"]
