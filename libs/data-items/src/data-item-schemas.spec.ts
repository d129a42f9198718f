import auditLineSchema from '../../../contracts/audit-export-line.schema.json';
import consentSchema from '../../../contracts/consent-token.schema.json';
import trustSchema from '../../../contracts/trust-file.schema.json';
import { DATA_ITEMS } from './data-items';

/**
 * The JSON Schemas are written by hand, but the broker validates trust files and consent tokens
 * with them at run time: an item missing there is refused at the door whatever the catalogue says.
 */
describe('data items in the JSON Schema contracts', () => {
  it.each([
    ['trust-file.schema.json (grants)', trustSchema.$defs.dataItem.enum],
    ['consent-token.schema.json (scope)', consentSchema.properties.scope.items.enum],
    ['audit-export-line.schema.json (items of an entry)', auditLineSchema.$defs.dataItem.enum],
  ])('%s lists every item of the catalogue, in its order', (_name, listed) => {
    expect(listed).toEqual(DATA_ITEMS);
  });

  it('lets one consent cover every item', () => {
    expect(consentSchema.properties.scope.maxItems).toBeGreaterThanOrEqual(DATA_ITEMS.length);
  });
});
