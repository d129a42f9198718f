import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { request } from 'undici';
import type { JWK } from 'jose';
import { MAX_LINE_BYTES, formatReport, verifyExport } from '@broker/audit';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import type { TlogProofPolicy } from '@broker/transparency';
import { runAuditExport, type ExportOptions } from './audit-export-run';
import { AuditReportsCommand } from './audit-reports.command';
import {
  UsageError,
  collect,
  logVerifierArgument,
  parseOrUsage,
  quorumArgument,
  witnessVerifierArguments,
} from './tlog-arguments';

function fail(message: string, code = 2): void {
  process.stderr.write(`${message}\n`);
  process.exitCode = code;
}

@SubCommand({
  name: 'export',
  description: 'Export access-log entries as an auditor: writes FILE, FILE.manifest.jws and FILE.jwks.json',
})
export class AuditExportCommand extends CommandRunner {
  run(_: string[], o: ExportOptions): Promise<void> {
    return runAuditExport(o);
  }

  @Option({ flags: '--url <url>', description: 'gateway base URL, e.g. http://127.0.0.1:4000' })
  parseUrl(v: string): string {
    return v;
  }
  @Option({ flags: '--token <jwt>', description: 'auditor token (staff issuer, role auditor)' })
  parseToken(v: string): string {
    return v;
  }
  @Option({ flags: '--from <iso>', description: 'entries at or after this instant' })
  parseFrom(v: string): string {
    return v;
  }
  @Option({ flags: '--to <iso>', description: 'entries before this instant' })
  parseTo(v: string): string {
    return v;
  }
  @Option({ flags: '--member-id <id>', description: 'only this member' })
  parseMemberId(v: string): string {
    return v;
  }
  @Option({ flags: '--purpose <code>', description: 'only this purpose' })
  parsePurpose(v: string): string {
    return v;
  }
  @Option({ flags: '--subject <matricule>', description: 'only this citizen' })
  parseSubject(v: string): string {
    return v;
  }
  @Option({ flags: '--outcome <outcome>', description: 'DISCLOSED or REFUSED' })
  parseOutcome(v: string): string {
    return v;
  }
  @Option({ flags: '--format <format>', description: 'ndjson (default) or csv' })
  parseFormat(v: string): string {
    return v;
  }
  @Option({ flags: '--out <file>', description: 'where to write the export' })
  parseOut(v: string): string {
    return v;
  }
}

/** Longest manifest file read (the verifier refuses a longer JWS anyway). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const VERIFY_USAGE =
  'usage: audit verify FILE [--jwks URL|FILE] [--log-vkey VKEY --witness-vkey VKEY [--witness-vkey VKEY ...] [--quorum N]] [--threads N]';

interface AuditVerifyOptions {
  jwks?: string;
  logVkey?: string;
  witnessVkey?: string[];
  quorum?: string;
  threads?: string;
}

/** `--threads`: worker threads for a large NDJSON export (default: one per core; 1: none). */
export function threadsArgument(argument: string | undefined): number | undefined {
  if (argument === undefined) return undefined;
  if (!/^[1-9][0-9]{0,2}$/.test(argument)) {
    throw new UsageError(`--threads must be an integer from 1 to 999, got "${argument}"`);
  }
  return Number(argument);
}

/**
 * The transparency-log policy of `audit verify` (parsed as for `proof verify`): none without
 * `--log-vkey`; witnesses and quorum need it. The quorum defaults to every witness given.
 */
export function auditTlogPolicy(o: AuditVerifyOptions): TlogProofPolicy | undefined {
  if (!o.logVkey) {
    if (o.witnessVkey?.length || o.quorum !== undefined)
      throw new UsageError('--witness-vkey and --quorum need --log-vkey');
    return undefined;
  }
  const log = logVerifierArgument(o.logVkey);
  const witnesses = witnessVerifierArguments(o.witnessVkey ?? []);
  return { log, witnesses, quorum: quorumArgument(o.quorum, witnesses) };
}

