import { startGateway } from './bootstrap';

startGateway().catch((e: unknown) => {
  process.stderr.write(`gateway failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
