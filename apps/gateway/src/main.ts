import { modeOf } from '@broker/config';
import { startGateway } from './bootstrap';

startGateway().catch((e: unknown) => {
  // the mode it was starting in: a refusal says whether production rules applied
  process.stderr.write(
    `gateway failed to start (${modeOf() ?? 'unknown'} mode): ${e instanceof Error ? e.message : String(e)}\n`,
  );
  process.exit(1);
});