/** Reads a small file whole, after checking its size, so that a huge or endless one is never loaded. */
async function readSmallFile(file: string, limit: number): Promise<string> {
  const st = await stat(file);
  if (!st.isFile()) throw new Error('not a regular file');
  if (st.size > limit) throw new Error(`longer than ${limit} bytes (the verifier's limit)`);
  return readFile(file, 'utf8');
}

async function loadJwks(source: string): Promise<{ keys: JWK[] }> {
  if (/^https?:\/\//.test(source)) {
    const res = await request(source);
    if (res.statusCode !== 200) throw new Error(`JWKS ${source}: HTTP ${res.statusCode}`);
    return (await res.body.json()) as { keys: JWK[] };
  }
  return JSON.parse(await readSmallFile(source, MAX_LINE_BYTES)) as { keys: JWK[] };
}

@SubCommand({
  name: 'verify',
  description:
    'Verify an export against its manifest (FILE.manifest.jws) and the broker keys; exit 1 on any problem',
})
export class AuditVerifyCommand extends CommandRunner {
  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {
    super();
  }

  async run([file]: string[], o: AuditVerifyOptions): Promise<void> {
    if (!file) return fail(VERIFY_USAGE);
    const parsed = parseOrUsage(
      () => ({ policy: auditTlogPolicy(o), threads: threadsArgument(o.threads) }),
      VERIFY_USAGE,
    );
    if (!parsed) return;
    let manifestJws: string;
    try {
      manifestJws = (await readSmallFile(`${file}.manifest.jws`, MAX_MANIFEST_BYTES)).trim();
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no manifest' : (e as Error).message;
      return fail(`FAILED: ${file}.manifest.jws: ${why}`, 1);
    }
    // keys: --jwks if given; else the copy saved at export time; else the configured broker's JWKS
    const saved = `${file}.jwks.json`;
    const source =
      o.jwks ??
      (existsSync(saved)
        ? saved
        : `http://${this.config.gatewayHost}:${this.config.gatewayPort}/.well-known/jwks.json`);
    if (!o.jwks) {
      process.stderr.write(
        `note: broker keys from ${source}; for independent assurance pass --jwks with keys obtained another way\n`,
      );
    }
    let jwks: { keys: JWK[] };
    try {
      jwks = await loadJwks(source);
    } catch (e) {
      return fail(`FAILED: cannot read the broker keys from ${source}: ${(e as Error).message}`, 1);
    }
    const report = await verifyExport({
      file,
      manifestJws,
      jwks,
      tlog: parsed.policy,
      threads: parsed.threads,
    });
    process.stdout.write(`${formatReport(report)}\n`);
    if (!report.ok) process.exitCode = 1;
  }

  @Option({
    flags: '--jwks <urlOrFile>',
    description:
      "the broker's public keys (URL or file; default FILE.jwks.json, else the configured gateway's /.well-known/jwks.json)",
  })
  parseJwks(v: string): string {
    return v;
  }

  @Option({
    flags: '--log-vkey <vkey>',
    description:
      "the transparency log's verifier key (GET /log/vkey), or a file holding it: the manifest's checkpoint must be signed with it",
  })
  parseLogVkey(v: string): string {
    return v;
  }

  @Option({
    flags: '--witness-vkey <vkey>',
    description:
      "a trusted witness's verifier key (type 0x04), or a file holding it; repeat for each witness",
  })
  parseWitnessVkey(v: string, previous?: string[]): string[] {
    return collect(v, previous);
  }

  @Option({
    flags: '--quorum <n>',
    description: 'how many of the given witnesses must have cosigned the checkpoint (default: all of them)',
  })
  parseQuorum(v: string): string {
    return v;
  }

  @Option({
    flags: '--threads <n>',
    description:
      'worker threads for an NDJSON export of 32 MiB or more (default: one per core; 1: verify on the main thread only)',
  })
  parseThreads(v: string): string {
    return v;
  }
}

@Command({
  name: 'audit',
  description: "Export the access log as an auditor, verify exports offline, list citizens' flags",
  subCommands: [AuditExportCommand, AuditVerifyCommand, AuditReportsCommand],
})
export class AuditCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
