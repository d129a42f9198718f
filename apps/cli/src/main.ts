import { leanExportOptions, runAuditExport } from './audit-export-run';

const argv = process.argv.slice(2);
const lean = argv[0] === 'audit' && argv[1] === 'export' ? leanExportOptions(argv.slice(2)) : undefined;

if (lean) {
  // `audit export` streams a large answer to disk: run it without loading the CLI's modules
  runAuditExport(lean).catch((e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  });
} else {
  void runCli();
}

async function runCli(): Promise<void> {
  await import('reflect-metadata');
  const { CommandFactory } = await import('nest-commander');
  const { CliModule } = await import('./cli.module');
  await CommandFactory.run(CliModule, {
    logger: ['error'],
    errorHandler: (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    },
    serviceErrorHandler: (err) => {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(2);
    },
  }).catch((e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  });
}
