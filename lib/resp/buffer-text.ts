/**
 * Buffer's own latin1Write, utf8Write and utf8Slice skip the argument normalisation of write() and
 * toString(), which is a large share of the cost for the short strings Redis traffic is made of.
 * They are undocumented, so each falls back to the public method where a runtime lacks it.
 */
interface FastText {
  latin1Write?: (text: string, offset: number) => number;
  utf8Write?: (text: string, offset: number) => number;
  utf8Slice?: (start: number, end: number) => string;
}

const proto = Buffer.prototype as FastText;

export const writeLatin1: (out: Buffer, text: string, offset: number) => number =
  typeof proto.latin1Write === 'function'
    ? (out, text, offset) => (out as FastText as Required<FastText>).latin1Write(text, offset)
    : (out, text, offset) => out.write(text, offset, 'latin1');

export const writeUtf8: (out: Buffer, text: string, offset: number) => number =
  typeof proto.utf8Write === 'function'
    ? (out, text, offset) => (out as FastText as Required<FastText>).utf8Write(text, offset)
    : (out, text, offset) => out.write(text, offset, 'utf8');

export const readUtf8: (buf: Buffer, start: number, end: number) => string =
  typeof proto.utf8Slice === 'function'
    ? (buf, start, end) => (buf as FastText as Required<FastText>).utf8Slice(start, end)
    : (buf, start, end) => buf.toString('utf8', start, end);
