import { type Logger, pino } from 'pino';

/**
 * The process logger: JSON lines on stderr (stdout carries only the ready line), with secrets
 * redacted by path as a second line of defence — code never logs them in the first place.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { svc: 'linli-edge' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'secret',
          '*.secret',
          'req.headers.authorization',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
