/**
 * The processes' application log: pino, as JSON lines on stdout (LOG_FORMAT=json, the
 * production default) or through pino-pretty for people (LOG_FORMAT=pretty, the development
 * default), with every record masked by log-redaction before it is written.
 */
import type { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, type PinoLogger } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger as Pino, type LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';
import { redactFields, redactText } from './log-redaction';

export type LogFormat = 'json' | 'pretty';
/** Nest's level names, as LOG_LEVEL takes them (libs/config). */
export type LogLevelName = 'error' | 'warn' | 'log' | 'debug';

/** What a process's log needs from its configuration (BrokerConfig has both). */
export interface LogSettings {
  logFormat: LogFormat;
  logLevel: LogLevelName;
}

const PINO_LEVEL: Record<LogLevelName, pino.Level> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
};

/**
 * pino's options for a broker process: level, ISO timestamps (no 13-digit epoch milliseconds
 * that would look like a matricule), and the masking of messages and fields. Also given to
 * the Fastify loggers of the simulators and the witness.
 */
export function brokerPinoOptions(level: pino.LevelWithSilent, name?: string): LoggerOptions {
  return {
    level,
    ...(name ? { name } : {}),
    timestamp: pino.stdTimeFunctions.isoTime,
    // the message and printf arguments: formatters.log below sees the merged fields only
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a: unknown) => (typeof a === 'string' ? redactText(a) : a));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
    formatters: {
      log: (fields) => redactFields(fields) as Record<string, unknown>,
    },
  };
}

/** pino-pretty in the process itself (not a worker thread), so that no line is lost at exit. */
function prettyStream(to?: DestinationStream): DestinationStream {
  return pinoPretty({
    ...(to ? { destination: to } : {}),
    colorize: !to && Boolean(process.stdout.isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
    sync: true,
  });
}

/** A pino logger writing to stdout in the chosen format (`to`: another stream, for tests). */
export function createPino(settings: LogSettings, name?: string, to?: DestinationStream): Pino {
  const json = to ?? pino.destination({ dest: 1, sync: true });
  const destination = settings.logFormat === 'pretty' ? prettyStream(to) : json;
  return pino(brokerPinoOptions(PINO_LEVEL[settings.logLevel], name), destination);
}

/**
 * The Nest LoggerService of a broker process (`NestFactory.create(..., { logger })`): existing
 * `new Logger(context).log(...)` calls come out as pino records with `context`.
 */
export function createLogger(settings: LogSettings, name?: string, to?: DestinationStream): LoggerService {
  // nestjs-pino's adapter maps Nest's calls (context last, the exception handlers' stack
  // argument) onto a pino logger. It is handed our pino instance directly rather than through
  // LoggerModule: no pino-http middleware (which would log every request's headers), and no
  // process-wide root logger (tests start several gateways in one process).
  return new NestPinoLogger(createPino(settings, name, to) as unknown as PinoLogger, {});
}

/**
 * The Fastify `logger` option of the processes that are plain Fastify servers (the witness, the
 * register simulators): the same masking and timestamps, JSON lines or pino-pretty.
 */
export function fastifyLoggerOptions(format: LogFormat, level: string, name?: string): LoggerOptions {
  return {
    ...brokerPinoOptions(level as pino.LevelWithSilent, name),
    ...(format === 'pretty'
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  };
}

/** The part of a pino logger (Fastify's included) that announce uses. */
export interface AnnouncingLogger {
  child(bindings: object, options: { level: string }): { info(msg: string): void };
}

/**
 * A process's start-up line (where it listens): printed as is for people (LOG_FORMAT=pretty), an
 * info record otherwise, written whatever the logger's level so that JSON output stays one
 * object per line and still says where the process listens.
 */
export function announce(logger: AnnouncingLogger, format: LogFormat, text: string): void {
  if (format === 'pretty') process.stdout.write(`${text}\n`);
  else logger.child({}, { level: 'info' }).info(text);
}
