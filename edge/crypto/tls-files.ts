import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config/config.js';

/** Reads LINLI_TLS_CERT and LINLI_TLS_KEY and checks they form a usable pair; ConfigError if not. */
export async function readTlsFiles(
  certFile: string,
  keyFile: string,
): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (file: string, setting: string) => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new ConfigError(
        setting,
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  };
  const cert = await read(certFile, 'LINLI_TLS_CERT');
  const key = await read(keyFile, 'LINLI_TLS_KEY');
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ConfigError(
      'LINLI_TLS_CERT',
      `certificate and key do not form a usable pair (${(err as Error).message})`,
    );
  }
  return { cert, key };
}
