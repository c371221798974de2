# auth-service in a container: production mode, SQLite in the /data volume.
#
#   docker build -t auth-service .
#   docker run -d --name auth -p 5000:5000 -v auth-data:/data \
#     --env-file auth-service.env --stop-timeout 15 auth-service
#
# auth-service.env holds what production requires (SMTP_URL, MAIL_FROM, PUBLIC_URL,
# SECRET_KEY) and any other setting of docs/CONFIGURATION.md. For
# PostgreSQL, set DATABASE_URL=postgres://... there; /data then stays empty.
# test/deployment-recipe.test.ts runs these steps outside a container.

# --- build: TypeScript (a devDependency) compiles src/ to dist/ -------------
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: "prepare" would build before src/ is here; the build is the next step.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies and dist/, nothing else ----------------
FROM node:24-slim
ENV NODE_ENV=production \
    DATABASE_URL=sqlite:/data/auth.db \
    PORT=5000
WORKDIR /app
COPY package.json package-lock.json ./
# No compiler needed: better-sqlite3 13 and @node-rs/bcrypt and argon2 ship
# prebuilt binaries for linux-x64 and linux-arm64 (glibc), so no install
# script has to run.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The code stays root's and read-only to the service; only /data is writable.
RUN mkdir /data && chown node:node /data
VOLUME /data
USER node
# Production listens on 0.0.0.0 by default (no HOST needed).
EXPOSE 5000
# Slim images have no curl: node's fetch asks /health (liveness) on $PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 5000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1 and gets docker stop's SIGTERM (never through npm,
# which would not pass it on): it drains and exits 0 within its 10 s grace,
# so give docker stop a little more (--stop-timeout 15) than its 10 s default.
CMD ["node", "dist/cli.js", "serve"]
