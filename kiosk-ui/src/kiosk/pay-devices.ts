/**
 * Which bank terminals and which card reader this kiosk screen pays on. The payments contract
 * gives a kiosk no route to list devices, so the installer names them once in the screen's URL —
 * `/kiosk/?pos=pos-1,pos-2&reader=rd-1` — and the screen remembers them in localStorage.
 */

export interface PayDevices {
  terminals: string[];
  reader: string | null;
}

const KEY = 'linli.kiosk.payDevices';
const ID = /^[A-Za-z0-9._-]{1,64}$/;

function fromQuery(search: string): PayDevices | null {
  const q = new URLSearchParams(search);
  if (!q.has('pos') && !q.has('reader')) return null;
  const terminals = (q.get('pos') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => ID.test(s));
  const reader = q.get('reader')?.trim() ?? '';
  return { terminals, reader: ID.test(reader) ? reader : null };
}

/** From the URL when it names them (and then remembered), else as remembered, else none. */
export function loadPayDevices(search = location.search): PayDevices {
  const given = fromQuery(search);
  try {
    if (given) {
      localStorage.setItem(KEY, JSON.stringify(given));
      return given;
    }
    const raw = localStorage.getItem(KEY);
    if (raw) {
      const p = JSON.parse(raw) as Partial<PayDevices>;
      return {
        terminals: Array.isArray(p.terminals)
          ? p.terminals.filter((s) => typeof s === 'string' && ID.test(s))
          : [],
        reader: typeof p.reader === 'string' && ID.test(p.reader) ? p.reader : null,
      };
    }
  } catch {
    // No storage: what the URL says, for this page only.
  }
  return given ?? { terminals: [], reader: null };
}
