import { isCalendarDate, isRegisterText, MAX_LIST_LENGTH } from '../register-values';
import { BUSINESS_ROLES, type BusinessRole, type BusinessRoleName } from './business-role';

const RCS_NUMBER = /^B[0-9]{1,6}$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads an RCS `PersonRoles` answer for `matricule`: the roles (possibly none), or the name of what
 * is wrong (`not-an-object`, `matricule`, `roles`, `role.<field>`), never a value. Properties
 * outside the contract are dropped, not disclosed.
 */
export function readRcsAnswer(body: unknown, matricule: string): BusinessRole[] | { where: string } {
  if (!isObject(body)) return { where: 'not-an-object' };
  // Another person's roles, however well formed, must never be disclosed as this one's.
  if (body.matricule !== matricule) return { where: 'matricule' };
  const { roles } = body;
  if (!Array.isArray(roles) || roles.length > MAX_LIST_LENGTH) return { where: 'roles' };
  const read: BusinessRole[] = [];
  for (const r of roles) {
    if (!isObject(r)) return { where: 'roles' };
    if (typeof r.rcsNumber !== 'string' || !RCS_NUMBER.test(r.rcsNumber)) return { where: 'role.rcsNumber' };
    if (!isRegisterText(r.companyName)) return { where: 'role.companyName' };
    if (!(BUSINESS_ROLES as readonly unknown[]).includes(r.role)) return { where: 'role.role' };
    if (!isCalendarDate(r.since)) return { where: 'role.since' };
    read.push({
      rcsNumber: r.rcsNumber,
      companyName: r.companyName,
      role: r.role as BusinessRoleName,
      since: r.since,
    });
  }
  return read;
}
