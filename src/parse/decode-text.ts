/**
 * Bytes of an input file → text. Workflows and site catalogs are UTF-8: a file that is not (UTF-16 from an
 * editor, a binary file, a stray Latin-1 byte) is refused with the position of the first bad byte, instead
 * of being read with U+FFFD replacement characters that would then end up in names and generated files.
 */
import { isUtf8 } from 'node:buffer';
import type { Diagnostic } from '../model/diagnostic.js';

function at(file: string, text: string, message: string): Diagnostic {
  const lines = text.split('\n');
  const line = lines.length;
  const column = (lines[line - 1] ?? '').length + 1;
  return { severity: 'error', code: 'file.encoding', message, file, line, column, pointer: '' };
}

export function decodeText(bytes: Uint8Array, file: string): { text: string } | { diagnostic: Diagnostic } {
  const b0 = bytes[0];
  const b1 = bytes[1];
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    return {
      diagnostic: at(
        file,
        '',
        `${file} is UTF-16 encoded (it starts with a UTF-16 byte order mark); save it as UTF-8`,
      ),
    };
  }
  const lossy = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  if (isUtf8(bytes)) return { text: lossy };
  // The first U+FFFD that is not a literal U+FFFD (EF BF BD) in the file marks the first invalid byte.
  for (let i = lossy.indexOf('\uFFFD'); i >= 0; i = lossy.indexOf('\uFFFD', i + 1)) {
    const offset = Buffer.byteLength(lossy.slice(0, i));
    if (bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd) continue;
    const byte = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
    return {
      diagnostic: at(
        file,
        lossy.slice(0, i),
        `${file} is not valid UTF-8: byte 0x${byte} at offset ${offset} (workflows and site catalogs are UTF-8 text)`,
      ),
    };
  }
  return { diagnostic: at(file, '', `${file} is not valid UTF-8`) };
}
