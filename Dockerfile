# syntax=docker/dockerfile:1
# kubemeter image: one binary for `server` (default) and `agent`.
#
#   docker build -t ghcr.io/kubemeter/kubemeter:0.1.0 .
#
# Build stage: install exactly the lockfile, compile TypeScript to dist/, then drop dev
# dependencies. Runtime stage: Node 24 on Debian slim, the compiled code and production
# dependencies only, running as nobody (65534) with no writable path of its own; the manifests
# add readOnlyRootFilesystem and mount an emptyDir at /tmp for --cert-dir.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the only install scripts are the `node` dev dependency's binary download
# (the image already has Node 24) and protobufjs's version notice; skipping them keeps the build
# reproducible and offline after the fetch.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc is run with the image's node directly: `npm run build` would put node_modules/.bin first on
# PATH, where the skipped `node` dev dependency leaves a dangling link.
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json \
 && (cd src && find . -type f ! -name '*.ts' ! -path '*/testdata/*' -exec cp --parents {} ../dist/ \;) \
 && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

FROM ${NODE_IMAGE}
# npm, npx and corepack are not needed at run time: removing them shrinks what an attacker could
# use inside the container.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
    /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn* /usr/local/bin/yarn /usr/local/bin/yarnpkg
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
USER 65534:65534
EXPOSE 10250
ENTRYPOINT ["node", "/app/dist/cmd/main.js"]
CMD ["server"]
