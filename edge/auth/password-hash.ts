/**
 * The edge's password and token hashing is the protocol's (`cloud-sync/protocol/password-hash.ts`),
 * shared with `linli-cloud` so both store users the same way (DESIGN.md, "Users and roles").
 */
export {
  dummyPasswordHash,
  hashPassword,
  randomSecret,
  tokenDigest,
  verifyPassword,
} from '../../cloud-sync/protocol/password-hash.js';
