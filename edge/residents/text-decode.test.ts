import { spawnSync } from 'node:child_process';
import t from 'tap';
import { charsetOf, decodeText, TextDecodeError } from './text-decode.js';

// GBK bytes of a few characters, from the GBK code table (the same bytes Excel writes in China).
const GBK: Record<string, number[]> = {
  姓: [0xd0, 0xd5],
  名: [0xc3, 0xfb],
  社: [0xc9, 0xe7],
  区: [0xc7, 0xf8],
  电: [0xb5, 0xe7],
  话: [0xbb, 0xb0],
  张: [0xd5, 0xc5],
  桂: [0xb9, 0xf0],
  兰: [0xc0, 0xbc],
  幸: [0xd0, 0xd2],
  福: [0xb8, 0xa3],
  里: [0xc0, 0xef],
};

/** Encodes text of ASCII and the characters above as GBK. */
function gbk(text: string): Buffer {
  return Buffer.from(
    [...text].flatMap((ch) => {
      const code = ch.codePointAt(0) as number;
      if (code < 0x80) return [code];
      const bytes = GBK[ch];
      if (!bytes) throw new Error(`no GBK bytes for ${ch} in the test table`);
      return bytes;
    }),
  );
}

const CSV = '姓名,社区,电话\r\n张桂兰,幸福里,13800138000\r\n';

t.test('GBK bytes (Excel in China) are read as GB18030', async (t) => {
  const bytes = gbk(CSV);
  t.equal(bytes.length, 6 * 2 + 2 + 2 + 3 * 2 + 1 + 3 * 2 + 1 + 11 + 2, 'two bytes per character');
  const d = decodeText(bytes);
  t.equal(d.encoding, 'gb18030');
  t.equal(d.bom, false);
  t.equal(d.text, CSV);
});

t.test('GB18030 four-byte sequences and its own BOM', async (t) => {
  // U+20000 (a CJK Extension B character) is 95 32 82 36 in GB18030; its BOM is 84 31 95 33.
  const d = decodeText(Buffer.from([0x84, 0x31, 0x95, 0x33, ...gbk('姓名,'), 0x95, 0x32, 0x82, 0x36]));
  t.same({ ...d }, { text: '姓名,\u{20000}', encoding: 'gb18030', bom: true });
});

t.test('the same bytes from iconv (when the system has it) agree with the table', async (t) => {
  const iconv = spawnSync('iconv', ['-f', 'UTF-8', '-t', 'GBK'], { input: CSV });
  if (iconv.error || iconv.status !== 0) {
    t.comment('iconv not available: the table alone is checked');
    return;
  }
  t.same(iconv.stdout, gbk(CSV));
  const big = '张桂兰,幸福里3栋2单元401,党员,第一党支部,居民卡,李建国,王芳\n'.repeat(200);
  const bytes = spawnSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: big }).stdout;
  t.equal(decodeText(bytes).text, big, 'a longer GB18030 text');
});

t.test('UTF-8 with and without BOM', async (t) => {
  const plain = Buffer.from(CSV, 'utf8');
  t.same({ ...decodeText(plain) }, { text: CSV, encoding: 'utf-8', bom: false });
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), plain]);
  const d = decodeText(bom);
  t.same({ ...d }, { text: CSV, encoding: 'utf-8', bom: true });
  t.notOk(d.text.startsWith('\ufeff'), 'the BOM is not part of the text (nor of the first column name)');
});

t.test('UTF-16 with a BOM (Excel "Unicode text")', async (t) => {
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('姓名\t电话\r\n', 'utf16le')]);
  t.same({ ...decodeText(le) }, { text: '姓名\t电话\r\n', encoding: 'utf-16le', bom: true });
  const be = Buffer.from(le);
  be.swap16();
  t.same({ ...decodeText(be) }, { text: '姓名\t电话\r\n', encoding: 'utf-16be', bom: true });
});

t.test('a declared charset is used when the bytes fit it', async (t) => {
  t.equal(charsetOf('text/csv; charset=GBK'), 'gb18030');
  t.equal(charsetOf('text/csv;charset="gb2312"'), 'gb18030');
  t.equal(charsetOf('text/csv; charset=utf-8'), 'utf-8');
  t.equal(charsetOf('text/csv'), undefined);
  t.equal(charsetOf('text/csv; charset=latin1'), undefined, 'an unknown label: detect');
  // Mislabelled: says UTF-8, is GBK; the bytes decide.
  t.equal(decodeText(gbk(CSV), 'utf-8').text, CSV);
  // ASCII reads the same in both.
  t.equal(decodeText(Buffer.from('name\n'), 'gb18030').encoding, 'gb18030');
});

t.test('bytes that are no text are refused with a reason', async (t) => {
  t.throws(() => decodeText(Buffer.from([0xff, 0xff, 0x00, 0x41])), TextDecodeError);
  t.throws(() => decodeText(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), {
    message: /not a text file|neither/,
  });
  t.throws(() => decodeText(Buffer.from([0xef, 0xbb, 0xbf, 0xc3, 0x28])), {
    message: /byte order mark/,
  });
  t.throws(() => decodeText(Buffer.from('name\u0000\n')), { message: /control characters/ });
});
