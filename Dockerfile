# Build stage: full install (swc is a dev dependency), transpile to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/build.js

# Runtime stage: production dependencies and dist/ only, as an unprivileged user.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production BROKER_MODE=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY contracts ./contracts
# the citizen page (static files served by the gateway at /me)
COPY apps/citizen-web/public ./apps/citizen-web/public
# named volumes take the ownership of the directory they are mounted on: the unprivileged user
# writes export files (gateways and workers share them) and the witness's state there
RUN mkdir -p /data/exports /data/witness && chown -R node:node /data
USER node
