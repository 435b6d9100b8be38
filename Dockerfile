# ndxp-gateway: production image on Node 24 LTS.
#   docker build -t ndxp-gateway .
#   docker compose up -d                      (gateway + PostgreSQL + Redis: see compose.yaml)
#   docker run -p 8443:8443 -p 127.0.0.1:9443:9443 -v ndxp-data:/var/lib/ndxp ndxp-gateway
#     (one node on its own: embedded mode, no Redis; add -e REDIS_URL=… -e DATABASE_URL=… for several)
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 ships prebuilt binaries for Node 24; the toolchain is the fallback.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 msgpackr-extract
# Only what runs: tests and benchmarks are neither copied nor compiled (tsconfig.build.json).
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY bin ./bin
COPY config ./config
COPY core ./core
COPY certs ./certs
COPY adapters ./adapters
COPY gateway ./gateway
COPY central-sim ./central-sim
COPY console ./console
# The service and the console only: no compiled tests or benchmarks in the image.
RUN npx tsc -p tsconfig.build.json && node scripts/copy-assets.mjs && npm run build:console && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    NDXP_DATA_DIR=/var/lib/ndxp \
    NDXP_LISTEN=0.0.0.0:8443 \
    NDXP_ADMIN_LISTEN=0.0.0.0:9443
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/core ./dist/core
COPY --from=build /app/dist/config ./dist/config
COPY --from=build /app/dist/certs ./dist/certs
COPY --from=build /app/dist/adapters ./dist/adapters
COPY --from=build /app/dist/gateway ./dist/gateway
COPY --from=build /app/dist/central-sim ./dist/central-sim
COPY --from=build /app/dist/console ./dist/console
COPY --from=build /app/bin ./bin
# A non-root user owns only the data directory.
RUN groupadd --system ndxp && useradd --system --gid ndxp --home-dir /var/lib/ndxp ndxp \
    && mkdir -p /var/lib/ndxp && chown ndxp:ndxp /var/lib/ndxp
USER ndxp
VOLUME ["/var/lib/ndxp"]
EXPOSE 8443 9443
# One HTTPS GET of the admin plane's /healthz (bin/healthz.cjs), not the whole CLI.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "bin/healthz.cjs"]
ENTRYPOINT ["node", "bin/ndxp.js"]
CMD ["start"]
