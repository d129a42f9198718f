export {
  birthDateOfMatricule,
  checkMatricule,
  isValidMatricule,
  luhnDigit,
  makeMatricule,
  verhoeffDigit,
} from './matricule';
export type { MatriculeCheck, MatriculeProblem } from './matricule';
