import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';

CommandFactory.run(CliModule, {
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
