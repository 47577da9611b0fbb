# Image for the api, worker and migrate services of docker-compose.yml.
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The production build (scripts/build.ts): the TypeScript compiled to dist/ (the processes run `node dist/…`, no loader at
# run time: faster start, less memory, bench/README.md) and the prebuilt workflow bundle, so workers start fast and run
# exactly the code that was built.
RUN npm run build
USER node
