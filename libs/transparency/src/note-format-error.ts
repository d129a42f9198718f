/** A note, checkpoint, vkey or proof that does not follow its format; the message is a one-line reason. */
export class NoteFormatError extends Error {
  override readonly name = 'NoteFormatError';
}
