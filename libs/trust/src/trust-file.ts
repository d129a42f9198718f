import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse as parseYaml } from 'yaml';
import { TrustDocument, TrustRegistry } from './trust-registry';
import trustSchema from '../../../contracts/trust-file.schema.json';

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile<TrustDocument>(trustSchema);

export class TrustFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(`trust file ${file} is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'TrustFileError';
  }
}

/** Validates a parsed trust document against contracts/trust-file.schema.json. */
export function validateTrustDocument(doc: unknown, label = 'document'): TrustDocument {
  if (!validate(doc)) {
    const problems = (validate.errors ?? [])
      .slice(0, 20)
      .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${unknownProperty(e.params)}`);
    throw new TrustFileError(label, problems);
  }
  return doc;
}

/** Names the property an additionalProperties error is about (Ajv keeps it in params only). */
function unknownProperty(params: Record<string, unknown>): string {
  return typeof params.additionalProperty === 'string' ? ` (${params.additionalProperty})` : '';
}

/** Reads BROKER_TRUST_FILE (JSON or YAML), validates it and imports its keys. */
export async function loadTrustFile(file: string): Promise<TrustRegistry> {
  const text = await readFile(file, 'utf8');
  let doc: unknown;
  try {
    doc = /\.ya?ml$/i.test(path.extname(file)) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new TrustFileError(file, [`not parseable: ${(e as Error).message}`]);
  }
  const valid = validateTrustDocument(doc, file);
  try {
    return await TrustRegistry.fromDocument(valid);
  } catch (e) {
    throw new TrustFileError(file, [(e as Error).message]);
  }
}
