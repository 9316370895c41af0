// One structured logger for the worker and the CLI. Redaction is a second line of defence: secrets are
// never put into log objects in the first place, but if a config object slips in, its password is hidden.
import pino from 'pino';

export const logger = pino({
  level: process.env.PG_DTS_LOG_LEVEL ?? 'info',
  redact: {
    paths: ['password', '*.password', '*.*.password', 'config.password', 'connectionString', '*.connectionString'],
    censor: '***',
  },
  base: { service: 'pg-dts' },
});

export type Logger = typeof logger;
