# The pg-dts worker and CLI. Runs the TypeScript sources through tsx, like a git checkout does.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY tsconfig.json ./
USER node
# bin/pg-dts.js itself, not "node bin/pg-dts.js": its shebang carries the worker's Node flags.
ENTRYPOINT ["/app/bin/pg-dts.js"]
CMD ["worker"]
