/**
 * Fictional employers for the CCSS simulator. Names are invented so that no real company appears
 * to employ a synthetic person; the public bodies are named because every resident knows them.
 */
import { seededRandom } from '@broker/simulation';

export interface Employer {
  name: string;
  /** 11 digits `YYYYFFNNNNN`: year, legal-form code and sequence, the shape of a Luxembourg legal person's number. */
  number: string;
}

const LEGAL_FORM_CODES = ['22', '24', '44', '60'] as const;

/** A plausible, stable employer number for a name (and, for the self-employed, a start year). */
export function employerNumber(name: string, year?: number): string {
  const random = seededRandom('employer-number', name, year ?? '');
  // Registered 1920-1959: before nearly every synthetic career starts.
  const registered = year ?? 1920 + Math.floor(random() * 40);
  const form = LEGAL_FORM_CODES[Math.floor(random() * LEGAL_FORM_CODES.length)];
  const sequence = String(Math.floor(random() * 100_000)).padStart(5, '0');
  return `${registered}${form}${sequence}`;
}

const employer = (name: string): Employer => ({ name, number: employerNumber(name) });

export const EMPLOYERS: readonly Employer[] = [
  'État du Grand-Duché de Luxembourg',
  'Ville de Luxembourg',
  "Banque de l'Alzette S.A.",
  'Kirchberg Fund Services S.A.',
  'Moselle Logistique S.à r.l.',
  'Sûre Construction S.A.',
  'Éislek Transports S.à r.l.',
  'Minett Steel Components S.A.',
  'Pétrusse Consulting S.à r.l.',
  'Clinique du Grund S.A.',
  'Boulangerie Weber & Fils S.à r.l.',
  'Luxembourg Air Cargo Handling S.A.',
  'Hôtel des Trois Tours S.A.',
  'Réseau Télécom Luxembourg S.A.',
  'Supermarchés du Centre S.A.',
  'Gréngewald Menuiserie S.à r.l.',
  'Esch Software Factory S.à r.l.',
  'Our Valley Wines S.C.',
  'Fiduciaire Mersch S.à r.l.',
  'Nettoyage Express Lux S.à r.l.',
  'Assurances Mutuelles du Nord S.A.',
  'Dudelange Data Center S.A.',
  'Garage Moderne Ettelbruck S.à r.l.',
  'Lycée Technique Privé Émile Metz',
  'Centre Hospitalier du Sud',
  'Sécurité Gardiennage Lux S.A.',
  'Imprimerie Saint-Paul Nord S.A.',
  'Brasserie de la Vallée S.A.',
  'Cargo Rail Services S.A.',
  'Alzette Asset Management S.A.',
].map(employer);

/** Who pays a pension: the general scheme, or the State for its former civil servants. */
export const PENSION_FUNDS: readonly Employer[] = [
  "Caisse nationale d'assurance pension",
  'État du Grand-Duché de Luxembourg – pensions',
].map(employer);

/** Trades of the self-employed; the business is named after the person. */
export const TRADES: readonly string[] = [
  'Menuiserie',
  'Cabinet médical',
  'Étude',
  'Atelier',
  'Boulangerie',
  'Architecte',
  'Consultant',
  'Salon de coiffure',
  'Électricité',
  'Traduction',
];
