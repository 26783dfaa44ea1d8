import t from 'tap';
import { parseCsv, sniffDelimiter } from './csv.js';

const rows = (text: string, delimiter?: ',' | '\t' | ';') =>
  parseCsv(text, delimiter).map((r) => ({
    line: r.line,
    fields: r.fields,
    ...(r.error ? { error: r.error } : {}),
  }));

t.test('plain records, CR LF, LF or a lone CR', async (t) => {
  t.same(rows('a,b\r\n1,2\r\n'), [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['1', '2'] },
  ]);
  t.same(
    rows('a,b\n1,2'),
    [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
    ],
    'no final line break',
  );
  t.same(
    rows('a,b\r1,2\r'),
    [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
    ],
    'old Mac line ends',
  );
});

t.test('quoted fields: delimiters, doubled quotes, line breaks inside', async (t) => {
  t.same(rows('"张,桂兰","说""你好""",x\r\n'), [{ line: 1, fields: ['张,桂兰', '说"你好"', 'x'] }]);
  t.same(rows('""\n'), [], 'an empty quoted field alone is a blank record');
  t.same(rows('a,"",b\n'), [{ line: 1, fields: ['a', '', 'b'] }]);
  t.same(
    rows('name,note\r\n"王芳","第一行\r\n第二行\r\n第三行"\r\n李明,x\r\n'),
    [
      { line: 1, fields: ['name', 'note'] },
      { line: 2, fields: ['王芳', '第一行\r\n第二行\r\n第三行'] },
      { line: 5, fields: ['李明', 'x'] },
    ],
    'a record spanning lines keeps the line it starts on; the next one counts the lines inside',
  );
  t.same(rows('a,"x\ny"\nb,c\n'), [
    { line: 1, fields: ['a', 'x\ny'] },
    { line: 3, fields: ['b', 'c'] },
  ]);
});

t.test('empty fields, trailing delimiters, blank lines', async (t) => {
  t.same(rows('a,,c\n'), [{ line: 1, fields: ['a', '', 'c'] }]);
  t.same(rows('a,b,\n'), [{ line: 1, fields: ['a', 'b', ''] }]);
  t.same(rows('a,b,'), [{ line: 1, fields: ['a', 'b', ''] }], 'trailing delimiter at the end of the text');
  t.same(
    rows('a\n\n\r\n,,,\nb\n'),
    [
      { line: 1, fields: ['a'] },
      { line: 5, fields: ['b'] },
    ],
    'blank lines and delimiter-only lines (Excel) are skipped, lines still counted',
  );
  t.same(rows(''), []);
});

t.test('malformed quoting is marked on its record, never thrown', async (t) => {
  t.same(
    rows('a,"b"c,d\ne,f\n'),
    [
      { line: 1, fields: ['a', 'bc', 'd'], error: 'csv-quote' },
      { line: 2, fields: ['e', 'f'] },
    ],
    'text after a closing quote',
  );
  t.same(
    rows('a,b"c,d\n'),
    [{ line: 1, fields: ['a', 'b"c', 'd'] }],
    'a quote inside an unquoted field is a character',
  );
  t.same(
    rows('a,b\n"c,d\ne,f\n'),
    [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['c,d\ne,f\n'], error: 'csv-unterminated' },
    ],
    'an unclosed quote runs to the end',
  );
});

t.test('the delimiter: comma by default, tab (Excel Unicode text), semicolon', async (t) => {
  t.equal(sniffDelimiter('姓名,电话\n'), ',');
  t.equal(sniffDelimiter('姓名\t电话\t备注\n1,2\n'), '\t');
  t.equal(sniffDelimiter('name;phone\n'), ';');
  t.equal(sniffDelimiter('"a,b";c;d\n'), ';', 'commas in quotes do not count');
  t.equal(sniffDelimiter('name\n'), ',');
  t.same(rows('姓名\t电话\n张桂兰\t"138,0"\n'), [
    { line: 1, fields: ['姓名', '电话'] },
    { line: 2, fields: ['张桂兰', '138,0'] },
  ]);
});
