# Image for the api, worker and migrate services of docker-compose.yml.
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Prebuilt workflow bundle: workers start fast and run exactly the code that was built.
RUN node node_modules/tsx/dist/cli.mjs worker/bundle.ts dist/workflow-bundle.js
USER node
